# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a probe run's lease on its endpoints: its id (one the endpoint's helper accepts), who it
is in words, how long a lease may be kept, and the setting that bounds the wait."""

from __future__ import annotations

import importlib.util
import os

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import lease, plan

HELPER = os.path.join(
    os.path.dirname(__file__), *[os.pardir] * 4, "roles", "iperf_probe", "files", "nictune_iperf_probe.py"
)
SETTINGS = {
    "duration": 10,
    "omit": 1,
    "parallel": 1,
    "window": "",
    "port": 5215,
    "gap": 1.0,
    "timeout": 20,
    "connect_timeout": 5,
    "stall_timeout": 10,
    "busy_wait": 15,
    "start_margin": 0,
    "lease_timeout": 900,
}


def _helper_run_id():
    spec = importlib.util.spec_from_file_location("nictune_iperf_probe", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RUN_ID


def test_run_id_is_one_the_endpoint_helper_accepts():
    run = lease.run_id(1735732800.9, "1a2b3c4d")
    assert run == "20250101T120000Z-1a2b3c4d"
    assert _helper_run_id().match(run)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("alice", "ctl", 4242), "alice@ctl, ansible-playbook pid 4242"),
        (("alice", "ctl", 4242, 77), "alice@ctl, ansible-playbook pid 4242, AWX job 77"),
        ((None, None, 1, ""), "unknown user@unknown host, ansible-playbook pid 1"),
    ],
)
def test_owner(args, text):
    assert lease.owner(*args) == text


@pytest.mark.parametrize(
    ("guests", "directions", "endpoints", "changes", "seconds"),
    [
        # start margin 12 + 3, 8 tests of 10 + 1 + 1 + 20 s, busy wait 15, slack 120
        (4, 2, 1, {}, 15 + 8 * 32 + 15 + 120),
        # two endpoints: the wait for the other endpoint's lease counts too
        (4, 2, 2, {}, 900 + 15 + 8 * 32 + 15 + 120),
        # the lab test's short tests, a start margin given
        (2, 2, 1, {"duration": 3, "omit": 0, "start_margin": 20}, 20 + 4 * 24 + 15 + 120),
        (0, 2, 1, {}, 12 + 15 + 120),
    ],
)
def test_hold_covers_every_test_at_its_longest(guests, directions, endpoints, changes, seconds):
    settings = dict(SETTINGS, **changes)
    assert lease.hold_seconds(settings, guests, directions, endpoints) == seconds


def test_lease_request():
    checked = plan.check_settings(SETTINGS, ["send", "receive"], ["ep"])
    got = lease.lease(checked, 4, 2, 1, now=0.0, token="00ff", who="alice@ctl, ansible-playbook pid 1")
    assert got == {
        "run": "19700101T000000Z-00ff",
        "owner": "alice@ctl, ansible-playbook pid 1",
        "hold": 406,
        "timeout": 900.0,
    }


@pytest.mark.parametrize("value", [-1, "soon", None])
def test_lease_timeout_is_checked_with_the_other_settings(value):
    with pytest.raises(NicTuneError, match="iperf_probe_lease_timeout must be"):
        plan.check_settings(dict(SETTINGS, lease_timeout=value), ["send"], ["ep"])
