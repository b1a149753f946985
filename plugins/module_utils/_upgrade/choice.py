# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The choice of a NIC model by measuring (``nic_model_choice: measured``), as plain Python (no Ansible imports).

* :func:`classes`: which guests are alike (one class), and the one guest per class the candidates are tried on;
* :func:`candidates`: what that guest is tried on, in ranking order (from the model catalogue only);
* :func:`decide`: the choice from the trials' measurements, with the reason and the trial table;
* :func:`trial_cost`: the probe time of the trials against trying every candidate on every guest;
* :func:`trial_plan`: what a run does per class - try the candidates on the sample, recall the choice made by an
  earlier run, find it in place, or nothing (nothing to choose);
* :func:`trial`: the sample's trial record from its measurements (:func:`decide` with what the report and the
  switch need);
* :func:`settle`: what every other guest of a class does with the class's choice, and the choices to remember.

The rule :func:`decide` applies, per class (``threshold`` is ``nic_model_rollback_threshold``):

1. per candidate and direction (send, receive): the median of the rounds, and the spread (largest minus smallest
   round). Two candidates *tie* in a direction when their medians differ by no more than the larger spread; one
   *beats* the other when it is faster and they do not tie;
2. against the current model, a candidate *gains* in a direction when its median is higher by more than the
   threshold, and *loses* when its median is lower by more than the threshold. "Lose" uses the threshold, not the
   spread: the choice then never picks a model the rollback after the switch would undo (it compares with the same
   threshold), and a difference within the user's tolerance does not veto a gain (two rounds say little about
   the noise, which is 10-20 % under software emulation);
3. a candidate qualifies when it was measured both ways, gains in at least one direction and loses in neither. The
   multi-queue candidate also has to beat single-queue virtio (the same model, one queue) in at least one direction
   and not be beaten by it in the other: it is kept only when it is measured faster;
4. of the qualified candidates, the choice is the best in both directions: the first in ranking order that no
   other qualified candidate beats (beyond a tie) in either direction, so ties go to the higher-ranked model.
   When none is (one is faster sending, another receiving), the choice is the one whose slower direction gained
   the most over the current model (ties again to the higher-ranked);
5. when no candidate qualifies the guest keeps its model; the trials are recorded all the same.
"""

from __future__ import annotations

import statistics

from .._common import models as _models
from .._common.errors import NicTuneError
from .._common.values import number
from .plan import check_threshold, planned_method

DIRECTIONS = ("send", "receive")
ACTIONS = ("switch", "keep")  # guests whose plan is one of these can be in a class
#: nic_model_max_queues: the most queue pairs the multi-queue candidate gets (min(vCPUs, this)).
DEFAULT_MAX_QUEUES = 4
#: What a run does for a class (see :func:`trial_plan`).
STEPS = ("try", "recall", "in_place", "none")


# --- classes ------------------------------------------------------------------------------------------------------


def _canonical(model):
    return _models.canonical(model) or (str(model).lower() if model is not None else None)


def _models_of(record, ranking=None):
    """The models of the record's platform ranking that its hypervisor offers and the guest can drive, best first."""
    platform = record.get("platform")
    if platform not in _models.RANKINGS:
        return []
    order = [_canonical(m) for m in ranking] if ranking else _models.ranking(platform)
    offered = [_canonical(m) for m in (record.get("offered_models") or _models.default_offered(platform))]
    drives = record.get("supported_models")
    drives = None if drives is None else [_canonical(m) for m in drives]
    return [m for m in order if m in offered and (drives is None or m in drives)]


def class_key(record):
    """The class of a guest's record: platform, machine type, guest OS family and release, the models it can be
    tried on (:func:`_models_of`) and its vCPUs, as one readable string."""
    guest_os = record.get("guest_os") or {}
    parts = [
        record.get("platform") or "?",
        record.get("machine") or "?",
        " ".join(str(guest_os.get(k)) for k in ("family", "release") if guest_os.get(k)) or "?",
        "+".join(_models_of(record)) or "-",
        "%s vCPU" % (record.get("vcpus") or "?"),
    ]
    return " / ".join(str(p) for p in parts)


def member(record):
    """True when the guest's record can be in a class (planned, not pinned, on a platform with a ranking)."""
    return _member(record) is None


