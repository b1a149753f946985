# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure scheduling / plan / rows core of the iperf_probe role."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import iperf3, results, schedule


def _tests(hosts, endpoints):
    out = []
    for i, h in enumerate(hosts):
        ep = endpoints[i % len(endpoints)]
        out += [(h, ep, "send"), (h, ep, "receive")]
    return out


def _no_conflicts(schedule):
    for key in ("endpoint", "host"):
        seen = set()
        for t in schedule["tests"]:
            assert (t[key], t["round"]) not in seen, "%s %s twice in round %d" % (key, t[key], t["round"])
            seen.add((t[key], t["round"]))


@pytest.mark.parametrize(("n_hosts", "n_endpoints"), [(1, 1), (3, 1), (4, 2), (7, 3), (2, 5)])
def test_schedule_rounds(n_hosts, n_endpoints):
    hosts = ["g%d" % i for i in range(n_hosts)]
    eps = ["e%d" % i for i in range(n_endpoints)]
    s = schedule.plan_schedule(_tests(hosts, eps), 11, gap=0.5, start=1000)
    _no_conflicts(s)
    per_ep = max(s["endpoints"][e]["tests"] for e in s["endpoints"])
    assert s["rounds"] == per_ep  # different endpoints run in parallel: no round is wasted
    assert s["span"] == pytest.approx(per_ep * 11.5 - 0.5)
    assert len(s["tests"]) == 2 * n_hosts
    for t in s["tests"]:
        assert t["start"] == pytest.approx(1000 + t["round"] * 11.5)
        assert t["end"] - t["start"] == pytest.approx(11)


def test_schedule_random_property():
    rng = random.Random(5)
    for _round in range(200):
        hosts = ["g%d" % i for i in range(rng.randint(1, 12))]
        eps = ["e%d" % i for i in range(rng.randint(1, 4))]
        tests = [(h, rng.choice(eps), d) for h, d in itertools.product(hosts, iperf3.DIRECTIONS)]
        tests = list({(h, d): (h, e, d) for h, e, d in tests}.values())
        rng.shuffle(tests)
        s = schedule.plan_schedule(tests, 5, gap=1)
        _no_conflicts(s)
        # per endpoint the planned intervals never overlap
        rows = [
            {
                "host": t["host"],
                "direction": t["direction"],
                "endpoint": t["endpoint"],
                "start": t["start"],
                "end": t["end"],
            }
            for t in s["tests"]
        ]
        assert results.find_overlaps(rows) == []
        assert results.find_overlaps(rows, key="host") == []


def test_schedule_keeps_guest_tests_together():
    s = schedule.plan_schedule(_tests(["a", "b"], ["e"]), 10, gap=1)
    assert [(t["host"], t["direction"]) for t in s["tests"]] == [
        ("a", "send"),
        ("a", "receive"),
        ("b", "send"),
        ("b", "receive"),
    ]


