# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade's reports (no Ansible imports): the plan, written before anything changes, and the final report.

Both are built from the per-guest records the role's entry points leave (``nic_model_guest``): the plan
(``action``, ``current_model``, ``target_model``, ``reason``, ``findings`` ...), then ``before``, ``after``,
``verdict`` and ``outcome`` as the upgrade goes. :func:`guest_entry` turns one record into the report's entry;
:func:`plan_report` and :func:`final_report` give the reports the shared writer renders.

With the choice by measuring, the sample guest of each class carries the class's trial in its record (``trial``,
see :func:`trials_of`); both reports then show, per class, the trial table, the choice and its reason, and a chart
with one group of bars per candidate (a bar per direction, the rounds' spread across it).
"""

from __future__ import annotations

import statistics

from .._common.errors import NicTuneError
from .._common.values import number

DECISIONS = ("switched", "kept", "rolled_back", "skipped")
CSV_FIELDS = (
    "name",
    "hypervisor",
    "before_model",
    "after_model",
    "decision",
    "reason",
    "method",
    "outage_s",
    "before_send_mbps",
    "before_receive_mbps",
    "after_send_mbps",
    "after_receive_mbps",
    "send_gain",
    "receive_gain",
)


def _bps(value):
    return {"send_bps": (value or {}).get("send_bps"), "receive_bps": (value or {}).get("receive_bps")}


def guest_entry(name, record, check_mode=False):
    """The report entry of one guest from its record: name, hypervisor, models, decision, reason, throughput."""
    record = record or {}
    outcome = record.get("outcome") or {}
    action = record.get("action")
    current = record.get("current_model")
    entry = {
        "name": name,
        "hypervisor": record.get("hypervisor"),
        "domain": record.get("domain"),
        "platform": record.get("platform"),
        "before_model": current,
        "after_model": current,
        "target_model": record.get("target_model"),
        "before": _bps(record.get("before")),
        "after": _bps(record.get("after")),
        "gain": (record.get("verdict") or {}).get("gain") or {},
        "threshold": (record.get("verdict") or {}).get("threshold"),
        "pending_restart": bool(outcome.get("pending_restart")),
        "method": outcome.get("method"),
        "outage_s": outcome.get("outage_s"),
        "findings": list(record.get("findings") or []),
    }
    if action == "skip" or not action:
        decision, reason = "skipped", record.get("reason") or "not planned"
    elif action == "keep":
        decision, reason = "kept", record.get("reason")
    elif outcome.get("rolled_back"):
        decision, reason = "rolled_back", outcome.get("reason")
    elif check_mode:
        decision = "switched"
        how = outcome.get("method") or record.get("method")
        reason = "check mode: would switch %sto %s (%s)" % (
            how + " " if how in ("live", "cold") else "",
            record.get("target_model"),
            record.get("reason"),
        )
        entry["after_model"] = record.get("target_model")
    elif outcome.get("switched"):
        decision, reason = "switched", outcome.get("reason") or record.get("reason")
        entry["after_model"] = record.get("target_model")
    else:
        decision, reason = "skipped", "the switch did not run (the guest failed or was unreachable earlier)"
    entry["decision"] = decision
    entry["reason"] = reason
    return entry


def entries(records, check_mode=False):
    """``{name: record or None}`` -> the report entries in name order (a guest without a record was unreachable)."""
    out = []
    for name in sorted(records):
        record = records[name]
        if not record:
            record = {"action": "skip", "reason": "not audited or planned (unreachable?)"}
        out.append(guest_entry(name, record, check_mode))
    return out


def summary(guests):
    """Counts per decision and the one-line status that AWX and the console show."""
    counts = {d: 0 for d in DECISIONS}
    for g in guests:
        counts[g["decision"]] = counts.get(g["decision"], 0) + 1
    if counts["switched"] or counts["rolled_back"]:
        status = "%(switched)d switched, %(rolled_back)d rolled back, %(kept)d kept, %(skipped)d skipped" % counts
    else:
        status = "nothing to change: %(kept)d kept, %(skipped)d skipped" % counts
    return {"counts": counts, "status": status, "guests": len(guests)}


def _mbps(value):
    v = number(value)
    return None if v is None else round(v / 1e6, 1)


def _gains(guests, direction):
    return [g["gain"][direction] for g in guests if g["decision"] == "switched" and g["gain"].get(direction)]


def _gain_line(guests, direction):
    values = _gains(guests, direction)
    if not values:
        return None
    return "x%.2f median (x%.2f to x%.2f over %d guest(s))" % (
        statistics.median(values),
        min(values),
        max(values),
        len(values),
    )


def _outage_line(guests):
    values = [(g["name"], number(g["outage_s"])) for g in guests if number(g.get("outage_s")) is not None]
    if not values:
        return None
    total = sum(v for _n, v in values)
    return "%.1f s in all; per guest: %s" % (total, ", ".join("%s %.1f s" % (n, v) for n, v in values))


def _threshold_line(guests, run):
    """The rollback thresholds the guests were judged by (each guest's own setting), else the run's setting."""
    used = sorted({float(g["threshold"]) for g in guests if number(g.get("threshold")) is not None})
    if not used and number(run.get("rollback_threshold")) is not None:
        used = [float(run["rollback_threshold"])]
    if not used:
        return None
    return "%s drop in either direction%s" % (
        ", ".join("%g %%" % round(t * 100, 1) for t in used),
        " (per guest)" if len(used) > 1 else "",
    )


def _rows(guests):
    rows = []
    for g in guests:
        gain = g.get("gain") or {}
        rows.append(
            {
                "name": g["name"],
                "hypervisor": g.get("hypervisor"),
                "before_model": g.get("before_model"),
                "after_model": g.get("after_model"),
                "decision": g["decision"],
                "reason": g.get("reason"),
                "method": g.get("method"),
                "outage_s": g.get("outage_s"),
                "before_send_mbps": _mbps(g["before"].get("send_bps")),
                "before_receive_mbps": _mbps(g["before"].get("receive_bps")),
                "after_send_mbps": _mbps(g["after"].get("send_bps")),
                "after_receive_mbps": _mbps(g["after"].get("receive_bps")),
                "send_gain": gain.get("send"),
                "receive_gain": gain.get("receive"),
            }
        )
    return rows


def _chart(guests):
    groups = []
    for g in guests:
        if g["decision"] not in ("switched", "rolled_back"):
            continue
        for direction in ("send", "receive"):
            b = number(g["before"].get(direction + "_bps"))
            a = number(g["after"].get(direction + "_bps"))
            if b is None and a is None:
                continue
            data = {"host": g["name"], "direction": direction}
            bars = [
                {
                    "series": "before",
                    "value": b,
                    "text": "%s: %s"
                    % (g["before_model"], "%.1f Mbit/s" % (b / 1e6) if b is not None else "not measured"),
                    "data": dict(data, series="before", model=g["before_model"] or ""),
                },
                {
                    "series": "after",
                    "value": a,
                    "text": "%s: %s"
                    % (g["target_model"], "%.1f Mbit/s" % (a / 1e6) if a is not None else "not measured"),
                    "failed": a is None,
                    "data": dict(data, series="after", model=g["target_model"] or ""),
                },
            ]
            gain = (g.get("gain") or {}).get(direction)
            groups.append(
                {"label": "%s %s" % (g["name"], direction), "bars": bars, "note": "x%.2f" % gain if gain else None}
            )
    return {"title": "throughput before and after, per guest and direction", "unit": "Mbit/s", "groups": groups}


FINDING_COLUMNS = [
    ("name", "guest", "text"),
    ("what", "finding", "text"),
    ("fix", "fix", "text"),
]


def _findings_section(items):
    """The "Findings" section from ``[(guest name, [finding, ...])]``; None when there is no finding."""
    rows = [dict(f, name=name) for name, found in items for f in found or []]
    if not rows:
        return None
    return {
        "heading": "Findings",
        "text": "What the hypervisors should fix for the guests' virtio NICs, with the fix.",
        "table": {"columns": FINDING_COLUMNS, "rows": rows},
    }


TRIAL_COLUMNS = [
    ("candidate", "candidate", "text"),
    ("direction", "direction", "text"),
    ("median_mbps", "median (Mbit/s)", "number"),
    ("spread", "spread (Mbit/s)", "number"),
    ("tests", "tests", "number"),
    ("note", "note", "text"),
]


def trials_of(records):
    """``{class key: trial}`` from the records of the sample guests (``record["trial"]``), in class order.

    A trial is ``{"class", "sample", "members", "current", "candidates", "rounds", "decision"}``: the class key, the
    sample guest, the guests of the class, the model the sample ran before, what it was tried on (``[{"name",
    "model", "queues"}]``), the rounds per candidate and direction, and :func:`.choice.decide`'s result (None when
    nothing was tried: ``why`` then says why).

    A class nothing was tried on in this run (its choice recalled from an earlier run, found in place, or nothing to
    choose) is listed too, from its guests' ``choice`` (``{"class", "step", "why", "choice"}``, written when the
    classes were settled): ``{"class", "members", "step", "why", "choice", "sample": None, "decision": None}``.
    """
    out = {}
    found = {}
    for name in sorted(records):
        record = records[name] or {}
        trial = record.get("trial")
        if trial:
            out[str(trial.get("class") or name)] = dict(trial, sample=trial.get("sample") or name)
        info = record.get("choice") or {}
        if info.get("class") and info.get("step"):
            found.setdefault(str(info["class"]), (info, []))[1].append(name)
    for key, (info, names) in found.items():
        if key not in out:
            out[key] = {
                "class": key,
                "members": names,
                "step": info["step"],
                "why": info.get("why"),
                "choice": info.get("choice"),
                "sample": None,
                "decision": None,
            }
    return dict(sorted(out.items()))


def _trial_chart(key, trial, rows):
    groups = {}
    for row in rows:
        group = groups.setdefault(row["candidate"], [])
        low, high = row.get("min_mbps"), row.get("max_mbps")
        spread = " (%.1f to %.1f, %d tests)" % (low, high, row["tests"]) if row["tests"] and low != high else ""
        median = row.get("median_mbps")
        group.append(
            {
                "series": row["direction"],
                "value": median,
                "range": [low, high] if low is not None and high is not None and low != high else None,
                "text": "%s %s%s"
                % (row["direction"], "%.1f Mbit/s" % median if median is not None else "failed", spread),
                "failed": median is None,
                "data": {"class": key, "candidate": row["candidate"], "direction": row["direction"]},
            }
        )
    notes = {r["candidate"]: r.get("note") for r in rows}
    return {
        "title": "trials of class %s on %s" % (key, trial.get("sample")),
        "unit": "Mbit/s",
        "series": ["send", "receive"],
        "groups": [{"label": name, "bars": bars, "note": notes.get(name) or None} for name, bars in groups.items()],
    }


def _trial_sections(trials):
    sections = []
    for key, trial in (trials or {}).items():
        decision = trial.get("decision") or {}
        members = ", ".join(trial.get("members") or []) or trial.get("sample")
        if not decision:
            text = "Guests: %s. Nothing was tried: %s." % (members, trial.get("why") or "no trial")
            sections.append({"heading": "Trials: %s" % key, "text": text})
            continue
        rows = []
        for row in decision.get("table") or []:
            note = (
                "chosen" if row.get("chosen") and not decision.get("kept") else "current" if row.get("current") else ""
            )
            rows.append(dict(row, note=note))
        choice = decision.get("choice")
        verb = "keep %s" % choice if decision.get("kept") else "switch to %s" % choice
        tests = trial.get("tests")
        text = "Tried on %s (guests: %s), %s round(s) per candidate and direction%s. Choice: %s - %s." % (
            trial.get("sample"),
            members,
            trial.get("rounds") or max([r.get("tests") or 0 for r in rows] + [0]),
            ", %d tests" % tests if isinstance(tests, int) else "",
            verb,
            decision.get("reason"),
        )
        sections.append(
            {
                "heading": "Trials: %s" % key,
                "text": text,
                "chart": _trial_chart(key, trial, rows),
                "table": {"columns": TRIAL_COLUMNS, "rows": rows, "row_class": "note"},
            }
        )
    return sections


CLASS_COLUMNS = [
    ("class", "class", "text"),
    ("members", "guests", "text"),
    ("step", "this run", "text"),
    ("sample", "sample", "text"),
    ("candidates", "candidates", "text"),
    ("why", "why", "text"),
]


def _class_section(plan):
    """The plan's "Classes" section from :func:`.choice.trial_plan`'s result (None without classes)."""
    rows = []
    for key, entry in sorted(((plan or {}).get("classes") or {}).items()):
        rows.append(
            {
                "class": key,
                "members": ", ".join(entry.get("members") or []),
                "step": {"try": "try", "recall": "recall", "in_place": "in place", "none": "nothing to choose"}.get(
                    entry.get("step"), entry.get("step")
                ),
                "sample": entry.get("sample") if entry.get("step") == "try" else None,
                "candidates": ", ".join(c["name"] for c in entry.get("candidates") or []),
                "why": entry.get("why"),
            }
        )
    if not rows:
        return None
    outside = (plan or {}).get("outside") or {}
    text = "Choosing by measuring (nic_model_choice: measured): alike guests form a class; one sample per class is "
    text += "tried on every candidate, both ways, and the rest of the class gets the fastest."
    if outside:
        text += " In no class: %s." % "; ".join("%s (%s)" % (n, w) for n, w in sorted(outside.items()))
    return {"heading": "Classes", "text": text, "table": {"columns": CLASS_COLUMNS, "rows": rows}}


def _check(guests):
    if not isinstance(guests, list) or any(not isinstance(g, dict) or "decision" not in g for g in guests):
        raise NicTuneError("upgrade report: expected the list of guest entries made by guest_entry")


DECISION_COLUMNS = [
    ("name", "guest", "text"),
    ("hypervisor", "hypervisor", "text"),
    ("before_model", "before", "text"),
    ("after_model", "after", "text"),
    ("decision", "decision", "text"),
    ("reason", "reason", "text"),
]
RESULT_COLUMNS = [
    ("name", "guest", "text"),
    ("before_model", "from", "text"),
    ("after_model", "to", "text"),
    ("decision", "decision", "text"),
    ("before_send_mbps", "send before", "number"),
    ("after_send_mbps", "send after", "number"),
    ("send_gain", "send gain", "ratio"),
    ("before_receive_mbps", "receive before", "number"),
    ("after_receive_mbps", "receive after", "number"),
    ("receive_gain", "receive gain", "ratio"),
    ("method", "switch", "text"),
    ("outage_s", "outage (s)", "seconds"),
]


def final_report(guests, run=None, title="NIC upgrade", trials=None):
    """The final report of the upgrade from the guest entries; ``run`` holds the run's settings and times;
    ``trials`` the choice by measuring's trials per class (:func:`trials_of`), recorded also where the guests kept
    their model."""
    _check(guests)
    run = dict(run or {})
    state = summary(guests)
    rows = _rows(guests)
    measured = [r for r in rows if r["decision"] in ("switched", "rolled_back")]
    problems = [
        dict(r, problem=r["reason"])
        for r in rows
        if r["decision"] == "rolled_back" or (r["decision"] == "skipped" and "unreachable" in (r["reason"] or ""))
    ]
    counts = state["counts"]
    summary_lines = [
        ("outcome", state["status"]),
        ("switched", counts["switched"]),
        ("kept", counts["kept"]),
        ("rolled back", counts["rolled_back"]),
        ("skipped", counts["skipped"]),
        ("send gain", _gain_line(guests, "send")),
        ("receive gain", _gain_line(guests, "receive")),
        ("outage", _outage_line(guests)),
        ("started", run.get("started")),
        ("finished", run.get("finished")),
        ("duration", "%.0f s" % run["duration_s"] if number(run.get("duration_s")) is not None else None),
        ("check mode", "yes: nothing was changed" if run.get("check_mode") else None),
    ]
    settings = [
        ("rollback threshold", _threshold_line(guests, run)),
        ("batch", run.get("batch")),
        ("switch", run.get("switch")),
        ("restart", run.get("restart")),
        ("readiness gate", run.get("readiness_gate")),
        ("probe", run.get("probe")),
        ("choice", run.get("choice_mode")),
        ("trial rounds", run.get("trial_rounds")),
        ("report directory", run.get("report_dir")),
    ]
    links = list(run.get("links") or [])
    sections = [
        {
            "heading": "Throughput before and after (Mbit/s)",
            "chart": _chart(guests),
            "empty": "No guest was switched, so nothing was measured.",
        },
        {
            "heading": "Results",
            "table": {"columns": RESULT_COLUMNS, "rows": measured, "row_class": "decision"},
            "empty": "No guest was switched.",
        },
        {"heading": "Decisions", "table": {"columns": DECISION_COLUMNS, "rows": rows, "row_class": "decision"}},
        {
            "heading": "Failures",
            "table": {
                "columns": [
                    ("name", "guest", "text"),
                    ("decision", "decision", "text"),
                    ("problem", "problem", "text"),
                ],
                "rows": problems,
            },
            "empty": "None.",
        },
    ]
    found = _findings_section([(g["name"], g.get("findings")) for g in guests])
    if found:
        sections.append(found)
    sections += _trial_sections(trials)
    data = {"guests": guests, "summary": state, "meta": run}
    if trials:
        data["trials"] = dict(trials)
    return {
        "title": title,
        "data": data,
        "csv": {"columns": list(CSV_FIELDS), "rows": rows},
        "summary": summary_lines,
        "settings": settings,
        "links": links,
        "sections": sections,
    }


PLAN_COLUMNS = [
    ("name", "guest", "text"),
    ("hypervisor", "hypervisor", "text"),
    ("action", "action", "text"),
    ("current_model", "now", "text"),
    ("target_model", "target", "text"),
    ("method", "switch", "text"),
    ("reason", "reason", "text"),
]


def _chosen_by_class(records, choice):
    """The records with, for each guest of a class that measures (``choice``: :func:`.choice.trial_plan`'s result),
    the class's step in place of its ranked plan: action ``choose``, the remembered or found choice as target."""
    if not choice:
        return records
    out = dict(records)
    for name, key in (choice.get("guests") or {}).items():
        entry = (choice.get("classes") or {}).get(key) if key else None
        if not entry or entry.get("step") == "none" or not records.get(name):
            continue
        picked = entry.get("choice") or {}
        out[name] = dict(records[name], action="choose", target_model=picked.get("name"), method=None,
                         reason="class %s: %s" % (key, entry.get("why")))  # fmt: skip
    return out


def plan_lines(records, choice=None):
    """One console line per guest: ``name: switch current -> target (reason)`` or ``name: keep current (reason)``;
    a guest whose class chooses by measuring (``choice``): ``name: choose ... (class: why)``."""
    records = _chosen_by_class(records, choice)
    lines = []
    for name in sorted(records):
        r = records[name] or {"action": "skip", "reason": "not audited or planned (unreachable?)"}
        if r.get("action") == "choose":
            what = "choose by measuring, now %s" % (r.get("current_model") or "?")
        elif r.get("action") == "switch":
            what = "switch %s -> %s" % (r.get("current_model") or "?", r.get("target_model"))
            if r.get("method"):
                what += ", %s" % r["method"]
        else:
            what = "%s %s" % (r.get("action"), r.get("current_model") or "")
        lines.append("%s: %s (%s)" % (name, what.strip(), r.get("reason")))
    return lines


def plan_report(records, run=None, title="NIC upgrade plan", trials=None):
    """The plan, written before anything changes: one row per guest, what will happen and why; the findings; and,
    where the choice by measuring ran before the plan was written, its trials (``trials``, default: those the
    records carry)."""
    trials = trials if trials is not None else trials_of({n: r for n, r in records.items() if r})
    run = dict(run or {})
    records = _chosen_by_class(records, run.get("choice"))
    rows = []
    for name in sorted(records):
        r = dict(records[name] or {"action": "skip", "reason": "not audited or planned (unreachable?)"})
        r["name"] = name
        rows.append(r)
    counts = {}
    for r in rows:
        counts[r.get("action")] = counts.get(r.get("action"), 0) + 1
    data = {"plan": [records[n] for n in sorted(records) if records[n]], "meta": run}
    if trials:
        data["trials"] = dict(trials)
    return {
        "title": title,
        "data": data,
        "csv": {"columns": [c[0] for c in PLAN_COLUMNS], "rows": rows},
        "summary": [
            ("to switch", counts.get("switch", 0)),
            ("to keep", counts.get("keep", 0)),
            ("to skip", counts.get("skip", 0)),
            ("to choose by measuring", counts.get("choose")),
            ("planned", run.get("started")),
        ],
        "sections": [
            {"heading": "Plan", "table": {"columns": PLAN_COLUMNS, "rows": rows, "row_class": "action"}},
            *filter(None, [_findings_section([(r["name"], r.get("findings")) for r in rows])]),
            *filter(None, [_class_section(run.get("choice"))]),
            *_trial_sections(trials),
        ],
    }


def guest_line(g):
    """One console line for a guest of the final report."""
    if g.get("before_model") != g.get("after_model"):
        models = "%s -> %s" % (g.get("before_model") or "-", g.get("after_model") or "-")
    else:
        models = g.get("before_model") or "-"
    parts = ["%s: %s %s" % (g["name"], g["decision"], models)]
    for direction in ("send", "receive"):
        b = number(g["before"].get(direction + "_bps"))
        a = number(g["after"].get(direction + "_bps"))
        if b is not None and a is not None:
            parts.append("%s %.1f -> %.1f Mbit/s" % (direction, b / 1e6, a / 1e6))
    if number(g.get("outage_s")) is not None:
        parts.append("outage %.1f s (%s)" % (number(g["outage_s"]), g.get("method") or "switch"))
    elif g.get("method") in ("live", "cold"):
        parts.append(g["method"])
    return "%s (%s)" % (", ".join(parts), g.get("reason"))
