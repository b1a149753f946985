# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the probe scenario on the lab: reports, one HTML bar per guest x direction, no overlap, time bound,
no iperf3 left on any host."""

from __future__ import annotations

import csv
import json
import os
from html.parser import HTMLParser

import pytest

# Every lab host the probe touched: the guests and the endpoints (group names of the lab's inventory).
testinfra_hosts = ["guests", "iperf_endpoints"]
REPORT_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."), "reports")
# Stated fixed set-up cost of one probe on the lab (TCG guests): everything that does not scale with the number of
# tests (clock, checks, runner copy, servers, start margin, collection, report). Measured: see docs/probe.md.
FIXED_SETUP_SECONDS = float(os.environ.get("NICTUNE_PROBE_FIXED_SECONDS", "90"))


def _read(name):
    with open(os.path.join(REPORT_DIR, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def report():
    return json.loads(_read("report.json"))


@pytest.fixture(scope="module")
def guests(request):
    inv = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
    import yaml

    with open(inv, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)

    def walk(node, name):
        if not isinstance(node, dict):
            return []
        if name in (node.get("children") or {}):
            g = node["children"][name] or {}
            return sorted((g.get("hosts") or {}).keys())
        for child in (node.get("children") or {}).values():
            found = walk(child, name)
            if found:
                return found
        return []

    names = walk(data.get("all", data), "guests")
    assert len(names) >= 3
    return names


def test_four_files_parse(report):
    assert report["results"]
    rows = list(csv.DictReader(_read("report.csv").splitlines()))
    assert len(rows) == len(report["results"])
    assert _read("report.md").startswith("# ")
    assert "<svg" in _read("report.html")


def test_every_guest_both_directions(report, guests):
    got = {(r["host"], r["direction"]): r for r in report["results"]}
    for g in guests:
        for d in ("send", "receive"):
            row = got[(g, d)]
            assert row["error"] is None, row
            assert row["bits_per_second"] > 0
            assert row["start"] < row["end"]


class _Bars(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "rect" and "bar" in (a.get("class") or "").split():
            self.bars.append((a["data-host"], a["data-direction"]))


def test_html_one_bar_per_guest_and_direction(guests):
    p = _Bars()
    p.feed(_read("report.html"))
    assert sorted(p.bars) == sorted((g, d) for g in guests for d in ("send", "receive"))


def test_times_come_from_the_endpoint_clock(report):
    """Every test that ran is timed by its endpoint's server log, so the overlap check compares one clock."""
    for r in report["results"]:
        assert r["clock"] == "endpoint", r
        # the guest saw its client run around the same time (its clock offset is known to within a round trip)
        assert abs(r["guest_start"] - r["start"]) < 2 and abs(r["guest_end"] - r["end"]) < 2, r


def test_no_overlap_on_an_endpoint(report):
    by_ep = {}
    for r in report["results"]:
        by_ep.setdefault(r["endpoint"], []).append((r["start"], r["end"], r["host"], r["direction"]))
    for tests in by_ep.values():
        tests.sort()
        for a, b in zip(tests, tests[1:]):
            assert b[0] >= a[1], "overlap: %s and %s" % (a, b)


def test_time_bound(report):
    meta = report["meta"]
    per_endpoint = {}
    for r in report["results"]:
        per_endpoint[r["endpoint"]] = per_endpoint.get(r["endpoint"], 0) + float(meta["test_seconds"])
    busiest = max(per_endpoint.values())
    span = max(r["end"] for r in report["results"]) - min(r["start"] for r in report["results"])
    print(
        "probe %.1f s, tests span %.1f s, busiest endpoint %.1f s of tests, set-up %.1f s"
        % (float(meta["probe_seconds"]), span, busiest, float(meta["setup_seconds"]))
    )
    assert span <= 1.1 * busiest
    assert float(meta["probe_seconds"]) <= 1.1 * busiest + FIXED_SETUP_SECONDS


def test_no_iperf3_left(host):
    """No iperf3 the probe started is left (the lab's own endpoint server on its own port is not ours)."""
    ps = host.run("ps -ww -eo stat=,args=")
    ours = [
        line
        for line in ps.stdout.splitlines()
        if "iperf3" in line
        and not line.startswith("Z")
        and ("nictune-iperf-probe" in line or "-p 5215" in line or "nictune_iperf_probe" in line)
    ]
    assert ours == []
