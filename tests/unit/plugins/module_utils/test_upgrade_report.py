# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import csv
import html.parser
import io
import json

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as writer
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe.results import throughput
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import choice
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import compare
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.report import (
    final_report,
    guest_entry,
    guest_line,
    plan_lines,
    plan_report,
    summary,
    trials_of,
)


def render(guests, fmt, run=None):
    return writer.render(final_report(guests, run), fmt)


PLAN = {"hypervisor": "hv1", "domain": "g1", "current_model": "rtl8139", "target_model": "virtio"}


@pytest.mark.parametrize(
    ("plan", "outcome", "check_mode", "decision", "after_model", "reason_part"),
    [
        (
            dict(PLAN, action="switch", reason="best"),
            {"switched": True, "reason": "best"},
            False,
            "switched",
            "virtio",
            "best",
        ),
        (
            dict(PLAN, action="switch", reason="best"),
            {"rolled_back": True, "reason": "send fell"},
            False,
            "rolled_back",
            "rtl8139",
            "send fell",
        ),
        (dict(PLAN, action="switch", reason="best"), None, True, "switched", "virtio", "check mode: would switch"),
        (
            dict(PLAN, action="switch", reason="best", method="cold"),
            {"switched": True, "method": "live"},
            True,
            "switched",
            "virtio",
            "check mode: would switch live to virtio (best)",
        ),
        (dict(PLAN, action="switch", reason="best"), None, False, "skipped", "rtl8139", "did not run"),
        (dict(PLAN, action="keep", reason="already on virtio"), None, False, "kept", "rtl8139", "already"),
        (dict(PLAN, action="skip", reason="PV guest"), None, False, "skipped", "rtl8139", "PV guest"),
    ],
)
def test_guest_entry_decisions(plan, outcome, check_mode, decision, after_model, reason_part):
    entry = guest_entry("g1", dict(plan, outcome=outcome), check_mode=check_mode)
    assert entry["decision"] == decision
    assert entry["after_model"] == after_model
    assert reason_part in entry["reason"]
    assert entry["before_model"] == "rtl8139" and entry["hypervisor"] == "hv1"


def test_throughput_from_probe_rows():
    rows = [
        {"direction": "send", "bits_per_second": 1.5e9, "error": None},
        {"direction": "receive", "bits_per_second": None, "error": "connection refused"},
    ]
    assert throughput(rows) == {"send_bps": 1.5e9, "receive_bps": None, "errors": ["receive: connection refused"]}


def _guests():
    switched = guest_entry(
        "web<1>",
        dict(
            PLAN,
            action="switch",
            reason="best",
            outcome={"switched": True, "method": "live", "outage_s": 1.4},
            verdict={"ok": True, "gain": {"send": 2.0, "receive": 6.5}},
            before={"send_bps": 1e9, "receive_bps": 6e8},
            after={"send_bps": 2e9, "receive_bps": 3.9e9},
        ),
    )
    kept = guest_entry("db", dict(PLAN, action="keep", reason="already on virtio"))
    return [switched, kept]


def test_json_has_the_documented_keys_and_summary():
    doc = json.loads(render(_guests(), "json"))
    assert set(doc["guests"][0]) >= {
        "name",
        "hypervisor",
        "before_model",
        "after_model",
        "decision",
        "reason",
        "before",
        "after",
    }
    assert doc["guests"][0]["before"] == {"send_bps": 1e9, "receive_bps": 6e8}
    assert doc["summary"]["counts"]["switched"] == 1 and doc["summary"]["counts"]["kept"] == 1


def test_csv_and_markdown_show_before_after_and_gain():
    rows = list(csv.DictReader(io.StringIO(render(_guests(), "csv"))))
    assert rows[0]["before_send_mbps"] == "1000.0" and rows[0]["after_receive_mbps"] == "3900.0"
    md = render(_guests(), "md")
    assert "| web<1> | rtl8139 | virtio | switched | 1000 | 2000 | x2.00 | 600 | 3900 | x6.50 | live | 1.4 |" in md
    assert "| db |" in md


