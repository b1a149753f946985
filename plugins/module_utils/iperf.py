# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure cores of the iperf_probe role (no Ansible imports here).

* ``summarize``: one iperf3 ``-J`` output (normal, ``-R``, error, truncated or empty) -> a flat summary;
* ``plan_schedule``: tests ``(host, endpoint, direction)`` -> a timeline in which no endpoint and no host
  runs two tests at once, and tests on different endpoints run side by side;
* ``client_args``, ``host_plan``, ``collection_points``: what each guest runs and when the controller
  collects it;
* ``build_rows``, ``find_overlaps``: what the guests reported -> result rows (controller clock) and checks.
"""

from __future__ import annotations

import json
import re

from .errors import NicTuneError

DIRECTIONS = ("send", "receive")
BUSY_MARK = "server is busy"
# iperf3's words when -w asks for more than the kernel allows (net.core.rmem_max / wmem_max), and what to do.
WINDOW_MARK = "socket buffer size not set correctly"
WINDOW_HINT = (
    " (the -w window is larger than net.core.rmem_max / net.core.wmem_max allow on the guest or the endpoint:"
    " raise those sysctls to at least the window on both ends, or set a smaller iperf_probe_window)"
)

_ERROR_RE = re.compile(r'"error"\s*:\s*"((?:[^"\\]|\\.)*)"')
_WINDOW_RE = re.compile(r"^[0-9]+(\.[0-9]+)?[KMGkmg]?$")


def _num(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def load_output(data):
    """Return ``(document, error)`` for an iperf3 ``-J`` output given as text, bytes or an already parsed dict.

    ``document`` is None when nothing usable could be read; ``error`` then says why (empty output, truncated or
    invalid JSON, with the iperf3 error message when one can still be found in the text).
    """
    if isinstance(data, dict):
        return data, None
    if data is None:
        return None, "no output (iperf3 printed nothing)"
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if not isinstance(data, str):
        return None, "unexpected iperf3 output of type %s" % type(data).__name__
    text = data.strip()
    if not text:
        return None, "no output (iperf3 printed nothing)"
    try:
        doc = json.loads(text)
    except ValueError:
        found = _ERROR_RE.search(text)
        if found:
            try:
                message = json.loads('"%s"' % found.group(1))
            except ValueError:
                message = found.group(1)
            return None, "%s (truncated output)" % message
        if text.startswith("{"):
            return None, "truncated JSON output (%d characters): iperf3 was stopped before it finished" % len(text)
        first = text.splitlines()[0][:200]
        return None, "not iperf3 JSON output: %s" % first
    if not isinstance(doc, dict):
        return None, "not iperf3 JSON output: top level is %s" % type(doc).__name__
    return doc, None


def _hinted(error):
    """iperf3's error, with what to do when its words alone do not say it."""
    if error and WINDOW_MARK in error:
        return error + WINDOW_HINT
    return error


