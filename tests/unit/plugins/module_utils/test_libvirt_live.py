# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live swap of a running domain's NICs, up to libvirt's boundary: a recording stand-in for a running domain
(libvirt's test driver cannot hot-plug). Real hot-plug on QEMU guests is tested on the lab (tests/lab)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml, live

MAC = "52:54:00:4e:54:0b"
IFACE = (
    "<interface type='bridge'>\n"
    "      <mac address='%s'/>\n"
    "      <source bridge='ntbr0'/>\n"
    "      <target dev='vnet3'/>\n"
    "      <model type='rtl8139'/>\n"
    "      <bandwidth><inbound average='1000'/></bandwidth>\n"
    "      <link state='up'/>\n"
    "      <alias name='ua-uplink'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
    "    </interface>" % MAC
)
DOMAIN = (
    "<domain type='qemu'><name>g1</name><os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
    "<devices>\n    %s\n    <serial type='pty'/>\n  </devices></domain>"
)


class Error(Exception):
    def get_error_message(self):
        return str(self)


class FakeLibvirt:
    VIR_DOMAIN_AFFECT_LIVE = 1
    libvirtError = Error


class RunningDomain:
    """A running domain: the guest acknowledges an unplug after ``ack_after`` polls (None: never)."""

    def __init__(self, iface=IFACE, ack_after=1, attach_fails=0):
        self.xml = DOMAIN % iface
        self.calls = []
        self.ack_after = ack_after
        self.attach_fails = attach_fails
        self.unplugging = None

    def isActive(self):
        return 1

    def XMLDesc(self, flags):
        if self.unplugging is not None and self.ack_after is not None:
            if self.ack_after <= 0:
                self.xml = self.xml.replace(self.unplugging, "")
                self.unplugging = None
            self.ack_after -= 1
        return self.xml

    def detachDeviceFlags(self, xml, flags):
        self.calls.append(("detach", xml, flags))
        mac = re.search(r"<mac address='([^']+)'", xml).group(1)
        self.unplugging = next(
            m.group(0) for m in re.finditer(r"<interface.*?</interface>", self.xml, re.S) if mac in m.group(0)
        )

    def attachDeviceFlags(self, xml, flags):
        self.calls.append(("attach", xml, flags))
        if self.attach_fails:
            self.attach_fails -= 1
            raise Error("internal error: unable to execute QEMU command 'device_add'")
        self.xml = self.xml.replace("<serial", xml + "\n    <serial", 1)


def _changes(dom, model="virtio"):
    running = domain_xml.Domain(dom.XMLDesc(0).encode())
    swapped, _result, _dom = domain_xml.plan(running.data, {"model": model, "match": {}}, lambda _m: None)
    old = live.portable(live.interface_xml(running, MAC))
    new = live.portable(live.interface_xml(domain_xml.Domain(swapped), MAC))
    return [(MAC, old, new, model)]


def _fast():
    ticks = iter(range(10**6))
    return {"sleep": lambda _s: None, "clock": lambda: next(ticks)}


def test_swap_unplugs_then_plugs_the_new_model_with_the_same_settings():
    dom = RunningDomain()
    out = live.swap(FakeLibvirt, dom, _changes(dom), timeout=20, **_fast())
    assert out == {"done": [MAC], "pending": None}
    assert [c[0] for c in dom.calls] == ["detach", "attach"]
    plugged = dom.calls[1][1]
    for kept in (f"<mac address='{MAC}'/>", "<source bridge='ntbr0'/>", "<bandwidth><inbound average='1000'/>",
                 "<link state='up'/>", "<alias name='ua-uplink'/>", "slot='0x03'"):  # fmt: skip
        assert kept in plugged
    assert "<model type='virtio'/>" in plugged and "vnet3" not in plugged
    now = domain_xml.Domain(dom.xml.encode()).nics()
    assert [(n["mac"], n["model"]) for n in now] == [(MAC, "virtio")]


def test_an_unplug_the_guest_does_not_acknowledge_changes_nothing_else():
    dom = RunningDomain(ack_after=None)
    out = live.swap(FakeLibvirt, dom, _changes(dom), timeout=5, **_fast())
    assert out["done"] == [] and "did not acknowledge the unplug" in out["pending"]
    assert [c[0] for c in dom.calls] == ["detach"]
    assert [n["model"] for n in domain_xml.Domain(dom.xml.encode()).nics()] == ["rtl8139"]


def test_a_new_nic_that_cannot_be_plugged_puts_the_old_one_back():
    dom = RunningDomain(attach_fails=1)
    with pytest.raises(
        NicTuneError, match=r"plugging NIC .* as virtio failed: .*device_add.; the old NIC was plugged back"
    ):
        live.swap(FakeLibvirt, dom, _changes(dom), timeout=20, **_fast())
    assert [c[0] for c in dom.calls] == ["detach", "attach", "attach"]
    assert "<model type='rtl8139'/>" in dom.calls[2][1]
    assert [(n["mac"], n["model"]) for n in domain_xml.Domain(dom.xml.encode()).nics()] == [(MAC, "rtl8139")]


@pytest.mark.parametrize(
    ("machine", "iface", "running", "blocked"),
    [
        ("pc-i440fx-7.2", IFACE, True, None),
        ("q35", IFACE.replace("bus='0x00' slot='0x03'", "bus='0x01' slot='0x00'"), True, None),
        ("pc", IFACE, False, "not running"),
        ("q35", IFACE, True, "PCIe root bus of a q35 machine"),
        ("isapc", IFACE, True, "machine type 'isapc'"),
        ("pc", IFACE.replace("type='bridge'", "type='hostdev'"), True, "type hostdev"),
        (
            "pc",
            IFACE.replace("type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'", "type='ccw'"),
            True,
            "ccw",
        ),
    ],
)
def test_what_cannot_be_swapped_live(machine, iface, running, blocked):
    xml = (DOMAIN % iface).replace("pc-i440fx-7.2", machine)
    dom = domain_xml.Domain(xml.encode())
    reason = live.live_blocker(dom, dom.nics(), running)
    assert (reason is None) if blocked is None else (blocked in reason), reason


def test_portable_drops_what_libvirt_generates_and_keeps_user_aliases():
    element = (
        b"<interface><target dev='vnet12'/><alias name='net0'/><alias name='ua-x'/><target dev='tap-mine'/></interface>"
    )
    assert live.portable(element) == b"<interface><alias name='ua-x'/><target dev='tap-mine'/></interface>"
