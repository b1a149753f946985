# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.json / .csv / .md / .html from result rows."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import report

ROWS = [
    {
        "host": "g2",
        "endpoint": "ep",
        "direction": "receive",
        "bits_per_second": 6e8,
        "retransmits": 0,
        "start": 12.0,
        "end": 23.0,
        "error": None,
        "password": "hunter2",
        "stdout": "{...}",
    },
    {
        "host": "g1",
        "endpoint": "ep",
        "direction": "send",
        "bits_per_second": 1e9,
        "retransmits": 4,
        "start": 0.0,
        "end": 11.0,
        "error": None,
    },
    {
        "host": "g1",
        "endpoint": "ep",
        "direction": "receive",
        "bits_per_second": None,
        "retransmits": None,
        "start": None,
        "end": None,
        "error": "unable to connect to server: Connection refused",
    },
    {"host": "<b>evil</b>&", "endpoint": "ep", "direction": "send", "bits_per_second": 5e8, "error": None},
]


class Bars(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "rect" and "bar" in (a.get("class") or "").split():
            self.bars.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(a[key])


def parse_bars(text):
    p = Bars()
    p.feed(text)
    return p


def test_json_is_complete_and_clean():
    doc = json.loads(report.render(ROWS, "json", meta={"duration": 10}))
    assert len(doc["results"]) == 4
    for row in doc["results"]:
        assert {"host", "endpoint", "direction", "bits_per_second", "retransmits", "error"} <= set(row)
        assert "password" not in row and "stdout" not in row
    assert [f["host"] for f in doc["failures"]] == ["g1"]
    assert doc["meta"] == {"duration": 10}
    assert "hunter2" not in report.render(ROWS, "json")


def test_csv_parses():
    rows = list(csv.DictReader(io.StringIO(report.render(ROWS, "csv"))))
    assert len(rows) == 4
    g1 = [r for r in rows if r["host"] == "g1"]
    assert [r["direction"] for r in g1] == ["send", "receive"]
    assert g1[0]["mbit_per_second"] == "1000.0" and g1[1]["error"].startswith("unable")


def test_markdown():
    text = report.render(ROWS, "md", meta={"endpoints": "ep"})
    assert "| g1 | send | ep | 1000.0 | 4 |  |" in text
    assert "## Failures" in text and "Connection refused" in text


def test_html_one_bar_per_host_and_direction_escaped():
    text = report.render(ROWS, "html", title="probe <1>")
    p = parse_bars(text)
    assert sorted((b["data-host"], b["data-direction"]) for b in p.bars) == sorted(
        (r["host"], r["direction"]) for r in ROWS
    )
    assert "<b>evil</b>" not in text and "&lt;b&gt;evil&lt;/b&gt;&amp;" in text
    assert p.external == [] and "<script" not in text
    failed = [b for b in p.bars if "failed" in b["class"]]
    assert len(failed) == 1 and failed[0]["width"] == "0"
    widths = {(b["data-host"], b["data-direction"]): int(b["width"]) for b in p.bars}
    assert widths[("g1", "send")] > widths[("g2", "receive")] > 0


def test_html_before_after():
    before = {
        "results": [
            {"host": "g1", "direction": "send", "bits_per_second": 2e8},
            {"host": "g2", "direction": "receive", "bits_per_second": 3e8},
        ]
    }
    text = report.render(ROWS, "html", baseline=before)
    p = parse_bars(text)
    series = [(b["data-host"], b["data-direction"], b["data-series"]) for b in p.bars]
    assert ("g1", "send", "before") in series and ("g1", "send", "after") in series
    assert sum(1 for s in series if s[2] == "after") == 4
    assert sum(1 for s in series if s[2] == "before") == 4  # missing baseline rows are failed "before" bars
    doc = json.loads(report.render(ROWS, "json", baseline=before))
    ratio = {(c["host"], c["direction"]): c["ratio"] for c in doc["comparison"]}
    assert ratio[("g1", "send")] == 5.0 and ratio[("g1", "receive")] is None
    assert "## Before / after" in report.render(ROWS, "md", baseline=before)


@pytest.mark.parametrize(("rows", "message"), [("x", "list"), ([1], "dictionary"), ([{"host": "a"}], "direction")])
def test_bad_rows(rows, message):
    with pytest.raises(NicTuneError, match=message):
        report.render(rows, "json")


def test_unknown_format():
    with pytest.raises(NicTuneError, match="unknown format"):
        report.render(ROWS, "pdf")
