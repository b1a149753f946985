# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iperf3_summary and the probe's result cores on real iperf3 3.12 JSON outputs (see fixtures/iperf3/README.md)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.nictune.fleet.plugins.filter.iperf import FilterModule
from ansible_collections.nictune.fleet.plugins.module_utils._common import report as common_report
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import report as probe_report
from ansible_collections.nictune.fleet.plugins.module_utils._probe import results, schedule

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "iperf3")
F = FilterModule().filters()


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def fixture_names(kind):
    names = sorted(n for n in os.listdir(FIXTURES) if n.endswith("-%s.json" % kind))
    assert names, "no fixture *-%s.json" % kind
    return names


@pytest.mark.parametrize("name", fixture_names("normal"))
def test_normal_run(name):
    s = F["iperf3_summary"](fixture(name))
    raw = json.loads(fixture(name))
    assert s["ok"] is True and s["error"] is None
    assert s["direction"] == "send"
    assert s["bits_per_second"] == raw["end"]["sum_received"]["bits_per_second"]
    assert s["bits_per_second_sent"] == raw["end"]["sum_sent"]["bits_per_second"]
    assert s["retransmits"] == raw["end"]["sum_sent"]["retransmits"]
    assert s["cpu_local_percent"] == raw["end"]["cpu_utilization_percent"]["host_total"]
    assert s["cpu_remote_percent"] == raw["end"]["cpu_utilization_percent"]["remote_total"]
    assert s["start"] == raw["start"]["timestamp"]["timesecs"]
    assert s["end"] > s["start"]
    assert s["duration"] == raw["start"]["test_start"]["duration"]
    assert s["seconds"] == pytest.approx(s["duration"], abs=0.5)
    assert s["protocol"] == "TCP" and s["streams"] == 1


@pytest.mark.parametrize("name", fixture_names("reverse"))
def test_reverse_run(name):
    s = F["iperf3_summary"](fixture(name), "send")  # the output wins over the caller's hint
    raw = json.loads(fixture(name))
    assert s["ok"] is True
    assert s["direction"] == "receive"
    assert s["bits_per_second"] == raw["end"]["sum_received"]["bits_per_second"]
    assert s["bits_per_second"] > 0


def test_parallel_run_sums_streams():
    s = F["iperf3_summary"](fixture("loopback-parallel.json"))
    assert s["ok"] and s["streams"] == 2
    raw = json.loads(fixture("loopback-parallel.json"))
    assert s["bits_per_second"] == pytest.approx(sum(st["receiver"]["bits_per_second"] for st in raw["end"]["streams"]))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("refused", "Connection refused"),
        ("timeout", "Connection timed out"),
        ("stall_send", "Connection timed out"),
        ("stall_reverse", "idle timeout"),
        ("interrupted", "interrupt"),
        ("busy", "server is busy"),
    ],
)
def test_error_outputs(kind, message):
    for name in fixture_names(kind):
        s = F["iperf3_summary"](fixture(name), "receive")
        assert s["ok"] is False
        assert message in s["error"]
        assert s["bits_per_second"] is None


def test_window_above_the_kernel_limit_says_what_to_do():
    # A guest with the stock net.core.rmem_max (212992) asked for -w 4M.
    s = F["iperf3_summary"](fixture("lab-window.json"))
    assert s["ok"] is False and s["bits_per_second"] is None
    assert s["error"].startswith("socket buffer size not set correctly")
    assert "net.core.rmem_max" in s["error"] and "iperf_probe_window" in s["error"]


def test_window_hint_only_for_that_error():
    for name in fixture_names("refused"):
        assert "rmem_max" not in F["iperf3_summary"](fixture(name))["error"]


def test_refused_keeps_direction_hint():
    s = F["iperf3_summary"](fixture("loopback-refused.json"), "receive")
    assert s["direction"] == "receive"


@pytest.mark.parametrize("data", ["", "   \n", None, b""])
def test_empty_output(data):
    s = F["iperf3_summary"](data)
    assert s["ok"] is False and "no output" in s["error"]