def summarize(data, direction=None):
    """Summarise one iperf3 ``-J`` output.

    Returns a dict with ``ok``, ``error``, ``direction`` (``send`` for a normal run, ``receive`` for ``-R``),
    ``bits_per_second`` (what the receiving side counted, the figure to compare), ``bits_per_second_sent``,
    ``bits_per_second_received``, ``bytes_sent``, ``bytes_received``, ``retransmits`` (TCP sender side, None when
    iperf3 did not report them), ``cpu_local_percent`` (where ``iperf3 -c`` ran), ``cpu_remote_percent`` (the
    server), ``seconds`` (measured), ``duration`` and ``omit`` (asked), ``streams``, ``protocol``, ``start``
    (epoch seconds, whole seconds as iperf3 prints them), ``end`` (start + omit + measured seconds), ``local_host``,
    ``remote_host``, ``remote_port`` and ``version``. Fields iperf3 did not give are None; nothing is invented.
    """
    out = {
        "ok": False,
        "error": None,
        "direction": direction if direction in DIRECTIONS else None,
        "protocol": None,
        "streams": None,
        "duration": None,
        "omit": None,
        "seconds": None,
        "bits_per_second": None,
        "bits_per_second_sent": None,
        "bits_per_second_received": None,
        "bytes_sent": None,
        "bytes_received": None,
        "retransmits": None,
        "cpu_local_percent": None,
        "cpu_remote_percent": None,
        "start": None,
        "end": None,
        "local_host": None,
        "remote_host": None,
        "remote_port": None,
        "version": None,
        "cookie": None,
    }
    doc, error = load_output(data)
    if doc is None:
        out["error"] = _hinted(error)
        return out
    start = doc.get("start") if isinstance(doc.get("start"), dict) else {}
    end = doc.get("end") if isinstance(doc.get("end"), dict) else {}
    test = start.get("test_start") if isinstance(start.get("test_start"), dict) else {}
    out["version"] = start.get("version")
    out["cookie"] = start.get("cookie") if isinstance(start.get("cookie"), str) else None
    out["protocol"] = test.get("protocol")
    out["streams"] = _num(test.get("num_streams"))
    out["duration"] = _num(test.get("duration"))
    out["omit"] = _num(test.get("omit"))
    if "reverse" in test:
        out["direction"] = "receive" if test.get("reverse") else "send"
    connected = start.get("connected") or []
    if connected and isinstance(connected[0], dict):
        out["local_host"] = connected[0].get("local_host")
        out["remote_host"] = connected[0].get("remote_host")
        out["remote_port"] = connected[0].get("remote_port")
    elif isinstance(start.get("connecting_to"), dict):
        out["remote_host"] = start["connecting_to"].get("host")
        out["remote_port"] = start["connecting_to"].get("port")
    stamp = start.get("timestamp") if isinstance(start.get("timestamp"), dict) else {}
    out["start"] = _num(stamp.get("timesecs"))

    sent = end.get("sum_sent") if isinstance(end.get("sum_sent"), dict) else {}
    received = end.get("sum_received") if isinstance(end.get("sum_received"), dict) else {}
    if not sent and not received and isinstance(end.get("sum"), dict):  # UDP
        sent = received = end["sum"]
    out["bits_per_second_sent"] = _num(sent.get("bits_per_second"))
    out["bits_per_second_received"] = _num(received.get("bits_per_second"))
    out["bytes_sent"] = _num(sent.get("bytes"))
    out["bytes_received"] = _num(received.get("bytes"))
    out["retransmits"] = _num(sent.get("retransmits"))
    out["seconds"] = _num(received.get("seconds")) or _num(sent.get("seconds"))
    cpu = end.get("cpu_utilization_percent") if isinstance(end.get("cpu_utilization_percent"), dict) else {}
    out["cpu_local_percent"] = _num(cpu.get("host_total"))
    out["cpu_remote_percent"] = _num(cpu.get("remote_total"))
    if out["start"] is not None and out["seconds"] is not None:
        out["end"] = out["start"] + (out["omit"] or 0) + out["seconds"]

    if doc.get("error"):
        out["error"] = _hinted(str(doc["error"]))
    elif out["bits_per_second_received"] is None and out["bits_per_second_sent"] is None:
        out["error"] = "iperf3 reported no result (no end.sum_sent / end.sum_received)"
    else:
        out["ok"] = True
        out["bits_per_second"] = (
            out["bits_per_second_received"]
            if out["bits_per_second_received"] is not None
            else out["bits_per_second_sent"]
        )
    if not out["ok"]:
        out["bits_per_second"] = None
    return out


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
        if not _WINDOW_RE.match(str(window)):
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


def _runner_tests(output):
    if isinstance(output, str):
        try:
            output = json.loads(output) if output.strip() else {}
        except ValueError:
            return {}, "the probe runner's output is not JSON: %s" % output.strip()[:200]
    if not isinstance(output, dict):
        return {}, "the probe runner gave no output"
    tests = {}
    for entry in output.get("tests") or []:
        if isinstance(entry, dict) and entry.get("id"):
            tests[entry["id"]] = entry
    return tests, output.get("error")


def build_rows(schedule, host, output, clock_offset=0.0, failure=None):
    """Result rows of ``host`` (one per planned test) from what its runner printed.

    ``output`` is the runner's JSON (text or dict) or None; ``failure`` a reason that applies to every test of the
    host not reported (unreachable, runner killed, ...). Times are on the controller's clock.
    """
    offset = _num(clock_offset) or 0.0
    reported, runner_error = _runner_tests(output) if output is not None else ({}, None)
    rows = []
    for t in schedule["tests"]:
        if t["host"] != host:
            continue
        row = {
            "host": host,
            "endpoint": t["endpoint"],
            "direction": t["direction"],
            "bits_per_second": None,
            "mbit_per_second": None,
            "retransmits": None,
            "start": None,
            "end": None,
            "planned_start": t["start"],
            "error": None,
            "bits_per_second_sent": None,
            "bits_per_second_received": None,
            "cpu_local_percent": None,
            "cpu_remote_percent": None,
            "seconds": None,
            "attempts": None,
            "cookie": None,
            "clock": None,
        }
        entry = reported.get(t["id"])
        if entry is None:
            row["error"] = failure or runner_error or "no result from the guest"
            rows.append(row)
            continue
        summary = summarize(entry.get("stdout"), t["direction"])
        for key in (
            "bits_per_second",
            "retransmits",
            "bits_per_second_sent",
            "bits_per_second_received",
            "cpu_local_percent",
            "cpu_remote_percent",
            "seconds",
            "cookie",
        ):
            row[key] = summary[key]
        if row["bits_per_second"] is not None:
            row["mbit_per_second"] = round(row["bits_per_second"] / 1e6, 1)
        if _num(entry.get("started")) is not None:
            row["start"] = round(_num(entry["started"]) - offset, 3)
        if _num(entry.get("ended")) is not None:
            row["end"] = round(_num(entry["ended"]) - offset, 3)
        if row["start"] is not None:
            row["clock"] = "guest"
        row["attempts"] = entry.get("attempts")
        error = summary["error"]
        if entry.get("timed_out"):
            error = "timeout: iperf3 was stopped after %s s%s" % (
                entry.get("kill_after"),
                " (%s)" % error if error and "truncated" not in error and "no output" not in error else "",
            )
        elif error and entry.get("stderr"):
            error = "%s; stderr: %s" % (error, str(entry["stderr"]).strip()[:300])
        if error and entry.get("error"):
            error = "%s (%s)" % (entry["error"], error)
        row["error"] = error
        rows.append(row)
    return rows


