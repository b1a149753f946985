# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A probe run's lease on its endpoints, controller side (no Ansible imports): the run's id, who it is in words,
and how long an endpoint's lease may be kept before it ends by itself.

The endpoint side (waiting, holding, releasing, reference counting of the server) is the role's helper,
``roles/iperf_probe/files/nictune_iperf_probe.py`` (``lease-acquire``, ``lease-hold``, ``lease-release``).
"""

from __future__ import annotations

import time

from .plan import start_delay

# Seconds a run may spend holding a lease on top of its tests: planning, starting the runners on slow guests,
# collecting, reading the endpoints' logs and stopping what it started.
LEASE_SLACK = 120.0


def run_id(now, token):
    """The id of a probe run: its start (UTC) and a random token, e.g. ``20250101T120000Z-1a2b3c4d``."""
    return "%s-%s" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)), token)


def owner(user, host, pid, job=None):
    """Who runs the probe, in words, for the runs that wait behind it."""
    text = "%s@%s, ansible-playbook pid %s" % (user or "unknown user", host or "unknown host", pid)
    if job not in (None, ""):
        text += ", AWX job %s" % job
    return text


def hold_seconds(settings, guests, directions, endpoints):
    """How long a run keeps an endpoint's lease at the most, unless it releases it first (it does, at its end).

    The bound covers waiting for the leases of its other endpoints (``lease_timeout`` each), the start margin,
    every test of its ``guests`` x ``directions`` at its longest (``duration + omit + gap + timeout``: all on this
    endpoint, the worst case), a late runner's busy wait and :data:`LEASE_SLACK`. The guests' runners keep testing
    on their own if the controller dies, so the lease of a dead run lasts as long as its tests can, then ends.
    ``settings`` are checked ones (``plan.check_settings``).
    """
    tests = max(0, int(guests)) * max(1, int(directions))
    per_test = settings["duration"] + settings["omit"] + settings["gap"] + settings["timeout"]
    seconds = (
        settings["lease_timeout"] * max(0, int(endpoints) - 1)
        + start_delay(int(guests), settings["start_margin"])
        + tests * per_test
        + settings["busy_wait"]
        + LEASE_SLACK
    )
    return round(seconds)


def lease(settings, guests, directions, endpoints, now, token, who):
    """The run's lease request: ``run`` (its id), ``owner`` (``who``), ``hold`` (see :func:`hold_seconds`) and
    ``timeout`` (seconds to wait for an endpoint another run holds)."""
    return {
        "run": run_id(now, token),
        "owner": who,
        "hold": hold_seconds(settings, guests, directions, endpoints),
        "timeout": settings["lease_timeout"],
    }