def test_truncated_output():
    text = fixture("loopback-normal.json")
    s = F["iperf3_summary"](text[: len(text) // 2])
    assert s["ok"] is False and "truncated" in s["error"]


def test_truncated_output_keeps_iperf3_error():
    text = fixture("loopback-refused.json")
    s = F["iperf3_summary"](text[:-3])
    assert s["ok"] is False and "Connection refused" in s["error"]


def test_not_json():
    s = F["iperf3_summary"]("iperf3: error - unable to connect to server")
    assert s["ok"] is False and "not iperf3 JSON" in s["error"]


def test_parsed_dict_accepted():
    s = F["iperf3_summary"](json.loads(fixture("loopback-normal.json")))
    assert s["ok"] is True


def _rows(planned, host, output, clock_offset=0.0):
    """A guest's rows as the probe's results step builds them (with the progress line)."""
    return results.host_rows(planned, host, {"finished": 1, "rc": 0, "stdout": output}, clock_offset)


def test_schedule_and_lines():
    tests = [["g1", "e1", "send"], ["g1", "e1", "receive"], ["g2", "e2", "send"]]
    s = schedule.plan_schedule(tests, 11, gap=1, start=100)
    assert s["rounds"] == 2
    lines = schedule.schedule_lines(s)
    assert len(lines) == 4 and "2 round(s)" in lines[0]
    with pytest.raises(NicTuneError):
        schedule.plan_schedule(tests, 0)


def test_rows_and_report():
    planned = schedule.plan_schedule([["g1", "e1", "send"], ["g1", "e1", "receive"]], 4, gap=1, start=1000)
    output = {
        "tests": [
            {"id": "g1__e1__send", "stdout": fixture("loopback-normal.json"), "started": 1010.0, "ended": 1014.2},
            {"id": "g1__e1__receive", "stdout": fixture("loopback-refused.json"), "started": 1015, "ended": 1015.1},
        ]
    }
    rows = _rows(planned, "g1", json.dumps(output), clock_offset=10)
    assert [r["direction"] for r in rows] == ["send", "receive"]
    assert rows[0]["start"] == 1000.0 and rows[0]["end"] == pytest.approx(1004.2)
    assert "Mbit/s" in rows[0]["line"] and "FAILED" in rows[1]["line"]
    assert results.find_overlaps(rows) == []
    doc = json.loads(common_report.render(probe_report.build(rows, {"duration": 4}), "json"))
    assert len(doc["results"]) == 2 and len(doc["failures"]) == 1
    assert "line" not in doc["results"][0]
    with pytest.raises(NicTuneError):
        common_report.render(probe_report.build(rows), "pdf")


@pytest.mark.parametrize("name", fixture_names("normal") + fixture_names("reverse"))
def test_summary_keeps_the_cookie(name):
    assert F["iperf3_summary"](fixture(name))["cookie"] == json.loads(fixture(name))["start"]["cookie"]


@pytest.mark.parametrize("name", fixture_names("refused"))
def test_summary_no_cookie_without_a_test(name):
    assert F["iperf3_summary"](fixture(name))["cookie"] is None


def _lab_rows():
    """lab-guest1's rows as the role builds them from its runner's output, planned on the lab's schedule."""
    tests = [
        {"host": h, "endpoint": "lab-endpoint", "direction": d}
        for h in ("lab-guest1", "lab-guest2", "lab-guest3", "lab-novirtio")
        for d in ("send", "receive")
    ]
    planned = schedule.plan_schedule(tests, 6.0, gap=0.5, start=1795679541.775)
    return _rows(planned, "lab-guest1", fixture("lab-guest1-runner.out"), 0.0)


def test_server_timing_log_from_the_lab():
    seen = results.parse_server_log(fixture("lab-server-timing.log"))
    assert len(seen) == 8
    spans = sorted((t["start"], t["end"]) for t in seen.values())
    assert all(end > start for start, end in spans)
    # one server, one test at a time: each test begins after the previous one ended
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
    assert {t["remote_host"] for t in seen.values()} == {"10.213.0.11", "10.213.0.12", "10.213.0.13", "10.213.0.14"}
    # 5 s tests after 1 s omitted: the server saw each for a little over 6 s
    assert all(6.0 <= end - start < 6.5 for start, end in spans)


def _timed(rows, logs):
    timed = results.apply_endpoint_times(rows, logs)
    for row in timed:
        row["line"] = results.progress_line(row)
    return timed


def test_endpoint_times_replace_the_guest_clock():
    rows = _lab_rows()
    assert [r["clock"] for r in rows] == ["guest", "guest"] and all(r["cookie"] for r in rows)
    timed = _timed(rows, {"lab-endpoint": fixture("lab-server-timing.log")})
    log = fixture("lab-server-timing.log").splitlines()
    for before, after in zip(rows, timed):
        assert after["clock"] == "endpoint"
        assert (after["guest_start"], after["guest_end"]) == (before["start"], before["end"])
        # the start is the time the endpoint accepted the connection that carried this test's cookie
        at = next(i for i, line in enumerate(log) if line.endswith("Cookie: " + before["cookie"]))
        assert after["start"] == float(log[at].split()[0]) and log[at - 1].split(" ", 1)[1].startswith("Accepted")
        assert after["end"] == float(log[at + 1].split()[0]) and "Test Complete" in log[at + 1]
        assert after["start"] != before["start"] and after["bits_per_second"] == before["bits_per_second"]
        assert after["line"] == before["line"]
    # the input rows are not changed in place
    assert [r["clock"] for r in rows] == ["guest", "guest"]


def test_endpoint_times_need_the_same_endpoint_and_cookie():
    rows = _lab_rows()
    elsewhere = _timed(rows, {"other-endpoint": fixture("lab-server-timing.log")})
    assert [(r["start"], r["clock"]) for r in elsewhere] == [(r["start"], "guest") for r in rows]
    assert _timed(rows, {}) == _timed(rows, {"lab-endpoint": ""})
    failed = [dict(rows[0], cookie=None, error="unable to connect")]
    assert _timed(failed, {"lab-endpoint": fixture("lab-server-timing.log")})[0]["clock"] == "guest"


def test_server_timing_log_busy_and_killed_clients():
    seen = results.parse_server_log(fixture("loopback-server-timing.log"))
    # the busy client never reached the server's test loop: three tests, not four
    assert len(seen) == 3
    killed = max(seen.values(), key=lambda t: t["start"])
    # the killed client's test ends when the server listens again (about 1.5 s after it began)
    assert 1.0 < killed["end"] - killed["start"] < 2.0
    # a test still running when the log was read has no end yet, and is left to the guest's clock
    running = results.parse_server_log("10.0 Accepted connection from 127.0.0.1, port 1\n10.0 Cookie: abc\n")
    assert running == {"abc": {"start": 10.0, "end": None, "remote_host": "127.0.0.1", "remote_port": 1}}
    assert results.parse_server_log("garbage\n\n12 \nx Cookie: y\n") == {}