def _member(record):
    """Why a guest's record is in no class, or None when it is in one."""
    if not record:
        return "not audited or planned"
    if record.get("action") not in ACTIONS:
        return "plan is %s" % (record.get("action") or "missing")
    if record.get("pinned"):
        return "pinned by nic_model_target"
    if record.get("platform") not in _models.RANKINGS:
        return "no ranking for platform %s" % record.get("platform")
    return None


def _can_measure(record):
    return record.get("state") in (None, "running") and not record.get("switch_blocked")


def classes(records, overrides=None):
    """Group the guests into classes and pick each class's sample guest.

    ``records``: ``{name: nic_model_guest}``. ``overrides``: ``{name: {"class": ..., "trial_guest": ...}}`` from the
    inventory - ``class`` (``nic_model_class``) puts the guest into the class of that name instead of its own;
    ``trial_guest`` (``nic_model_trial_guest``) names the class's sample guest (a guest name), or ``true`` on the
    sample itself. Guests that are skipped, pinned or on a platform without a ranking are in no class.

    The sample is the override, else the first guest by name that runs (or whose state is not known) and can be tried
    on two models or more. A class none of whose guests can be tried on two models has no sample ("nothing to
    choose").

    Returns ``{"guests": {name: class key or None}, "outside": {name: why}, "classes": {key: {"key", "members",
    "sample", "why"}}}``.
    """
    overrides = overrides or {}
    guests, outside, members = {}, {}, {}
    for name in sorted(records):
        record = records[name]
        why = _member(record)
        if why:
            guests[name], outside[name] = None, why
            continue
        given = (overrides.get(name) or {}).get("class")
        key = str(given).strip() if given not in (None, "") else class_key(record)
        guests[name] = key
        members.setdefault(key, []).append(name)
    out = {}
    for key, names in members.items():
        sample, why = _sample(key, names, records, overrides)
        out[key] = {"key": key, "members": names, "sample": sample, "why": why}
    return {"guests": guests, "outside": outside, "classes": out}


def _sample(key, names, records, overrides):
    named = set()
    for name in names:
        given = (overrides.get(name) or {}).get("trial_guest")
        if given is True or (isinstance(given, str) and given.strip().lower() in ("true", "yes")):
            named.add(name)
        elif isinstance(given, str) and given.strip() and given.strip().lower() not in ("false", "no"):
            named.add(given.strip())
    if len(named) > 1:
        raise NicTuneError(
            "nic_model_trial_guest: class %r has more than one sample guest (%s)" % (key, ", ".join(sorted(named)))
        )
    if named:
        sample = named.pop()
        if sample not in names:
            raise NicTuneError(
                "nic_model_trial_guest: %s is not in class %r (its guests: %s)" % (sample, key, ", ".join(names))
            )
        return sample, "named by nic_model_trial_guest"
    for name in names:
        if _can_measure(records[name]) and len(_models_of(records[name])) > 1:
            return name, "first guest of the class by name that runs and can be tried on two models or more"
    drives = sorted({m for name in names for m in _models_of(records[name])})
    return None, "nothing to choose: the class can be tried on %s only" % (" and ".join(drives) or "no model")


# --- candidates ---------------------------------------------------------------------------------------------------


def candidates(record, vcpus, max_queues, ranking=None):
    """What the sample guest of ``record`` is tried on, in ranking order: ``[{"name", "model", "queues"}]``.

    The models of the platform's ranking (or ``ranking``) that the hypervisor offers and the guest can drive, its
    current model always among them (the baseline); and, where ``vcpus`` > 1 and the platform can write one, the
    multi-queue candidate (catalogue: :data:`.._common.models.MULTIQUEUE`) with ``queues = min(vcpus, max_queues)``,
    ranked just below its single-queue model so that a tie goes to one queue. ``queues`` is None for one queue.
    """
    if record.get("platform") not in _models.RANKINGS:
        return []
    models = _models_of(record, ranking)
    current = _canonical(record.get("current_model"))
    if current and current not in models:
        order = [_canonical(m) for m in ranking] if ranking else _models.ranking(record.get("platform"))
        models.append(current)
        models.sort(key=lambda m: order.index(m) if m in order else len(order))
    out = [{"name": m, "model": m, "queues": None} for m in models]
    multi = _models.multiqueue(record.get("platform"))
    cpus, most = number(vcpus), number(max_queues)
    if multi and multi["model"] in models and cpus and most and min(cpus, most) > 1:
        queues = int(min(cpus, most))
        at = models.index(multi["model"]) + 1
        out.insert(at, {"name": multi["name"], "model": multi["model"], "queues": queues})
    return out


