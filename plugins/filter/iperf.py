# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the iperf_probe role (docs in the sidecar .yml files): iperf3_summary, iperf_tests, iperf_schedule,
iperf_schedule_lines, iperf_clock_offset, iperf_host_plan, iperf_collection_points, iperf_probe_rows,
iperf_endpoint_times, iperf_overlaps, iperf_report."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import iperf3, report, results, schedule


def _plain(value):
    """Ansible's lazy/tagged containers -> plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def iperf3_summary(data, direction=None):
    """iperf3 -J output (text or parsed) -> summary dict (see the module_utils docstring)."""
    return iperf3.summarize(_plain(data), direction)


def iperf_schedule(tests, test_seconds, gap=1.0, start=0.0, lines=False):
    """[(host, endpoint, direction)] -> timeline; with lines=True the printable lines instead."""
    try:
        planned = schedule.plan_schedule(_plain(tests), test_seconds, gap=gap, start=start)
    except NicTuneError as exc:
        raise AnsibleFilterError("iperf_schedule: %s" % exc)
    return schedule.schedule_lines(planned) if lines else planned


def iperf_tests(hosts, endpoints, directions=iperf3.DIRECTIONS, pinned=None, ready=None, down=None):
    """Hosts -> the tests to run (host, endpoint, direction, runnable, reason), endpoints given in turn."""
    try:
        return schedule.assign_tests(
            _plain(hosts), _plain(endpoints), _plain(directions), _plain(pinned), _plain(ready), _plain(down)
        )
    except NicTuneError as exc:
        raise AnsibleFilterError("iperf_tests: %s" % exc)


def iperf_schedule_lines(planned):
    """Printable lines of a schedule made by iperf_schedule."""
    return schedule.schedule_lines(_plain(planned))


def iperf_clock_offset(lines):
    """[controller_time, guest_time, ...] (two lines printed by one command) -> guest minus controller, seconds."""
    try:
        return schedule.clock_offset(_plain(lines))
    except NicTuneError as exc:
        raise AnsibleFilterError("iperf_clock_offset: %s" % exc)


def iperf_host_plan(planned, host, addresses, settings, clock_offset=0.0):
    """What one guest runs (tests, iperf3 arguments, start times on its clock)."""
    try:
        return schedule.host_plan(_plain(planned), str(host), _plain(addresses), _plain(settings), clock_offset)
    except (NicTuneError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("iperf_host_plan: %s" % exc)


def iperf_collection_points(planned, min_interval=0.0, margin=1.0):
    """When the controller collects which guests."""
    return schedule.collection_points(_plain(planned), min_interval, margin)


def iperf_probe_rows(planned, host, output, clock_offset=0.0, failure=None):
    """Result rows of one guest from its runner's JSON output."""
    rows = results.build_rows(_plain(planned), str(host), _plain(output), clock_offset, failure)
    for row in rows:
        row["line"] = results.progress_line(row)
    return rows


def iperf_endpoint_times(rows, logs):
    """Result rows timed by the endpoints' clocks where their servers' timing logs know the test."""
    rows = results.apply_endpoint_times(_plain(rows), _plain(logs))
    for row in rows:
        row["line"] = results.progress_line(row)
    return rows


def iperf_overlaps(rows, key="endpoint"):
    """Pairs of results sharing an endpoint (or host) whose start/end intervals overlap."""
    return results.find_overlaps(_plain(rows), key)


def iperf_report(rows, fmt="json", meta=None, baseline=None, title="iperf3 probe"):
    """Result rows -> report.json / report.csv / report.md / report.html text."""
    try:
        return report.render(_plain(rows), str(fmt), _plain(meta), _plain(baseline), str(title))
    except NicTuneError as exc:
        raise AnsibleFilterError("iperf_report: %s" % exc)


class FilterModule:
    def filters(self):
        return {
            "iperf3_summary": iperf3_summary,
            "iperf_schedule": iperf_schedule,
            "iperf_tests": iperf_tests,
            "iperf_schedule_lines": iperf_schedule_lines,
            "iperf_clock_offset": iperf_clock_offset,
            "iperf_host_plan": iperf_host_plan,
            "iperf_collection_points": iperf_collection_points,
            "iperf_probe_rows": iperf_probe_rows,
            "iperf_endpoint_times": iperf_endpoint_times,
            "iperf_overlaps": iperf_overlaps,
            "iperf_report": iperf_report,
        }
