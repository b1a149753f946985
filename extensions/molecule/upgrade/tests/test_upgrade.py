# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the upgrade on the lab: the reports of the first and the second run, the persistent
definitions in libvirt, and the guests themselves (driver loaded, still reachable)."""

from __future__ import annotations

import csv
import glob
import html.parser
import json
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
INVENTORY = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
# The standard guests move to virtio, the novirtio guest (no driver for virtio nor e1000e) to e1000, the legacy
# guest (no driver but 8139cp) keeps rtl8139.
EXPECTED = {"lab-guest1": "virtio", "lab-guest2": "virtio", "lab-legacy": "rtl8139", "lab-novirtio": "e1000"}
SWITCHED = ("lab-guest1", "lab-guest2", "lab-novirtio")
DRIVER = {"virtio": "virtio_net", "e1000e": "e1000e", "e1000": "e1000", "rtl8139": "8139cp"}

testinfra_hosts = ["guests"]


def _inventory():
    with open(INVENTORY) as handle:
        return yaml.safe_load(handle)


def _runs():
    dirs = sorted(d for d in glob.glob(os.path.join(EPHEMERAL, "reports", "*")) if os.path.isfile(d + "/report.json"))
    if len(dirs) < 2:
        pytest.fail("expected the reports of converge and idempotence under %s/reports, found %s" % (EPHEMERAL, dirs))
    return [json.load(open(d + "/report.json")) for d in dirs], dirs


def test_first_run_switched_every_capable_guest_and_measured_the_gain():
    runs = _runs()[0]
    guests = {g["name"]: g for g in runs[0]["guests"]}
    assert set(guests) == set(EXPECTED)
    for name in SWITCHED:
        g = guests[name]
        assert (g["decision"], g["before_model"], g["after_model"]) == ("switched", "rtl8139", EXPECTED[name]), g
        for side in ("before", "after"):
            for direction in ("send_bps", "receive_bps"):
                assert g[side][direction] and g[side][direction] > 1e6, (name, side, direction, g)
        assert set(g["gain"]) == {"send", "receive"} and all(v > 0 for v in g["gain"].values()), g


def test_legacy_guest_is_not_switched_and_the_plan_says_why():
    runs = _runs()[0]
    g = {g["name"]: g for g in runs[0]["guests"]}["lab-legacy"]
    assert g["decision"] == "kept" and g["after_model"] == "rtl8139"
    assert "no driver for virtio" in g["reason"], g


def test_plan_was_written_before_the_switch():
    dirs = _runs()[1]
    plan = json.load(open(dirs[0] + "/plan.json"))["plan"]
    actions = {p["name"]: p["action"] for p in plan}
    assert actions == {"lab-guest1": "switch", "lab-guest2": "switch", "lab-legacy": "keep", "lab-novirtio": "switch"}
    assert os.path.getmtime(dirs[0] + "/plan.json") < os.path.getmtime(dirs[0] + "/probe-before/report.json")


def test_second_run_changed_nothing_and_says_so():
    runs = _runs()[0]
    second = runs[1]
    assert second["summary"]["status"].startswith("nothing to change"), second["summary"]
    assert {g["decision"] for g in second["guests"]} == {"kept"}


def test_report_formats_parse_and_html_has_before_after_bars():
    dirs = _runs()[1]
    with open(dirs[0] + "/report.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["name"] for r in rows} == set(EXPECTED)
    assert "| lab-guest1 |" in open(dirs[0] + "/report.md").read()

    class Bars(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.bars = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "rect" and "bar" in attrs.get("class", ""):
                self.bars.append((attrs["data-host"], attrs["data-direction"], attrs["data-series"]))

    parser = Bars()
    parser.feed(open(dirs[0] + "/report.html").read())
    for host in SWITCHED:
        for direction in ("send", "receive"):
            assert (host, direction, "before") in parser.bars and (host, direction, "after") in parser.bars


def test_persistent_definitions_carry_the_new_models():
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python is needed to read the lab's definitions")
    inv = _inventory()["all"]["children"]
    uri = inv["hypervisors"]["hosts"]["lab-hypervisor"]["nic_model_uri"]
    guests = inv["lab_ssh"]["children"]["guests"]["hosts"]
    conn = libvirt.openReadOnly(uri)
    try:
        for name, model in EXPECTED.items():
            dom = conn.lookupByName(guests[name]["nic_model_domain"])
            xml = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            nic = xml.find("./devices/interface")
            assert nic.find("model").get("type") == model, name
            assert nic.find("mac").get("address") == guests[name]["lab_mac"], name
    finally:
        conn.close()


def test_guest_runs_the_driver_of_its_new_model(host):
    name = host.backend.get_hostname()
    assert DRIVER[EXPECTED[name]] in host.check_output("cat /proc/modules"), name


def test_every_switch_was_live_and_its_outage_measured():
    runs = _runs()[0]
    guests = {g["name"]: g for g in runs[0]["guests"]}
    for name in SWITCHED:
        g = guests[name]
        assert g["method"] == "live", g
        # ICMP from the endpoint every 0.05 s: a live swap costs seconds, a cold restart tens of seconds
        assert g["outage_s"] is not None and 0 < g["outage_s"] < 10, g
    page = open(_runs()[1][0] + "/report.html").read()
    assert "outage (s)" in page and ">live<" in page


def _before(name):
    path = os.path.join(EPHEMERAL, "before", name + ".json")
    if not os.path.isfile(path):
        pytest.fail("prepare did not note %s before the upgrade (%s)" % (name, path))
    with open(path) as handle:
        return json.load(handle)


def _nic_with_mac(links, mac):
    found = [link for link in links if link.get("address") == mac]
    assert len(found) == 1, (mac, links)
    link = found[0]
    return link["ifname"], sorted(a["local"] for a in link.get("addr_info", []) if a.get("family") == "inet")


def test_switched_guest_kept_its_name_address_and_mac_without_a_reboot(host):
    name = host.backend.get_hostname()
    if name not in SWITCHED:
        pytest.skip("%s was not switched" % name)
    guest = _inventory()["all"]["children"]["lab_ssh"]["children"]["guests"]["hosts"][name]
    before = _before(name)
    now_boot_id = host.check_output("cat /proc/sys/kernel/random/boot_id").strip()
    assert now_boot_id == before["boot_id"], "%s rebooted during the upgrade" % name
    now = _nic_with_mac(json.loads(host.check_output("ip -j addr show")), guest["lab_mac"])
    assert now == _nic_with_mac(before["links"], guest["lab_mac"]), name
    assert now[1] == [guest["ansible_host"]], now