# --- decide -------------------------------------------------------------------------------------------------------


def _values(raw):
    out = []
    for value in raw or []:
        v = number(value)
        if v is not None and v > 0:
            out.append(float(v))
    return out


def _stats(trials):
    stats = {}
    for name, given in trials.items():
        measured = given or {}
        stats[name] = {}
        for direction in DIRECTIONS:
            values = _values(measured.get(direction))
            stats[name][direction] = {
                "median": statistics.median(values) if values else None,
                "spread": (max(values) - min(values)) if values else None,
                "min": min(values) if values else None,
                "max": max(values) if values else None,
                "tests": len(values),
                "error": measured.get("error"),
            }
    return stats


def _measured(stat):
    return all(stat[d]["median"] is not None for d in DIRECTIONS)


def _tie(a, b):
    """Two candidates' figures for one direction differ by no more than the larger spread."""
    return abs(a["median"] - b["median"]) <= max(a["spread"], b["spread"])


def _beats(a, b):
    return a["median"] > b["median"] and not _tie(a, b)


def _gains(c, cur, threshold):
    return c["median"] > cur["median"] * (1 + threshold)


def _loses(c, cur, threshold):
    return c["median"] < cur["median"] * (1 - threshold)


def _ratio(c, cur):
    return c["median"] / cur["median"]


def _mbps(value):
    return None if value is None else round(value / 1e6, 1)


def _gain_text(stat, cur):
    return ", ".join("%s x%.2f" % (d, _ratio(stat[d], cur[d])) for d in DIRECTIONS)


def _name(candidate):
    """A candidate's name: the canonical model for a model's name or alias, else as given (``virtio-mq``)."""
    return _models.canonical(candidate) or str(candidate)


def _order(trials, ranking):
    """The tried candidates in ranking order; those the ranking does not name after them, by name."""
    ranked = [_name(r) for r in ranking or []]
    names = [r for r in dict.fromkeys(ranked) if r in trials]
    return names + sorted(n for n in trials if n not in names)


def _verdict(name, stats, current, threshold):
    """Why candidate ``name`` does not qualify against the current model, or None when it does."""
    stat, cur = stats[name], stats[current]
    if not _measured(stat):
        missing = [d for d in DIRECTIONS if stat[d]["median"] is None]
        error = stat[missing[0]]["error"]
        return "not measured %s%s" % (" and ".join(missing), ": %s" % error if error else "")
    lost = [d for d in DIRECTIONS if _loses(stat[d], cur[d], threshold)]
    if lost:
        return "loses %s against %s (%s)" % (" and ".join(lost), current, _gain_text(stat, cur))
    if not any(_gains(stat[d], cur[d], threshold) for d in DIRECTIONS):
        return "gains no more than %.0f%% over %s in either direction (%s)" % (
            threshold * 100,
            current,
            _gain_text(stat, cur),
        )
    single = _models.multiqueue_model(name)
    if single:
        base = stats.get(single)
        if base is None or not _measured(base):
            return "single-queue %s was not measured both ways to compare with" % single
        if not any(_beats(stat[d], base[d]) for d in DIRECTIONS) or any(_beats(base[d], stat[d]) for d in DIRECTIONS):
            return "not measured faster than single-queue %s" % single
    return None


def _table(order, stats, current, choice):
    rows = []
    for name in order:
        for direction in DIRECTIONS:
            stat = stats[name][direction]
            rows.append(
                {
                    "candidate": name,
                    "direction": direction,
                    "median_mbps": _mbps(stat["median"]),
                    "spread": _mbps(stat["spread"]),
                    "min_mbps": _mbps(stat["min"]),
                    "max_mbps": _mbps(stat["max"]),
                    "tests": stat["tests"],
                    "current": name == current,
                    "chosen": name == choice,
                }
            )
    return rows


