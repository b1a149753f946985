# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's plan as one step (no Ansible imports): settings checked, tests assigned and scheduled, what each
guest runs and when the controller collects whom.

:func:`check_settings` runs before anything is touched and names the role variable of a bad value.
"""

from __future__ import annotations

from .._common.errors import NicTuneError
from .._common.values import number
from . import schedule as _schedule
from .iperf3 import DIRECTIONS

# setting -> (role variable, kind, lowest allowed, highest allowed)
_SETTINGS = {
    "duration": ("iperf_probe_duration", int, 1, None),
    "omit": ("iperf_probe_omit", int, 0, None),
    "parallel": ("iperf_probe_parallel", int, 1, 128),
    "port": ("iperf_probe_port", int, 1, 65535),
    "gap": ("iperf_probe_gap", float, 0, None),
    "timeout": ("iperf_probe_timeout", float, 1, None),
    "connect_timeout": ("iperf_probe_connect_timeout", float, 0.1, None),
    "stall_timeout": ("iperf_probe_stall_timeout", float, 0, None),
    "busy_wait": ("iperf_probe_busy_wait", float, 0, None),
    "start_margin": ("iperf_probe_start_margin", float, 0, None),
    "lease_timeout": ("iperf_probe_lease_timeout", float, 0, None),
}


def check_settings(settings, directions, endpoints):
    """The settings as numbers; NicTuneError naming the role variable of the first bad one."""
    out = {}
    for key, (variable, kind, low, high) in _SETTINGS.items():
        value = (settings or {}).get(key)
        parsed = number(value)
        if parsed is None or (kind is int and float(parsed) != int(parsed)):
            raise NicTuneError(
                "%s must be %s, got %r" % (variable, "a whole number" if kind is int else "a number", value)
            )
        parsed = kind(parsed)
        if parsed < low or (high is not None and parsed > high):
            bounds = "between %s and %s" % (low, high) if high is not None else "at least %s" % low
            raise NicTuneError("%s must be %s, got %r" % (variable, bounds, value))
        out[key] = parsed
    window = (settings or {}).get("window")
    window = "" if window in (None, 0, "0") else str(window).strip()
    if window and not _schedule.valid_window(window):
        raise NicTuneError("iperf_probe_window must look like 4M, 512K or 65536 (or be empty), got %r" % window)
    out["window"] = window
    if not directions or any(d not in DIRECTIONS for d in directions):
        raise NicTuneError(
            "iperf_probe_directions must be a non-empty list of %s, got %r" % (" and ".join(DIRECTIONS), directions)
        )
    if not endpoints:
        raise NicTuneError(
            "iperf_probe_endpoints is empty: fill the iperf_endpoints group or set iperf_probe_endpoints"
        )
    return out


def clock_offset(readings):
    """A guest's clock minus the controller's from several ``[controller_time, guest_time]`` readings: the smallest
    difference (the offset plus the shortest latency, a bias the same for every guest); 0.0 without readings."""
    offsets = []
    for lines in readings or []:
        try:
            offsets.append(_schedule.clock_offset(lines))
        except NicTuneError:
            continue
    return min(offsets) if offsets else 0.0


def start_delay(count, start_margin):
    """Seconds from planning to the first test: time for the controller to start the runners of ``count`` guests."""
    if start_margin > 0:
        return start_margin
    return 12 + 3 * ((count + 4) // 5)


def plan(
    guests,
    endpoints,
    directions,
    settings,
    now,
    addresses=None,
    pinned=None,
    ready=None,
    down=None,
    offsets=None,
    progress=True,
):
    """The whole plan of one probe: ``tests`` (every test, runnable or not, with the reason), ``schedule``,
    ``lines`` (printable), ``points`` (when to collect whom), ``plans`` (per guest: its tests, arguments and start
    times on its own clock) and ``offsets`` (guest clock minus controller clock)."""
    checked = check_settings(settings, directions, endpoints)
    offsets = {str(h): number(v) or 0.0 for h, v in (offsets or {}).items()}
    tests = _schedule.assign_tests(guests, endpoints, directions, pinned, ready, down)
    test_seconds = checked["duration"] + checked["omit"]
    start = now + start_delay(len(guests), checked["start_margin"])
    planned = _schedule.plan_schedule(
        [t for t in tests if t["runnable"]], test_seconds, gap=checked["gap"], start=start
    )
    host_settings = dict(checked)
    plans = {}
    for guest in guests:
        plans[str(guest)] = _schedule.host_plan(
            planned, str(guest), addresses or {}, host_settings, offsets.get(str(guest), 0.0)
        )
    return {
        "settings": checked,
        "test_seconds": test_seconds,
        "tests": tests,
        "schedule": planned,
        "lines": _schedule.schedule_lines(planned),
        "points": _schedule.collection_points(planned, 0.0 if progress else 1e9, 1.0),
        "plans": plans,
        "offsets": offsets,
    }
