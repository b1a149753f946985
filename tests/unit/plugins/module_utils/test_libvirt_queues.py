# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Multi-queue virtio (nic_model's ``queues``): ``<driver queues='N'/>`` set, added or removed by the domain XML
editor with every other byte kept; the libvirt API backend defines and reads it back; a live swap plugs the NIC
with its queues; other backends refuse the option."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml, live
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run

MAC = "52:54:00:00:00:01"


def _doc(iface, vcpus=2):
    return (
        "<domain type='kvm'>\n  <name>d1</name>\n  <vcpu>%d</vcpu>\n  <devices>\n%s\n  </devices>\n</domain>\n"
        % (vcpus, iface)
    ).encode()


def _iface(*children, indent="      "):
    inner = "".join("\n%s%s" % (indent, c) for c in (f"<mac address='{MAC}'/>", *children))
    return "    <interface type='bridge'>%s\n    </interface>" % inner


def _plan(data, model="virtio", queues=None, match=None):
    warnings = []
    options = {"model": model, "queues": queues, "match": match or {}}
    new, result = domain_xml.plan_file("d1.xml", data, options, warnings.append)
    return new, result["nics"][0], warnings


def _driver(data):
    node = ET.fromstring(data).find("devices/interface/driver")
    return None if node is None else dict(node.attrib)


@pytest.mark.parametrize(
    "children, model, queues, driver, removed",
    [
        # no <model>, no <driver>: both inserted, model first, each on its own line
        ((), "virtio", 2, {"queues": "2"}, None),
        # an emulated model becomes virtio with queues: the driver goes after the model
        (("<source bridge='br0'/>", "<model type='rtl8139'/>"), "virtio", 4, {"queues": "4"}, None),
        # an existing <driver> keeps its other attributes and gains queues, in its own quote style
        (("<model type='virtio'/>", '<driver name="vhost"/>'), "virtio", 2, {"name": "vhost", "queues": "2"}, None),
        # queues changed in place
        (("<model type='virtio'/>", "<driver name='vhost' queues='4'/>"), "virtio", 2,
         {"name": "vhost", "queues": "2"}, None),
        # one queue: the attribute goes, the driver stays for its other attribute
        (("<model type='virtio'/>", "<driver name='vhost' queues='2'/>"), "virtio", 1, {"name": "vhost"}, None),
        # one queue: a driver with nothing else goes altogether
        (("<model type='virtio'/>", "<driver queues='2'/>"), "virtio", 1, None, "<driver"),
        # another model: every driver goes (the model has none), queues 1 is accepted
        (("<model type='virtio'/>", "<driver queues='2'/>"), "e1000", 1, None, "<driver"),
    ],
)  # fmt: skip
def test_queues_are_written_and_a_second_plan_changes_nothing(children, model, queues, driver, removed):
    data = _doc(_iface(*children))
    new, nic, _w = _plan(data, model, queues)
    assert nic["changed"] and nic["model_after"] == model
    assert _driver(new) == driver
    assert nic["queues_after"] == (int(driver["queues"]) if driver and "queues" in driver else None)
    if removed:
        assert removed not in new.decode()
    for line in new.decode().splitlines():
        assert not line.strip() or line.startswith(("<", "  ")), new  # every inserted line indented
    again, nic2, _w = _plan(new, model, queues)
    assert again == new and not nic2["changed"]
    assert domain_xml.Domain(new).nic(0)["queues"] == nic["queues_after"]


def test_only_bytes_of_the_driver_change():
    data = _doc(_iface("<model type='virtio'/>", "<driver name='vhost' txmode='iothread'/>", "<!-- keep -->"))
    new, _nic, _w = _plan(data, "virtio", 3)
    assert new == data.replace(b"txmode='iothread'/>", b"txmode='iothread' queues='3'/>")


def test_queues_on_an_inline_interface():
    data = _doc("    <interface type='bridge'><mac address='%s'/></interface>" % MAC)
    new, nic, _w = _plan(data, "virtio", 2)
    assert b"<mac address='%s'/><model type='virtio'/><driver queues='2'/></interface>" % MAC.encode() in new
    assert nic["queues_after"] == 2


def test_one_queue_on_a_nic_without_queues_changes_nothing():
    data = _doc(_iface("<model type='virtio'/>"))
    new, nic, _w = _plan(data, "virtio", 1)
    assert new == data and not nic["changed"]


def test_queues_alone_leave_the_model_and_skip_other_models():
    data = _doc(_iface("<model type='virtio'/>") + "\n" + _iface("<model type='e1000'/>").replace(MAC, MAC[:-1] + "2"))
    warnings = []
    new, result = domain_xml.plan_file("d1.xml", data, {"model": None, "queues": 2, "match": {}}, warnings.append)
    virtio, e1000 = result["nics"]
    assert virtio["changed"] and virtio["model_after"] == "virtio" and virtio["queues_after"] == 2
    assert e1000["skipped"] and "virtio NICs only" in e1000["reason"] and not e1000["changed"]
    assert new.count(b"<driver queues='2'/>") == 1


def test_more_queues_with_another_model_are_refused():
    with pytest.raises(NicTuneError, match="queues 2 needs a virtio model, not e1000"):
        _plan(_doc(_iface()), "e1000", 2)


@pytest.mark.parametrize("queues", [0, -1, 257, True, "2"])
def test_bad_queues_are_refused(queues):
    with pytest.raises(NicTuneError, match="queues must be a whole number from 1 to 256"):
        _plan(_doc(_iface()), "virtio", queues)


def test_more_queues_than_vcpus_warn():
    _new, _nic, warnings = _plan(_doc(_iface(), vcpus=1), "virtio", 2)
    assert warnings == [
        "domain d1, NIC 0 (%s): 2 queues for 1 vCPU(s): a queue pair per vCPU is what the guest can use" % MAC
    ]


def test_a_live_swap_plugs_the_nic_with_its_queues():
    running = domain_xml.Domain(_doc(_iface("<target dev='vnet0'/>", "<model type='rtl8139'/>")))
    swapped, _result, _d = domain_xml.plan(running.data, {"model": "virtio", "queues": 2, "match": {}}, lambda _m: None)
    new = live.portable(live.interface_xml(domain_xml.Domain(swapped), MAC))
    assert b"<model type='virtio'/>" in new and b"<driver queues='2'/>" in new and b"vnet0" not in new


class _Host:
    check_mode = True
    diff_mode = False

    def __init__(self):
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


def test_other_backends_refuse_queues(tmp_path):
    cfg = tmp_path / "web01.cfg"
    cfg.write_text("name = 'web01'\nvif = [ 'bridge=xenbr0' ]\n")
    params = {"backend": "auto", "path": [str(cfg)], "model": "e1000", "queues": 2, "match": None}
    with pytest.raises(NicTuneError, match=r"queues .* libvirt domains only.*this is a xen file"):
        run.apply(_Host(), params)
    xml = tmp_path / "d1.xml"
    xml.write_bytes(_doc(_iface()))
    out = run.apply(_Host(), dict(params, path=[str(xml)], model="virtio"))
    assert out["changed"] and out["results"][0]["nics"][0]["queues_after"] == 2