def decide(current, trials, threshold, ranking):
    """The choice for a class from its sample guest's trials.

    ``current``: the candidate the guest runs now (its model; the baseline). ``trials``: ``{candidate: {"send":
    [bits per second, ...], "receive": [...], "error": text}}``, one value per round (failed rounds left out or None).
    ``threshold``: ``nic_model_rollback_threshold`` (0.1 = 10 %). ``ranking``: candidate names best first (the
    ``name`` of each of :func:`candidates`). The rule is in this module's docstring.

    Returns ``{"choice", "kept", "reason", "table", "candidates"}``: the candidate to switch the class to (the current
    one when kept), whether the guests keep their model, why, the trial table (per candidate and direction:
    ``median_mbps``, ``spread`` in Mbit/s (largest minus smallest round), ``min_mbps``, ``max_mbps``, ``tests``,
    ``current``, ``chosen``) and
    per candidate ``{"candidate", "qualified", "why"}``.
    """
    threshold = check_threshold(threshold)
    if not isinstance(trials, dict):
        raise NicTuneError("trials must be a dict of candidate -> {send, receive}, got %r" % type(trials).__name__)
    trials = {_name(k): v for k, v in trials.items()}
    current = _name(current)
    stats = _stats(trials)
    order = _order(trials, ranking)
    if current not in stats or not _measured(stats[current]):
        reason = "the current model %s was not measured both ways: nothing to compare with, the guests keep it" % (
            current
        )
        verdicts = [{"candidate": n, "qualified": False, "why": "no baseline"} for n in order if n != current]
        return {
            "choice": current,
            "kept": True,
            "reason": reason,
            "table": _table(order, stats, current, current),
            "candidates": verdicts,
        }
    verdicts = []
    qualified = []
    for name in order:
        if name == current:
            continue
        why = _verdict(name, stats, current, threshold)
        verdicts.append({"candidate": name, "qualified": why is None, "why": why or "qualifies"})
        if why is None:
            qualified.append(name)
    if not qualified:
        reasons = "; ".join("%s %s" % (v["candidate"], v["why"]) for v in verdicts) or "no other candidate was tried"
        return {
            "choice": current,
            "kept": True,
            "reason": "keeps %s: no candidate beats it by more than %.0f%% in one direction without losing in the "
            "other (%s)" % (current, threshold * 100, reasons),
            "table": _table(order, stats, current, current),
            "candidates": verdicts,
        }
    cur = stats[current]
    best = [
        name
        for name in qualified
        if not any(_beats(stats[o][d], stats[name][d]) for o in qualified if o != name for d in DIRECTIONS)
    ]
    if best:
        choice = best[0]
        tied = best[1:]
        reason = "%s is the fastest both ways of the candidates that gain (%s over %s)" % (
            choice,
            _gain_text(stats[choice], cur),
            current,
        )
        if tied:
            reason += "; ties within the measured spread with %s go to the higher-ranked" % ", ".join(tied)
    else:
        worst = {n: min(_ratio(stats[n][d], cur[d]) for d in DIRECTIONS) for n in qualified}
        top = max(worst.values())
        choice = next(n for n in qualified if worst[n] == top)
        reason = "no candidate is the fastest both ways; %s gains the most in its slower direction (%s over %s)" % (
            choice,
            _gain_text(stats[choice], cur),
            current,
        )
    out = ["%s %s" % (v["candidate"], v["why"]) for v in verdicts if not v["qualified"]]
    if out:
        reason += "; out of the choice: %s" % "; ".join(out)
    for verdict in verdicts:
        if verdict["qualified"] and verdict["candidate"] != choice:
            verdict["why"] = "qualifies, but %s is chosen" % choice
        elif verdict["candidate"] == choice:
            verdict["why"] = "chosen"
    return {
        "choice": choice,
        "kept": False,
        "reason": reason,
        "table": _table(order, stats, current, choice),
        "candidates": verdicts,
    }


# --- cost ---------------------------------------------------------------------------------------------------------