def test_html_escapes_names_and_draws_before_and_after_bars():
    page = render(_guests(), "html")

    class Bars(html.parser.HTMLParser):
        bars: list

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "rect":
                self.bars.append((attrs["data-host"], attrs["data-direction"], attrs["data-series"]))

    parser = Bars()
    parser.bars = []
    parser.feed(page)
    assert ("web<1>", "send", "before") in parser.bars and ("web<1>", "receive", "after") in parser.bars
    assert "web<1>" not in page and "web&lt;1&gt;" in page
    assert "<h2>Decisions</h2>" in page


def test_nothing_to_change_is_said():
    assert summary([guest_entry("db", dict(PLAN, action="keep", reason="x"))])["status"].startswith("nothing to change")


def test_bad_input_and_format():
    with pytest.raises(NicTuneError, match="guest entries"):
        final_report([{"name": "x"}])
    with pytest.raises(NicTuneError, match="unknown format"):
        render(_guests(), "pdf")


def test_kept_guests_are_not_failures():
    page = render(_guests(), "html")
    results = page.split("<h2>Results</h2>", 1)[1].split("<h2>", 1)[0]
    failures = page.split("<h2>Failures</h2>", 1)[1].split("<h2>", 1)[0]
    assert "web&lt;1&gt;" in results and ">db<" not in results
    assert "None." in failures and ">db<" not in failures


def test_fleet_summary_at_the_top():
    run = {
        "started": "2026-11-29T10:00:00+00:00",
        "duration_s": 612.3,
        "rollback_threshold": 0.1,
        "links": [("probe before the switch", "probe-before/report.html")],
    }
    md = render(_guests(), "md", run)
    top = md.split("## ", 1)[0]
    assert "**switched:** 1" in top and "**kept:** 1" in top and "**rolled back:** 0" in top
    assert "**send gain:** x2.00 median (x2.00 to x2.00 over 1 guest(s))" in top
    assert "**outage:** 1.4 s in all; per guest: web<1> 1.4 s" in top
    assert "**duration:** 612 s" in top and "[probe before the switch](probe-before/report.html)" in top
    assert "| rollback threshold | 10 % drop in either direction |" in md


def test_the_threshold_shown_is_the_one_the_guests_were_judged_by():
    # the run's settings come from the controller, but each guest is judged by its own nic_model_rollback_threshold
    judged = [
        guest_entry(
            name,
            dict(
                PLAN,
                action="switch",
                reason="best",
                outcome={"switched": True},
                verdict=compare({"send_bps": 1e9, "receive_bps": 1e9}, {"send_bps": 2e9, "receive_bps": 2e9}, t),
            ),
        )
        for name, t in (("a", 0.25), ("b", 0.25))
    ]
    run = {"rollback_threshold": 0.1}
    assert "| rollback threshold | 25 % drop in either direction |" in render(judged, "md", run)
    judged[1]["threshold"] = 0.1
    assert "| rollback threshold | 10 %, 25 % drop in either direction (per guest) |" in render(judged, "md", run)
    kept_only = [guest_entry("db", dict(PLAN, action="keep", reason="already on virtio"))]
    assert "| rollback threshold | 10 % drop in either direction |" in render(kept_only, "md", run)


def test_plan_report_and_lines():
    records = {
        "g1": dict(PLAN, name="g1", action="switch", reason="best model the hypervisor offers"),
        "g2": dict(PLAN, name="g2", action="keep", current_model="rtl8139", reason="no driver for virtio"),
        "g3": None,
    }
    assert plan_lines(records) == [
        "g1: switch rtl8139 -> virtio (best model the hypervisor offers)",
        "g2: keep rtl8139 (no driver for virtio)",
        "g3: skip (not audited or planned (unreachable?))",
    ]
    doc = json.loads(writer.render(plan_report(records), "json"))
    assert [p["name"] for p in doc["plan"]] == ["g1", "g2"]
    assert "| g3 |" in writer.render(plan_report(records), "md")


