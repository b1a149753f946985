# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's results (no Ansible imports): what each guest's runner printed -> one row per planned test (on the
controller's clock, or the endpoint's where its server's timing log knows the test), and the checks on them."""

from __future__ import annotations

import json

from .._common.values import number as _num
from .iperf3 import summarize


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


def throughput(rows):
    """Result rows of one guest -> ``{"send_bps", "receive_bps", "errors"}`` (None where not measured)."""
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


def status_failure(status):
    """Why a guest's runner gave no usable output, from its ``async_status`` result (None: it did)."""
    if not status:
        return None
    if status.get("unreachable"):
        return "guest unreachable while collecting: %s" % str(status.get("msg") or "").strip()
    if status.get("failed") or (status.get("rc") or 0) != 0:
        detail = str(status.get("msg") or status.get("stderr") or "").strip()[:300]
        return "the probe runner failed: %s" % detail
    if not status.get("finished"):
        return "the probe runner did not finish in time"
    return None


def host_rows(schedule, host, status, clock_offset=0.0):
    """Rows of ``host`` from its runner's ``async_status`` result (None when it was never collected)."""
    if status is None:
        return build_rows(
            schedule, host, None, 0.0, "no result: the guest failed or became unreachable during the probe"
        )
    output = status.get("stdout", status.get("result"))
    rows = build_rows(schedule, host, output, clock_offset, status_failure(status))
    for row in rows:
        row["line"] = progress_line(row)
    return rows


def all_rows(plan, statuses, hosts, directions):
    """Every row of the probe: each guest's tests, the tests that could not run, and a row per direction for a
    guest that failed before its tests were planned. ``statuses``: ``{host: async_status result or None}``."""
    schedule = plan["schedule"]
    offsets = plan.get("offsets") or {}
    rows = []
    planned_hosts = {t["host"] for t in schedule["tests"]}
    for host in hosts:
        if host in planned_hosts:
            rows.extend(host_rows(schedule, host, statuses.get(host), offsets.get(host, 0.0)))
    for test in plan.get("tests") or []:
        if not test["runnable"]:
            rows.append(_failed_row(test["host"], test["endpoint"], test["direction"], test["reason"]))
    seen = {row["host"] for row in rows}
    for host in hosts:
        if host not in seen:
            for direction in directions:
                rows.append(
                    _failed_row(
                        host, None, direction, "the guest failed or was unreachable before its tests were planned"
                    )
                )
    for row in rows:
        row["line"] = progress_line(row)
    return rows


def _failed_row(host, endpoint, direction, reason):
    return {
        "host": host,
        "endpoint": endpoint,
        "direction": direction,
        "bits_per_second": None,
        "retransmits": None,
        "start": None,
        "end": None,
        "error": reason,
    }