def trial_cost(classes_, candidates_, rounds, seconds_per_test):
    """Probe seconds of the trials (one sample guest per class) against trying every candidate on every guest.

    ``classes_``: the result of :func:`classes`. ``candidates_``: ``{class key: candidates of its sample}`` (a list
    or a count). Each candidate is measured ``rounds`` times in both directions, ``seconds_per_test`` each (switching
    and restarting guests is not counted). A class without a sample costs nothing in either way.
    """
    rounds, seconds = number(rounds), number(seconds_per_test)
    if not rounds or rounds < 1 or seconds is None or seconds <= 0:
        raise NicTuneError("trial_cost: rounds must be >= 1 and seconds_per_test > 0")
    per_candidate = int(rounds) * len(DIRECTIONS)
    measured = every = 0
    for key, found in (classes_.get("classes") or {}).items():
        if not found.get("sample"):
            continue
        given = candidates_.get(key)
        count = given if isinstance(given, int) else len(given or [])
        measured += count * per_candidate
        every += count * per_candidate * len(found.get("members") or [])
    return {
        "tests_measured": measured,
        "tests_every_guest": every,
        "measured_s": measured * float(seconds),
        "every_guest_s": every * float(seconds),
        "saved_s": (every - measured) * float(seconds),
        "ratio": round(every / measured, 2) if measured else None,
    }


# --- one run: try, recall, in place ---------------------------------------------------------------------------------


def current_candidate(record):
    """The candidate the guest runs now: its model, or the multi-queue candidate's name where its first NIC is the
    multi-queue model with more than one queue."""
    model = _canonical(record.get("current_model"))
    multi = _models.multiqueue(record.get("platform"))
    nics = record.get("nics") or [{}]
    queues = number((nics[0] or {}).get("queues"))
    if multi and model == multi["model"] and queues and queues > 1:
        return multi["name"]
    return model


def queues_option(candidate, platform):
    """The ``queues`` option of nictune.fleet.nic_model that puts a NIC on ``candidate`` (``{"model", "queues"}``):
    the queues of the multi-queue candidate, 1 for its model with one queue (a multi-queue NIC goes back to one),
    None for the other models (the option is left out)."""
    multi = _models.multiqueue(platform)
    if not multi or candidate.get("model") != multi["model"]:
        return None
    return int(candidate.get("queues") or 1)


def _with_option(candidate, platform):
    return dict(candidate, set_queues=queues_option(candidate, platform))


def _choice_of(remembered):
    return {k: remembered.get(k) for k in ("name", "model", "queues", "set_queues")}


def trial_plan(records, overrides=None, memory=None, max_queues=DEFAULT_MAX_QUEUES, refresh=False):
    """What this run does for each class of :func:`classes`, one step per class:

    * ``recall``: ``memory`` (``{class key: remembered}``, see :func:`settle`) holds the class's choice from an earlier
      run: no trial, every guest goes to it (``refresh`` ignores the memory);
    * ``none``: the class has no sample (nothing to choose): its guests follow their ranked plan;
    * ``in_place``: every guest of the class runs the same candidate and its ranked plan keeps it: no trial, nothing
      changes (``refresh`` tries such a class all the same);
    * ``try``: the sample is tried on its candidates (:func:`candidates`, ``max_queues`` = nic_model_max_queues) -
      its current one first, so the trials start without a switch (``order``).

    Returns :func:`classes`' result with, per class, ``step``, ``why``, ``current`` (the sample's current candidate),
    ``candidates`` (ranking order, each with ``set_queues``: :func:`queues_option`), ``order``, ``choice``
    (``{"name", "model", "queues", "set_queues"}`` for recall and in place, else None); and ``trial_guests`` (the
    samples to try, by name) and ``lines`` (one per class, for the console).
    """
    found = classes(records, overrides)
    memory = memory or {}
    lines, trial_guests = [], []
    for key, entry in found["classes"].items():
        members, sample = entry["members"], entry["sample"]
        record = records[sample] if sample else None
        found_here = {current_candidate(records[m]) for m in members}
        cands = []
        if record is not None:
            cands = [
                _with_option(c, record.get("platform"))
                for c in candidates(record, record.get("vcpus"), max_queues, record.get("ranking"))
            ]
        current = current_candidate(record) if record is not None else None
        remembered = memory.get(key)
        choice = None
        if remembered and not refresh:
            step = "recall"
            choice = _choice_of(remembered)
            why = "chosen by measuring on %s (%s): %s" % (
                remembered.get("sample"),
                remembered.get("decided") or "an earlier run",
                remembered.get("reason"),
            )
        elif sample is None:
            step, why = "none", entry["why"]
        elif not refresh and len(found_here) == 1 and all(records[m].get("action") == "keep" for m in members):
            step = "in_place"
            name = found_here.pop()
            model = _canonical(records[sample].get("current_model"))
            platform = records[sample].get("platform")
            queues = number(((records[sample].get("nics") or [{}])[0] or {}).get("queues")) if name != model else None
            choice = _with_option({"name": name, "model": model, "queues": queues}, platform)
            why = "found in place: every guest of the class runs %s and its plan keeps it" % name
        else:
            step = "try"
            why = "tried on %s: %s" % (sample, ", ".join(c["name"] for c in cands))
            trial_guests.append(sample)
        order = sorted(cands, key=lambda c: c["name"] != current)
        entry.update(step=step, why=why, current=current, candidates=cands, order=order, choice=choice)
        lines.append("class %s (%s): %s" % (key, ", ".join(members), why))
    found.update(trial_guests=trial_guests, lines=lines)
    return found