def test_plan_lines_say_how_each_switch_goes_and_final_lines_the_outage():
    records = {"g1": dict(PLAN, name="g1", action="switch", reason="best", method="live")}
    assert plan_lines(records) == ["g1: switch rtl8139 -> virtio, live (best)"]
    assert "| live |" in writer.render(plan_report(records), "md")
    entry = guest_entry("g1", dict(records["g1"], outcome={"switched": True, "method": "live", "outage_s": 1.82}))
    assert guest_line(entry) == "g1: switched rtl8139 -> virtio, outage 1.8 s (live) (best)"
    entry = guest_entry("g1", dict(records["g1"], outcome={"switched": True, "method": "cold"}), check_mode=True)
    assert guest_line(entry).startswith("g1: switched rtl8139 -> virtio, cold (check mode: would switch cold")


FINDING = {
    "kind": "vhost_net_missing",
    "what": "the vhost_net module is not loaded on hv1: virtio NICs run in QEMU's userspace",
    "fix": "modprobe vhost_net; echo vhost_net > /etc/modules-load.d/vhost_net.conf",
}


def test_findings_are_listed_in_the_plan_and_the_final_report():
    records = {
        "g1": dict(PLAN, action="switch", reason="best", findings=[FINDING]),
        "g2": dict(PLAN, action="keep", reason="already", findings=[]),
    }
    md = writer.render(plan_report(records), "md")
    findings = md.split("## Findings", 1)[1]
    assert "| g1 | the vhost_net module is not loaded on hv1" in findings and "modules-load.d" in findings
    assert "| g2 |" not in findings
    guests = [guest_entry(n, r) for n, r in sorted(records.items())]
    page = render(guests, "html")
    assert "<h2>Findings</h2>" in page and "modprobe vhost_net" in page.split("<h2>Findings</h2>", 1)[1]
    assert json.loads(render(guests, "json"))["guests"][0]["findings"] == [FINDING]


def test_no_findings_no_section():
    records = {"g1": dict(PLAN, action="switch", reason="best", findings=[])}
    assert "Findings" not in writer.render(plan_report(records), "md")
    assert "Findings" not in render([guest_entry("g1", records["g1"])], "html")


# --- the trials of the choice by measuring ------------------------------------------------------------------------


def _trials():
    published = {
        "rtl8139": {"send": [58.0e6, 58.6e6], "receive": [58.3e6, 58.3e6]},
        "e1000": {"send": [390e6, 398e6], "receive": [394e6, 394e6]},
        "xen_pv": {"send": [430e6, 434e6], "receive": [432e6, 432e6]},
    }
    kept = {
        "rtl8139": {"send": [1000e6, 1000e6], "receive": [600e6, 600e6]},
        "e1000": {"send": [1040e6], "receive": []},
    }
    return {
        "xen_hvm / xenfv / Windows 5.1 / xen_pv+e1000+rtl8139 / 1 vCPU": {
            "class": "xen_hvm / xenfv / Windows 5.1 / xen_pv+e1000+rtl8139 / 1 vCPU",
            "sample": "xp<1>",
            "members": ["xp<1>", "xp2"],
            "current": "rtl8139",
            "rounds": 2,
            "decision": choice.decide("rtl8139", published, 0.1, ["xen_pv", "e1000", "rtl8139"]),
        },
        "kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU": {
            "class": "kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU",
            "sample": "old",
            "members": ["old"],
            "current": "rtl8139",
            "rounds": 2,
            "decision": choice.decide("rtl8139", kept, 0.1, ["e1000", "rtl8139"]),
        },
        "kvm / pc / Linux 6.1 / rtl8139 / 1 vCPU": {
            "class": "kvm / pc / Linux 6.1 / rtl8139 / 1 vCPU",
            "members": ["legacy"],
            "sample": None,
            "why": "nothing to choose: the class can be tried on rtl8139 only",
            "decision": None,
        },
    }


