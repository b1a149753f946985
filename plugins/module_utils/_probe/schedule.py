# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's plan (no Ansible imports): which tests run, when (no endpoint and no host runs two tests at
once; tests on different endpoints run side by side), what each guest runs, and when the controller
collects it."""

from __future__ import annotations

import re

from .._common.errors import NicTuneError
from .._common.values import number as _num
from .iperf3 import DIRECTIONS

_WINDOW_RE = re.compile(r"^[0-9]+(\.[0-9]+)?[KMGkmg]?$")


def valid_window(window):
    """True when ``window`` is an iperf3 ``-w`` size (``4M``, ``512K``, ``65536``)."""
    return bool(_WINDOW_RE.match(str(window)))


def assign_tests(hosts, endpoints, directions=DIRECTIONS, pinned=None, ready=None, down=None):
    """The tests to run: each host, in the order given, against its pinned endpoint or the next one in turn.

    ``pinned`` maps a host to an endpoint (empty: none); ``ready`` lists the hosts able to run iperf3 (None: all);
    ``down`` maps an endpoint that could not be prepared to the reason. A test that cannot run carries
    ``runnable: False`` and the ``reason``.
    """
    endpoints = [str(e) for e in endpoints or []]
    if not endpoints:
        raise NicTuneError("no endpoint to test against: set iperf_probe_endpoints or fill the iperf_endpoints group")
    pinned = pinned or {}
    down = down or {}
    ready = None if ready is None else {str(h) for h in ready}
    out = []
    turn = 0
    for name in hosts or []:
        host = str(name)
        endpoint = str(pinned.get(host) or "")
        if not endpoint:
            endpoint = endpoints[turn % len(endpoints)]
            turn += 1
        for direction in directions:
            if direction not in DIRECTIONS:
                raise NicTuneError("direction must be one of %s, got %r" % (", ".join(DIRECTIONS), direction))
            reason = None
            if endpoint in down:
                reason = str(down[endpoint])
            elif ready is not None and host not in ready:
                reason = "iperf3 is not available on the guest (iperf_probe_install is off or the install failed)"
            out.append(
                {
                    "host": host,
                    "endpoint": endpoint,
                    "direction": direction,
                    "runnable": reason is None,
                    "reason": reason,
                }
            )
    return out


def _test_key(test):
    if isinstance(test, dict):
        try:
            return str(test["host"]), str(test["endpoint"]), str(test["direction"])
        except KeyError as exc:
            raise NicTuneError("schedule: test %r has no %s" % (test, exc))
    if isinstance(test, (list, tuple)) and len(test) == 3:
        return str(test[0]), str(test[1]), str(test[2])
    raise NicTuneError("schedule: a test is (host, endpoint, direction) or a dict with those keys, got %r" % (test,))


def plan_schedule(tests, test_seconds, gap=1.0, start=0.0):
    """Place ``tests`` on a timeline of equal slots of ``test_seconds + gap`` seconds.

    Each test goes, in the order given, to the first slot (round) in which neither its endpoint nor its host is
    busy: an iperf3 server runs one test at a time and two tests sharing an endpoint (or a guest) distort each
    other; tests on different endpoints share a round and run in parallel. ``start`` is the time of round 0
    (epoch seconds on the controller, or 0 for offsets).

    Returns ``{"slot", "gap", "test_seconds", "start", "rounds", "span", "tests": [...], "endpoints": {...}}``;
    each test carries ``id``, ``host``, ``endpoint``, ``direction``, ``round``, ``offset``, ``start`` and
    ``end`` (planned), ``endpoints`` per endpoint the number of tests and the seconds of testing (``busy``).
    """
    seconds = _num(test_seconds)
    gap = _num(gap)
    base = _num(start)
    if seconds is None or seconds <= 0:
        raise NicTuneError("schedule: test_seconds must be a positive number, got %r" % (test_seconds,))
    if gap is None or gap < 0:
        raise NicTuneError("schedule: gap must be a number >= 0, got %r" % (gap,))
    if base is None:
        raise NicTuneError("schedule: start must be a number (epoch seconds), got %r" % (start,))
    slot = seconds + gap
    busy_endpoint = {}
    busy_host = {}
    planned = []
    seen = set()
    for test in tests or []:
        host, endpoint, direction = _test_key(test)
        if direction not in DIRECTIONS:
            raise NicTuneError("schedule: direction must be one of %s, got %r" % (", ".join(DIRECTIONS), direction))
        if (host, endpoint, direction) in seen:
            raise NicTuneError("schedule: test %s -> %s %s is listed twice" % (host, endpoint, direction))
        seen.add((host, endpoint, direction))
        ep_rounds = busy_endpoint.setdefault(endpoint, set())
        host_rounds = busy_host.setdefault(host, set())
        rnd = 0
        while rnd in ep_rounds or rnd in host_rounds:
            rnd += 1
        ep_rounds.add(rnd)
        host_rounds.add(rnd)
        offset = rnd * slot
        planned.append(
            {
                "id": "%s__%s__%s" % (host, endpoint, direction),
                "host": host,
                "endpoint": endpoint,
                "direction": direction,
                "round": rnd,
                "offset": round(offset, 3),
                "start": round(base + offset, 3),
                "end": round(base + offset + seconds, 3),
            }
        )
    planned.sort(key=lambda t: (t["round"], t["endpoint"], t["host"]))
    rounds = 1 + max([t["round"] for t in planned]) if planned else 0
    endpoints = {}
    for t in planned:
        info = endpoints.setdefault(t["endpoint"], {"tests": 0, "busy": 0.0})
        info["tests"] += 1
        info["busy"] = round(info["busy"] + seconds, 3)
    return {
        "slot": round(slot, 3),
        "gap": gap,
        "test_seconds": seconds,
        "start": base,
        "rounds": rounds,
        "span": round(rounds * slot - gap, 3) if rounds else 0.0,
        "tests": planned,
        "endpoints": endpoints,
    }


def schedule_lines(schedule):
    """Human-readable lines of a schedule from ``plan_schedule`` (what the controller prints)."""
    lines = [
        "%d test(s) in %d round(s) of %.1f s (%.1f s of test + %.1f s gap) on %d endpoint(s): %.1f s in all"
        % (
            len(schedule["tests"]),
            schedule["rounds"],
            schedule["slot"],
            schedule["test_seconds"],
            schedule["gap"],
            len(schedule["endpoints"]),
            schedule["span"],
        )
    ]
    for t in schedule["tests"]:
        lines.append(
            "round %d  +%7.1f s  %s <- %s %s" % (t["round"], t["offset"], t["endpoint"], t["host"], t["direction"])
        )
    return lines


def clock_offset(lines):
    """Seconds the guest clock is ahead of the controller's, from ``[controller_time, guest_time, ...]``.

    Both are epoch seconds printed by one command: the controller's time templated into it just before it was sent,
    and the guest's ``date +%s.%N`` when it ran; the difference is the offset plus the latency of that one trip.
    """
    try:
        controller, guest = float(str(lines[0]).strip()), float(str(lines[1]).strip().replace(",", "."))
    except (IndexError, TypeError, ValueError):
        raise NicTuneError("clock: expected two lines of epoch seconds, got %r" % (lines,))
    return round(guest - controller, 3)


def client_args(
    address,
    port,
    direction,
    duration,
    omit=0,
    parallel=1,
    window=None,
    connect_timeout=None,
    stall_timeout=None,
    extra=None,
):
    """The iperf3 client arguments (after the executable) of one test; ``-J`` always, ``-R`` for ``receive``."""
    if direction not in DIRECTIONS:
        raise NicTuneError("direction must be one of %s, got %r" % (", ".join(DIRECTIONS), direction))
    if not address:
        raise NicTuneError("the endpoint address is empty")
    args = ["-c", str(address), "-p", str(int(port)), "-t", str(int(duration)), "-J"]
    if int(omit or 0):
        args += ["-O", str(int(omit))]
    if int(parallel or 1) != 1:
        args += ["-P", str(int(parallel))]
    if window not in (None, "", 0, "0"):
        if not valid_window(window):
            raise NicTuneError("window must look like 4M, 512K or 65536, got %r" % (window,))
        args += ["-w", str(window)]
    if connect_timeout:
        args += ["--connect-timeout", str(int(float(connect_timeout) * 1000))]
    if direction == "receive":
        args.append("-R")
        if stall_timeout:
            args += ["--rcv-timeout", str(int(float(stall_timeout) * 1000))]
    elif stall_timeout:
        args += ["--snd-timeout", str(int(float(stall_timeout) * 1000))]
    args += [str(a) for a in (extra or [])]
    return args


def host_plan(schedule, host, addresses, settings, clock_offset=0.0):
    """What ``host`` runs: its tests of ``schedule`` with the iperf3 arguments and start times on its own clock.

    ``addresses`` maps an endpoint to the address the guest connects to; ``settings`` holds ``port``,
    ``duration``, ``omit``, ``parallel``, ``window``, ``connect_timeout``, ``stall_timeout``, ``timeout`` (seconds
    a test may take beyond its planned length before it is stopped) and ``busy_wait`` (seconds a test keeps trying
    while its server is still busy). ``clock_offset`` is the host clock minus the controller clock.
    """
    offset = _num(clock_offset) or 0.0
    test_seconds = _num(settings.get("duration")) + (_num(settings.get("omit")) or 0)
    timeout = _num(settings.get("timeout"))
    if timeout is None:
        timeout = 30.0
    busy_wait = _num(settings.get("busy_wait"))
    if busy_wait is None:
        busy_wait = 10.0
    # A runner that starts late (a slow guest) must not give up while the endpoint's server works through the
    # other guests' tests: it may wait as long as that endpoint's whole planned span, plus busy_wait.
    spans = {}
    for t in schedule["tests"]:
        first, last = spans.get(t["endpoint"], (t["start"], t["end"]))
        spans[t["endpoint"]] = (min(first, t["start"]), max(last, t["end"]))
    tests = []
    for t in schedule["tests"]:
        if t["host"] != host:
            continue
        address = (addresses or {}).get(t["endpoint"]) or t["endpoint"]
        tests.append(
            {
                "id": t["id"],
                "endpoint": t["endpoint"],
                "direction": t["direction"],
                "at": round(t["start"] + offset, 3),
                "busy_until": round(t["start"] + offset + busy_wait, 3),
                "busy_for": round(spans[t["endpoint"]][1] - spans[t["endpoint"]][0] + busy_wait, 3),
                "kill_after": round(test_seconds + timeout, 3),
                "args": client_args(
                    address,
                    settings.get("port", 5201),
                    t["direction"],
                    settings.get("duration"),
                    omit=settings.get("omit"),
                    parallel=settings.get("parallel"),
                    window=settings.get("window"),
                    connect_timeout=settings.get("connect_timeout"),
                    stall_timeout=settings.get("stall_timeout"),
                    extra=settings.get("extra_args"),
                ),
            }
        )
    last = max([t["at"] for t in tests]) if tests else offset
    return {"host": host, "clock_offset": offset, "tests": tests, "finish": round(last - offset + test_seconds, 3)}


def collection_points(schedule, min_interval=0.0, margin=1.0):
    """When the controller collects whom: hosts grouped by the planned end of their last test.

    A host is collected ``margin`` seconds after its last test should end; hosts finishing within
    ``min_interval`` seconds of the first of a group are collected together. Returns
    ``[{"at": epoch, "hosts": [...]}]`` in time order.
    """
    finish = {}
    for t in schedule["tests"]:
        finish[t["host"]] = max(finish.get(t["host"], t["end"]), t["end"])
    points = []
    for host, end in sorted(finish.items(), key=lambda kv: (kv[1], kv[0])):
        if points and end - points[-1]["first"] <= (_num(min_interval) or 0.0):
            points[-1]["hosts"].append(host)
            points[-1]["at"] = round(max(points[-1]["at"], end + margin), 3)
        else:
            points.append({"first": end, "at": round(end + margin, 3), "hosts": [host]})
    return [{"at": p["at"], "hosts": p["hosts"]} for p in points]