@pytest.mark.parametrize(
    ("tests", "kwargs", "message"),
    [
        ([("a", "e", "sideways")], {}, "direction"),
        ([("a", "e", "send"), ("a", "e", "send")], {}, "twice"),
        ([("a", "e")], {}, "(host, endpoint, direction)"),
        ([{"host": "a", "direction": "send"}], {}, "endpoint"),
        ([("a", "e", "send")], {"test_seconds": 0}, "test_seconds"),
        ([("a", "e", "send")], {"gap": -1}, "gap"),
    ],
)
def test_schedule_errors(tests, kwargs, message):
    args = {"test_seconds": 10}
    args.update(kwargs)
    with pytest.raises(NicTuneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        schedule.plan_schedule(tests, **args)


def test_schedule_empty():
    s = schedule.plan_schedule([], 10)
    assert s["rounds"] == 0 and s["span"] == 0 and s["tests"] == []


@pytest.mark.parametrize(
    ("direction", "kwargs", "expected"),
    [
        ("send", {}, ["-c", "10.0.0.1", "-p", "5201", "-t", "10", "-J"]),
        ("receive", {}, ["-c", "10.0.0.1", "-p", "5201", "-t", "10", "-J", "-R"]),
        (
            "send",
            {"omit": 2, "parallel": 4, "window": "4M", "connect_timeout": 3, "stall_timeout": 5},
            [
                "-c",
                "10.0.0.1",
                "-p",
                "5201",
                "-t",
                "10",
                "-J",
                "-O",
                "2",
                "-P",
                "4",
                "-w",
                "4M",
                "--connect-timeout",
                "3000",
                "--snd-timeout",
                "5000",
            ],
        ),
        (
            "receive",
            {"stall_timeout": 5, "window": ""},
            ["-c", "10.0.0.1", "-p", "5201", "-t", "10", "-J", "-R", "--rcv-timeout", "5000"],
        ),
    ],
)
def test_client_args(direction, kwargs, expected):
    assert schedule.client_args("10.0.0.1", 5201, direction, 10, **kwargs) == expected


@pytest.mark.parametrize(("address", "window"), [("", None), ("h", "4 M; rm -rf /")])
def test_client_args_rejects(address, window):
    with pytest.raises(NicTuneError):
        schedule.client_args(address, 5201, "send", 10, window=window)


def test_host_plan_applies_clock_offset():
    s = schedule.plan_schedule(_tests(["a", "b"], ["e"]), 11, gap=1, start=1000)
    settings = {"port": 5215, "duration": 10, "omit": 1, "timeout": 20, "busy_wait": 5}
    plan = schedule.host_plan(s, "b", {"e": "10.213.0.1"}, settings, clock_offset=-2.5)
    assert [t["direction"] for t in plan["tests"]] == ["send", "receive"]
    assert plan["tests"][0]["at"] == pytest.approx(1000 + 24 - 2.5)
    assert plan["tests"][0]["busy_until"] == pytest.approx(plan["tests"][0]["at"] + 5)
    assert plan["tests"][0]["kill_after"] == 31
    assert plan["tests"][1]["args"][:2] == ["-c", "10.213.0.1"] and "-R" in plan["tests"][1]["args"]
    assert plan["finish"] == pytest.approx(1000 + 36 + 11)
    json.dumps(plan)


def test_collection_points():
    s = schedule.plan_schedule(_tests(["a", "b", "c"], ["e"]), 10, gap=0, start=0)
    assert schedule.collection_points(s, margin=1) == [
        {"at": 21, "hosts": ["a"]},
        {"at": 41, "hosts": ["b"]},
        {"at": 61, "hosts": ["c"]},
    ]
    assert schedule.collection_points(s, min_interval=25, margin=1) == [
        {"at": 41, "hosts": ["a", "b"]},
        {"at": 61, "hosts": ["c"]},
    ]


def _entry(test_id, stdout, started, ended, **kw):
    d = {"id": test_id, "stdout": stdout, "started": started, "ended": ended}
    d.update(kw)
    return d


NORMAL = json.dumps(
    {
        "start": {"test_start": {"reverse": 0, "omit": 0, "duration": 5}, "timestamp": {"timesecs": 5}},
        "end": {
            "sum_sent": {"bits_per_second": 2e9, "retransmits": 3, "seconds": 5},
            "sum_received": {"bits_per_second": 1.9e9, "seconds": 5},
        },
    }
)


def test_build_rows_failure_modes():
    s = schedule.plan_schedule(_tests(["a"], ["e"]), 5, gap=1, start=0)
    out = {
        "tests": [
            _entry("a__e__send", NORMAL, 10, 15.5),
            _entry("a__e__receive", "", 16, 46, timed_out=True, kill_after=30),
        ]
    }
    rows = results.build_rows(s, "a", out, clock_offset=10)
    assert rows[0]["bits_per_second"] == 1.9e9 and rows[0]["mbit_per_second"] == 1900.0
    assert rows[0]["retransmits"] == 3 and rows[0]["error"] is None
    assert (rows[0]["start"], rows[0]["end"]) == (0, 5.5)
    assert rows[1]["error"].startswith("timeout") and rows[1]["bits_per_second"] is None
    missing = results.build_rows(s, "a", None, failure="host unreachable")
    assert [r["error"] for r in missing] == ["host unreachable", "host unreachable"]
    garbage = results.build_rows(s, "a", "Traceback ...")
    assert all("not JSON" in r["error"] for r in garbage)
    assert results.build_rows(s, "nobody", out) == []


def test_find_overlaps():
    rows = [
        {"host": "a", "direction": "send", "endpoint": "e", "start": 0, "end": 10},
        {"host": "b", "direction": "send", "endpoint": "e", "start": 9.5, "end": 20},
        {"host": "c", "direction": "send", "endpoint": "f", "start": 0, "end": 20},
        {"host": "d", "direction": "send", "endpoint": "e", "start": None, "end": None},
    ]
    assert results.find_overlaps(rows) == [{"endpoint": "e", "first": "a send", "second": "b send", "seconds": 0.5}]


def test_progress_line():
    ok = {"host": "g", "direction": "send", "endpoint": "e", "bits_per_second": 1.5e9, "retransmits": 2, "error": None}
    assert results.progress_line(ok) == "g send [e]: 1500.0 Mbit/s (retransmits 2)"
    bad = dict(ok, error="unable to connect", bits_per_second=None)
    assert "FAILED: unable to connect" in results.progress_line(bad)


def test_clock_offset():
    assert schedule.clock_offset(["1000.25", "1002.5", "/usr/bin/iperf3"]) == 2.25
    assert schedule.clock_offset(["1000", "999,5"]) == -0.5
    with pytest.raises(NicTuneError):
        schedule.clock_offset(["1000"])


def test_assign_tests_round_robin_pinning_and_reasons():
    tests = schedule.assign_tests(
        ["a", "b", "c", "d"], ["e1", "e2"], pinned={"b": "e9"}, ready=["a", "b", "c"], down={"e9": "unreachable"}
    )
    where = {(t["host"], t["direction"]): t for t in tests}
    assert where[("a", "send")]["endpoint"] == "e1"
    assert where[("b", "send")]["endpoint"] == "e9" and where[("b", "send")]["reason"] == "unreachable"
    assert where[("c", "receive")]["endpoint"] == "e2"
    assert where[("d", "send")]["endpoint"] == "e1" and not where[("d", "send")]["runnable"]
    assert [t["runnable"] for t in tests if t["host"] in ("a", "c")] == [True] * 4
    with pytest.raises(NicTuneError, match="no endpoint"):
        schedule.assign_tests(["a"], [])
