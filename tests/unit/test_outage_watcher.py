# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nic_model role's outage watcher (files/nictune_outage.py): the longest stretch without replies, a real watch
of loopback (ICMP), and a state directory it refuses to share."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

WATCHER = os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, "roles", "nic_model", "files", "nictune_outage.py"
)


def _module():
    spec = importlib.util.spec_from_file_location("nictune_outage", WATCHER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args):
    out = subprocess.run([sys.executable, WATCHER, *args], capture_output=True, text=True, timeout=30, check=False)
    return out.returncode, json.loads(out.stdout or "{}")


@pytest.mark.parametrize(
    ("replies", "started", "ended", "expected"),
    [
        ([1.0, 1.1, 1.2, 4.2, 4.3], 0.95, 4.35, (3.0, 1.2, 4.2)),  # the gap between two replies
        ([], 0.0, 5.0, (5.0, 0.0, 5.0)),  # never answered: the whole watch
        ([0.1, 0.2], 0.0, 9.0, (8.8, 0.2, 9.0)),  # stopped answering: up to the end of the watch
        ([7.0, 7.1], 0.0, 7.15, (7.0, 0.0, 7.0)),  # answered only late: from the start of the watch
    ],
)
def test_outage_is_the_longest_stretch_without_replies(replies, started, ended, expected):
    seconds, gap_from, gap_to = _module().outage(replies, started, ended)
    assert (round(seconds, 6), gap_from, gap_to) == pytest.approx(expected)


def test_watch_of_loopback_sees_replies_and_no_outage(tmp_path):
    state = str(tmp_path / "state")
    rc, started = _run("start", "--dir", state, "--id", "lo", "--target", "localhost", "--interval", "0.02")
    if rc != 0 and "no ICMP socket" in started.get("msg", ""):
        pytest.skip("this machine allows no ICMP socket: %s" % started["msg"])
    assert rc == 0 and started == {"started": True, "target": "127.0.0.1", "id": "lo"}
    time.sleep(1.0)
    rc, seen = _run("stop", "--dir", state, "--id", "lo")
    assert rc == 0, seen
    assert seen["sent"] >= 20 and seen["received"] >= seen["sent"] - 2, seen
    assert seen["outage_s"] < 0.5 and seen["answering_at_end"] is True, seen
    assert os.listdir(state) == []  # the watcher's files are gone


def _watchers(state):
    """The processes watching for ``state`` (their command lines name it)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if state.encode() in argv and b"start" in argv:
            found.append(int(pid))
    return found


def test_a_start_run_again_supersedes_the_first_watcher(tmp_path):
    """A start run twice for one guest (a connection retried by Ansible) leaves one watcher: the first one ends
    without a result, stop reads one whole result, and nothing is written into the directory after it."""
    state = str(tmp_path / "state")
    first = _run("start", "--dir", state, "--id", "g", "--target", "127.0.0.1", "--interval", "0.02")
    if first[0] != 0 and "no ICMP socket" in first[1].get("msg", ""):
        pytest.skip("this machine allows no ICMP socket: %s" % first[1]["msg"])
    assert first[0] == 0 and len(_watchers(state)) == 1, first
    again = _run("start", "--dir", state, "--id", "g", "--target", "127.0.0.1", "--interval", "0.02")
    assert again[0] == 0, again
    deadline = time.monotonic() + 5
    while len(_watchers(state)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_watchers(state)) == 1
    rc, seen = _run("stop", "--dir", state, "--id", "g")
    assert rc == 0 and seen["received"] > 0, seen
    time.sleep(0.5)
    assert os.listdir(state) == [] and _watchers(state) == []


def test_stop_without_a_watcher_says_so(tmp_path):
    rc, out = _run("stop", "--dir", str(tmp_path), "--id", "none", "--wait", "0.2")
    assert rc == 1 and out == {"failed": True, "msg": "the watcher none left no result"}


def test_state_directory_open_to_others_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    rc, out = _run("start", "--dir", str(shared), "--id", "x", "--target", "127.0.0.1")
    assert rc == 1 and out["started"] is False and "open to others" in out["msg"]


def test_unknown_target_is_refused(tmp_path):
    rc, out = _run("start", "--dir", str(tmp_path / "s"), "--id", "x", "--target", "no-such-host.invalid")
    assert rc == 1 and out["msg"].startswith("cannot resolve no-such-host.invalid")
