# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade's report: one entry per guest, rendered as report.json, report.csv, report.md and report.html.

``guest_entry`` turns what the playbook knows of a guest (plan, outcome, verdict, throughput before and
after) into the report's entry; ``render`` writes the formats. The HTML page reuses the probe report's
chart (before/after bars per guest and direction). No Ansible imports.
"""

from __future__ import annotations

import csv
import html
import io
import json

from .._common.errors import NicTuneError
from .._probe import report as _probe_report
from .._probe.report import _md as _table_cell

DECISIONS = ("switched", "kept", "skipped", "rolled_back")
CSV_FIELDS = (
    "name",
    "hypervisor",
    "before_model",
    "after_model",
    "decision",
    "reason",
    "before_send_mbps",
    "before_receive_mbps",
    "after_send_mbps",
    "after_receive_mbps",
    "send_gain",
    "receive_gain",
)


def throughput(rows):
    """iperf_probe_result rows of one guest -> {send_bps, receive_bps, errors}."""
    out = {"send_bps": None, "receive_bps": None, "errors": []}
    for row in rows or []:
        direction = row.get("direction")
        if direction not in ("send", "receive"):
            continue
        if row.get("error") or row.get("bits_per_second") is None:
            out["errors"].append("%s: %s" % (direction, row.get("error") or "no result"))
            continue
        out[direction + "_bps"] = float(row["bits_per_second"])
    return out


def _bps(value):
    return {"send_bps": (value or {}).get("send_bps"), "receive_bps": (value or {}).get("receive_bps")}


def guest_entry(name, plan, outcome=None, verdict=None, before=None, after=None, check_mode=False):
    """The report entry of one guest: name, hypervisor, before_model, after_model, decision, reason, before, after."""
    plan = plan or {}
    outcome = outcome or {}
    action = plan.get("action")
    current = plan.get("current_model")
    entry = {
        "name": name,
        "hypervisor": plan.get("hypervisor"),
        "domain": plan.get("domain"),
        "platform": plan.get("platform"),
        "before_model": current,
        "after_model": current,
        "target_model": plan.get("target_model"),
        "before": _bps(before),
        "after": _bps(after) if after else {"send_bps": None, "receive_bps": None},
        "gain": (verdict or {}).get("gain") or {},
        "pending_restart": bool(outcome.get("pending_restart")),
    }
    if action == "skip" or not action:
        decision, reason = "skipped", plan.get("reason") or "not planned"
    elif action == "keep":
        decision, reason = "kept", plan.get("reason")
    elif outcome.get("rolled_back"):
        decision, reason = "rolled_back", outcome.get("reason")
    elif check_mode:
        decision = "switched"
        reason = "check mode: would switch to %s (%s)" % (plan.get("target_model"), plan.get("reason"))
        entry["after_model"] = plan.get("target_model")
    elif outcome.get("switched"):
        decision, reason = "switched", outcome.get("reason") or plan.get("reason")
        entry["after_model"] = plan.get("target_model")
    else:
        decision, reason = "skipped", "the switch did not run (the guest failed or was unreachable earlier)"
    entry["decision"] = decision
    entry["reason"] = reason
    return entry


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
    return None if value is None else round(float(value) / 1e6, 1)


def _probe_rows(guests, key):
    rows = []
    for g in guests:
        for direction in ("send", "receive"):
            bps = (g.get(key) or {}).get(direction + "_bps")
            rows.append(
                {
                    "host": g["name"],
                    "direction": direction,
                    "bits_per_second": bps,
                    "error": None if bps is not None else "not measured",
                    "model": g["after_model"] if key == "after" else g["before_model"],
                }
            )
    return rows


def _check(guests):
    if not isinstance(guests, list) or any(not isinstance(g, dict) or "decision" not in g for g in guests):
        raise NicTuneError("upgrade report: expected the list of guest entries made by guest_entry")


def render(guests, fmt, meta=None, title="NIC upgrade"):
    """Render the guest entries as ``json``, ``csv``, ``md`` or ``html``."""
    _check(guests)
    meta = dict(meta or {})
    if fmt == "json":
        return json.dumps({"guests": guests, "summary": summary(guests), "meta": meta}, indent=2, sort_keys=True) + "\n"
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
                "before_send_mbps": _mbps(g["before"].get("send_bps")),
                "before_receive_mbps": _mbps(g["before"].get("receive_bps")),
                "after_send_mbps": _mbps(g["after"].get("send_bps")),
                "after_receive_mbps": _mbps(g["after"].get("receive_bps")),
                "send_gain": gain.get("send"),
                "receive_gain": gain.get("receive"),
            }
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_FIELDS})
        return buf.getvalue()
    if fmt in ("md", "markdown"):
        return _markdown(rows, guests, meta, title)
    if fmt == "html":
        table = [
            "<table><tr><th>guest</th><th>hypervisor</th><th>before</th><th>after</th><th>decision</th>"
            "<th>send Mbit/s</th><th>receive Mbit/s</th><th>reason</th></tr>"
        ]
        for row in rows:
            table.append(
                "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                '<td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>'
                % tuple(
                    html.escape("" if v is None else str(v))
                    for v in (
                        row["name"],
                        row["hypervisor"],
                        row["before_model"],
                        row["after_model"],
                        row["decision"],
                        _arrow(row["before_send_mbps"], row["after_send_mbps"]),
                        _arrow(row["before_receive_mbps"], row["after_receive_mbps"]),
                        row["reason"],
                    )
                )
            )
        table.append("</table>")
        meta_flat = dict(meta, status=summary(guests)["status"])
        return _probe_report.render_html(
            _probe_rows(guests, "after"),
            meta=meta_flat,
            baseline=_probe_rows(guests, "before"),
            title=title,
            sections=[("Decisions", "\n".join(table))],
        )
    raise NicTuneError("upgrade report: unknown format %r (json, csv, md, html)" % (fmt,))


def _arrow(before, after):
    if before is None and after is None:
        return "-"
    text = "%s -> %s" % ("-" if before is None else before, "-" if after is None else after)
    if before and after:
        text += " (%+.0f%%)" % ((after / before - 1) * 100)
    return text


def _md(text):
    return "" if text is None else _table_cell(text)


def _markdown(rows, guests, meta, title):
    lines = ["# %s" % _md(title), "", summary(guests)["status"], ""]
    for key in sorted(meta):
        if isinstance(meta[key], (str, int, float)):
            lines.append("- %s: %s" % (_md(key), _md(meta[key])))
    lines += [
        "",
        "| guest | hypervisor | before | after | decision | send Mbit/s | receive Mbit/s | reason |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (
                _md(r["name"]),
                _md(r["hypervisor"]),
                _md(r["before_model"]),
                _md(r["after_model"]),
                _md(r["decision"]),
                _md(_arrow(r["before_send_mbps"], r["after_send_mbps"])),
                _md(_arrow(r["before_receive_mbps"], r["after_receive_mbps"])),
                _md(r["reason"]),
            )
        )
    return "\n".join(lines) + "\n"
