# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iperf3_summary and the other iperf filters on real iperf3 3.12 JSON outputs (see fixtures/iperf3/README.md)."""

from __future__ import annotations

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.filter.iperf import FilterModule

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


def test_schedule_filter_and_lines():
    tests = [["g1", "e1", "send"], ["g1", "e1", "receive"], ["g2", "e2", "send"]]
    s = F["iperf_schedule"](tests, 11, gap=1, start=100)
    assert s["rounds"] == 2
    lines = F["iperf_schedule"](tests, 11, gap=1, start=100, lines=True)
    assert len(lines) == 4 and "2 round(s)" in lines[0]
    with pytest.raises(AnsibleFilterError):
        F["iperf_schedule"](tests, 0)


def test_rows_and_report_filters():
    schedule = F["iperf_schedule"]([["g1", "e1", "send"], ["g1", "e1", "receive"]], 4, gap=1, start=1000)
    output = {
        "tests": [
            {"id": "g1__e1__send", "stdout": fixture("loopback-normal.json"), "started": 1010.0, "ended": 1014.2},
            {"id": "g1__e1__receive", "stdout": fixture("loopback-refused.json"), "started": 1015, "ended": 1015.1},
        ]
    }
    rows = F["iperf_probe_rows"](schedule, "g1", json.dumps(output), clock_offset=10)
    assert [r["direction"] for r in rows] == ["send", "receive"]
    assert rows[0]["start"] == 1000.0 and rows[0]["end"] == pytest.approx(1004.2)
    assert "Mbit/s" in rows[0]["line"] and "FAILED" in rows[1]["line"]
    assert F["iperf_overlaps"](rows) == []
    doc = json.loads(F["iperf_report"](rows, "json", {"duration": 4}))
    assert len(doc["results"]) == 2 and len(doc["failures"]) == 1
    assert "line" not in doc["results"][0]
    with pytest.raises(AnsibleFilterError):
        F["iperf_report"](rows, "pdf")
