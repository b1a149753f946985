# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe report (report.json / .csv / .md / .html) from result rows, through the shared report writer."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as writer
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import report


def render(rows, fmt, meta=None, baseline=None, title="iperf3 probe"):
    return writer.render(report.build(rows, meta, baseline, title), fmt)


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
    doc = json.loads(render(ROWS, "json", meta={"duration": 10}))
    assert len(doc["results"]) == 4
    for row in doc["results"]:
        assert {"host", "endpoint", "direction", "bits_per_second", "retransmits", "error"} <= set(row)
        assert "password" not in row and "stdout" not in row
    assert [f["host"] for f in doc["failures"]] == ["g1"]
    assert doc["meta"]["duration"] == 10 and doc["meta"]["failed_tests"] == 1
    assert "hunter2" not in render(ROWS, "json")


def test_csv_parses():
    rows = list(csv.DictReader(io.StringIO(render(ROWS, "csv"))))
    assert len(rows) == 4
    g1 = [r for r in rows if r["host"] == "g1"]
    assert [r["direction"] for r in g1] == ["send", "receive"]
    assert g1[0]["mbit_per_second"] == "1000.0" and g1[1]["error"].startswith("unable")


def test_markdown():
    text = render(ROWS, "md", meta={"endpoints": "ep", "window": ""})
    assert "| g1 | send | ep | 1000.0 | 4 | 1970-01-01T00:00:00+00:00 |" in text
    assert "## Failures" in text and "Connection refused" in text
    assert "| endpoints | ep |" in text and "TCP window" not in text  # an empty setting is left out


def test_html_one_bar_per_host_and_direction_escaped():
    text = render(ROWS, "html", title="probe <1>")
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
    text = render(ROWS, "html", baseline=before)
    p = parse_bars(text)
    series = [(b["data-host"], b["data-direction"], b["data-series"]) for b in p.bars]
    assert ("g1", "send", "before") in series and ("g1", "send", "after") in series
    assert sum(1 for s in series if s[2] == "after") == 4
    assert sum(1 for s in series if s[2] == "before") == 4  # missing baseline rows are failed "before" bars
    doc = json.loads(render(ROWS, "json", baseline=before))
    ratio = {(c["host"], c["direction"]): c["ratio"] for c in doc["comparison"]}
    assert ratio[("g1", "send")] == 5.0 and ratio[("g1", "receive")] is None
    assert "x5.00" in text  # the gain factor beside the bars


@pytest.mark.parametrize(("rows", "message"), [("x", "list"), ([1], "dictionary"), ([{"host": "a"}], "direction")])
def test_bad_rows(rows, message):
    with pytest.raises(NicTuneError, match=message):
        render(rows, "json")


def test_times_are_iso_8601_with_the_zone():
    text = render(ROWS, "html", meta={"probe_start": 1795986507.03, "probe_end": 1795986600.0, "probe_seconds": 92.97})
    assert "2026-11-29T" in text and "+00:00" in text and "1795986507" not in text


def test_chart_is_wide_enough_for_its_longest_label():
    long_host = "a-guest-with-a-rather-long-inventory-name.example.org"
    rows = [{"host": long_host, "direction": "receive", "bits_per_second": 3.5483e9}]
    text = render(rows, "html")
    width = int(text.split('<svg xmlns="http://www.w3.org/2000/svg" width="', 1)[1].split('"', 1)[0])
    drawn = parse_bars(text).bars[0]
    label = "3548.3 Mbit/s"
    # the bar's label starts 6 px after the bar and needs about 7 px per character: it ends inside the picture
    assert int(drawn["x"]) + int(drawn["width"]) + 6 + 7 * len(label) <= width
    assert int(drawn["x"]) >= 7 * len("%s receive" % long_host)


def test_unknown_format():
    with pytest.raises(NicTuneError, match="unknown format"):
        render(ROWS, "pdf")