def medians(trials, name):
    """``{"send_bps", "receive_bps"}``: the median of candidate ``name``'s rounds per direction (None: none)."""
    stats = _stats({name: (trials or {}).get(name) or {}})[name]
    return {"%s_bps" % d: stats[d]["median"] for d in DIRECTIONS}


def trial(entry, trials, rounds, threshold):
    """The trial record of a class's sample guest (what the report's :func:`..report.trials_of` reads).

    ``entry``: the class in :func:`trial_plan`'s result (``key``, ``sample``, ``members``, ``current``,
    ``candidates``). ``trials``: ``{candidate name: {"send": [bits/s per round], "receive": [...], "error"}}``.
    Returns ``{"class", "sample", "members", "current", "candidates", "rounds", "tests", "planned_tests", "decision",
    "choice", "before", "after"}``: ``decision`` is :func:`decide`'s result, ``choice`` the chosen candidate (with
    ``set_queues``), ``before``/``after`` the medians of the current and the chosen candidate (``after`` empty when
    the guest keeps its model), ``tests`` the tests measured and ``planned_tests`` candidates x rounds x 2.
    """
    cands = entry.get("candidates") or []
    decision = decide(entry.get("current"), trials, threshold, [c["name"] for c in cands])
    chosen = next((c for c in cands if c["name"] == decision["choice"]), None)
    if chosen is None:
        raise NicTuneError("the choice %s is none of the candidates tried" % decision["choice"])
    tests = sum(row["tests"] for row in decision["table"])
    return {
        "class": entry.get("key"),
        "sample": entry.get("sample"),
        "members": list(entry.get("members") or []),
        "current": entry.get("current"),
        "candidates": cands,
        "rounds": int(rounds),
        "tests": tests,
        "planned_tests": len(cands) * int(rounds) * len(DIRECTIONS),
        "decision": decision,
        "choice": dict(chosen),
        "before": medians(trials, entry.get("current")),
        "after": {} if decision["kept"] else medians(trials, decision["choice"]),
    }


def trial_lines(found):
    """Console lines of a sample's trial (:func:`trial`): one per candidate (median send and receive, the rounds'
    range), then the choice and its reason."""
    rows = {}
    for row in found["decision"]["table"]:
        rows.setdefault(row["candidate"], {})[row["direction"]] = row
    lines = []
    for name, by_direction in rows.items():
        parts = []
        for direction in DIRECTIONS:
            row = by_direction.get(direction) or {}
            if row.get("median_mbps") is None:
                parts.append("%s not measured" % direction)
            else:
                parts.append("%s %.1f (%.1f-%.1f)" % (direction, row["median_mbps"], row["min_mbps"], row["max_mbps"]))
        lines.append("%s trial %s: %s Mbit/s" % (found["sample"], name, ", ".join(parts)))
    decision = found["decision"]
    verb = "keeps %s" % decision["choice"] if decision["kept"] else "chooses %s" % decision["choice"]
    lines.append(
        "%s %s after %d of %d tests: %s"
        % (found["sample"], verb, found["tests"], found["planned_tests"], decision["reason"])
    )
    return lines