def parse_server_log(text):
    """Tests seen by an iperf3 server, from the timing log the probe's supervisor writes on the endpoint.

    Each line is ``<epoch seconds> <line of iperf3 -s -V>``. A test starts at ``Accepted connection from H, port P``
    (followed by ``Cookie: C``) and ends at the first ``Test Complete``, error or ``Server listening`` after it.
    Returns ``{cookie: {"start", "end", "remote_host", "remote_port"}}``; a test still running has ``end`` None.
    Lines that do not parse are skipped: the log is a record, not an input to trust blindly.
    """
    tests = {}
    current = None
    accepted = None
    for raw in (text or "").splitlines():
        stamp, _sep, line = raw.strip().partition(" ")
        when = _num(stamp)
        if when is None or not line:
            continue
        if line.startswith("Accepted connection from"):
            host_port = line[len("Accepted connection from") :].strip()
            host, _sep, port = host_port.rpartition(", port ")
            accepted = {"start": when, "end": None, "remote_host": host or None, "remote_port": _num(port)}
            current = None
        elif line.startswith("Cookie:") and accepted is not None:
            current = line[len("Cookie:") :].strip()
            if current:
                tests[current] = accepted
            accepted = None
        elif current is not None and (
            line.startswith("Test Complete") or line.startswith("Server listening") or "error" in line
        ):
            tests[current]["end"] = when
            current = None
    return tests


def apply_endpoint_times(rows, logs):
    """Rows with ``start``/``end`` taken from the endpoint's clock where its server log has the test's cookie.

    ``logs`` maps an endpoint to its timing log text (see parse_server_log). Every test on one endpoint is then
    timed by one clock, and the server runs one test at a time, so such rows never overlap by a clock error. The
    guest's own times stay in ``guest_start``/``guest_end``; rows without a match keep the guest's clock.
    """
    parsed = {str(ep): parse_server_log(text) for ep, text in (logs or {}).items()}
    out = []
    for given in rows:
        row = dict(given)
        seen = parsed.get(str(row.get("endpoint")), {}).get(row.get("cookie") or "")
        if seen and seen["end"] is not None:
            row["guest_start"], row["guest_end"] = row.get("start"), row.get("end")
            row["start"], row["end"] = round(seen["start"], 3), round(seen["end"], 3)
            row["clock"] = "endpoint"
        out.append(row)
    return out


def find_overlaps(rows, key="endpoint"):
    """Pairs of rows sharing ``key`` (an endpoint, or a host) whose [start, end] intervals overlap."""
    by_key = {}
    for row in rows:
        if _num(row.get("start")) is None or _num(row.get("end")) is None:
            continue
        by_key.setdefault(row.get(key), []).append(row)
    overlaps = []
    for value, unsorted in sorted(by_key.items(), key=lambda kv: str(kv[0])):
        items = sorted(unsorted, key=lambda r: r["start"])
        for prev, cur in zip(items, items[1:]):
            if cur["start"] < prev["end"]:
                overlaps.append(
                    {
                        key: value,
                        "first": "%s %s" % (prev["host"], prev["direction"]),
                        "second": "%s %s" % (cur["host"], cur["direction"]),
                        "seconds": round(prev["end"] - cur["start"], 3),
                    }
                )
    return overlaps


def progress_line(row):
    """One line for a finished test: host, direction, endpoint and Mbit/s, or the error."""
    if row.get("error"):
        return "%s %s [%s]: FAILED: %s" % (row["host"], row["direction"], row["endpoint"], row["error"])
    return "%s %s [%s]: %.1f Mbit/s (retransmits %s)" % (
        row["host"],
        row["direction"],
        row["endpoint"],
        row["bits_per_second"] / 1e6,
        "n/a" if row.get("retransmits") is None else int(row["retransmits"]),
    )