def test_trials_in_the_final_report_markdown_and_json():
    trials = _trials()
    doc = final_report(_guests(), trials=trials)
    data = json.loads(writer.render(doc, "json"))
    assert set(data["trials"]) == set(trials)
    kept = data["trials"]["kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU"]["decision"]
    assert kept["kept"] is True and kept["choice"] == "rtl8139"  # recorded though the guest kept its model
    md = writer.render(doc, "md")
    xp = md.split("## Trials: xen_hvm / xenfv", 1)[1].split("\n## ", 1)[0]
    assert "Choice: switch to xen_pv - xen_pv is the fastest both ways" in xp
    assert "| candidate | direction | median (Mbit/s) | spread (Mbit/s) | tests | note |" in xp
    assert "| xen_pv | send | 432 | 4 | 2 | chosen |" in xp
    assert "| e1000 | receive | 394 | 0 | 2 |  |" in xp
    assert "| rtl8139 | receive | 58.3 | 0 | 2 | current |" in xp
    old = md.split("## Trials: kvm / pc / Linux 6.1 / e1000+rtl8139", 1)[1].split("\n## ", 1)[0]
    assert "Choice: keep rtl8139" in old and "| e1000 | receive |  |  | 0 |  |" in old
    assert "Nothing was tried: nothing to choose" in md


def test_trials_in_the_final_report_html_as_grouped_bars():
    page = writer.render(final_report(_guests(), trials=_trials()), "html")

    class Chart(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.bars, self.keys, self.ranges, self.headings, self._h2 = [], [], 0, [], False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "rect" and "data-candidate" in attrs:
                self.bars.append(
                    (attrs["data-class"], attrs["data-candidate"], attrs["data-direction"], attrs["class"])
                )
            elif tag == "rect" and attrs.get("class", "").startswith("key "):
                self.keys.append(attrs["class"])
            elif tag == "line" and attrs.get("class") == "range":
                self.ranges += 1
            self._h2 = tag == "h2"

        def handle_data(self, data):
            if self._h2:
                self.headings.append(data)

    parser = Chart()
    parser.feed(page)
    xp = "xen_hvm / xenfv / Windows 5.1 / xen_pv+e1000+rtl8139 / 1 vCPU"
    assert [b[1:3] for b in parser.bars if b[0] == xp] == [
        (candidate, direction) for candidate in ("xen_pv", "e1000", "rtl8139") for direction in ("send", "receive")
    ]
    assert {b[3] for b in parser.bars if b[0] == xp and b[2] == "send"} == {"bar send s0"}
    assert {b[3] for b in parser.bars if b[0] == xp and b[2] == "receive"} == {"bar receive s1"}
    # e1000 of the kept class was not measured receiving: a failed bar, still drawn
    assert ("kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU", "e1000", "receive", "bar receive s1 failed") in parser.bars
    assert parser.keys.count("key s0") == 2 and parser.ranges == 3  # send of each candidate of xp had a spread
    assert "Trials: %s" % xp in parser.headings
    assert "xp&lt;1&gt;" in page and "xp<1>" not in page


def test_trials_of_records_and_the_plan_report():
    trial = _trials()["kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU"]
    records = {
        "old": dict(PLAN, action="keep", reason="kept after trials", trial=trial),
        "other": dict(PLAN, action="keep", reason="x"),
        "gone": None,
    }
    found = trials_of({k: v for k, v in records.items() if v})
    assert list(found) == ["kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU"] and found[trial["class"]]["sample"] == "old"
    md = writer.render(plan_report(records), "md")
    assert "## Trials: kvm / pc / Linux 6.1 / e1000+rtl8139 / 1 vCPU" in md
    assert "Trials" not in writer.render(plan_report({"other": records["other"]}), "md")
    assert "trials" not in json.loads(writer.render(final_report(_guests()), "json"))