def _remember(key, found, decided=None, report_dir=None):
    decision = found["decision"]
    return dict(
        _choice_of(found["choice"]),
        kept=decision["kept"],
        reason=decision["reason"],
        sample=found["sample"],
        members=found["members"],
        rounds=found["rounds"],
        table=[
            {k: row[k] for k in ("candidate", "direction", "median_mbps", "spread", "tests")}
            for row in decision["table"]
        ],
        decided=decided,
        report_dir=report_dir,
        **{"class": key},
    )


def _member_update(record, info, choice, why):
    """What a guest of a class (not its tried sample) does with the class's ``choice``."""
    name = choice["name"]
    update = {"choice": dict(info, choice=name)}
    if current_candidate(record) == name:
        return dict(update, action="keep", reason="already on %s, the measured choice of its class (%s)" % (name, why))
    if choice["model"] not in _models_of(record, record.get("ranking")):
        return dict(
            update, action="skip", reason="the measured choice of its class, %s, is not a model it can take" % name
        )
    blocked = record.get("switch_blocked")
    if blocked or not record.get("switch"):
        return dict(update, action="skip", reason=blocked or "the upgrade cannot select this domain")
    update.update(
        action="switch",
        target_model=choice["model"],
        target_queues=choice.get("set_queues"),
        target_candidate=name,
        reason="the measured choice of its class, %s (%s)" % (name, why),
    )
    update["method"] = planned_method(dict(record, **update))
    return update


def settle(records, plan, memory=None, check_mode=False, decided=None, report_dir=None):
    """Every guest of a class with the class's choice, once the samples were tried.

    ``records``: ``{name: nic_model_guest}`` (the samples' records carry their ``trial``, see :func:`trial`).
    ``plan``: :func:`trial_plan`'s result. ``memory``: the remembered choices (``{class key: ...}``).
    Returns ``{"guests": {name: fields to add to its record}, "memory": the choices to remember (the old ones with
    this run's trials), "lines": one per class}``. A tried sample's record is its own (written by the trials); the
    others get ``action`` (``switch`` to the choice, ``keep`` when they run it, ``skip`` when they cannot take it or
    the trial did not finish), ``reason`` and, to switch, ``target_model``, ``target_queues`` (the ``queues`` option,
    None to leave it out) and ``method``. In check mode nothing was tried: the guests of a class to try keep their
    model, with the reason. Every guest of a class gets ``choice``: ``{"class", "step", "why", "choice"}``.
    """
    memory = dict(memory or {})
    guests, lines = {}, []
    for key, entry in (plan.get("classes") or {}).items():
        step, why, sample = entry.get("step"), entry.get("why"), entry.get("sample")
        info = {"class": key, "step": step, "why": why, "choice": None}
        choice = entry.get("choice")
        if step == "try":
            found = (records.get(sample) or {}).get("trial")
            if check_mode:
                reason = "check mode: the class would be tried on %s (%s) before anything is chosen" % (
                    sample,
                    ", ".join(c["name"] for c in entry.get("candidates") or []),
                )
                for name in entry["members"]:
                    guests[name] = {"action": "keep", "reason": reason, "choice": info}
                lines.append("class %s: %s" % (key, reason))
                continue
            if not found or not found.get("decision"):
                reason = "no choice: the trials on %s did not finish" % sample
                for name in entry["members"]:
                    if name != sample:
                        guests[name] = {"action": "skip", "reason": reason, "choice": info}
                lines.append("class %s: %s" % (key, reason))
                continue
            choice = found["choice"]
            why = "tried on %s: %s" % (sample, found["decision"]["reason"])
            info.update(why=why)
            memory[key] = _remember(key, found, decided, report_dir)
        if step == "none" or choice is None:
            for name in entry["members"]:
                guests[name] = {"choice": info}
            lines.append("class %s: %s" % (key, why))
            continue
        for name in entry["members"]:
            if step == "try" and name == sample:
                guests[name] = {"choice": dict(info, choice=choice["name"], tried=True)}
            else:
                guests[name] = _member_update(records[name], info, choice, why)
        lines.append("class %s: %s (%s)" % (key, choice["name"], why))
    return {"guests": guests, "memory": memory, "lines": lines}
