# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guest_drivers on the lab's real guests.

1. What the role decided: the standard guests drive rtl8139, e1000 and virtio; the novirtio guest (its image has
   no virtio_net.ko) drives the emulated Intel NICs but not virtio; the legacy guest (no NIC driver but 8139cp)
   drives only rtl8139.
2. What the role set up survives a NIC model change done by hand with virsh (dumpxml --inactive, edit, define,
   destroy, start): the guest comes back with the same interface name and address.

   In this lab a plain model change alone would not rename the NIC: libvirt keeps the NIC's PCI address in the
   persistent definition, systemd-udevd's predictable name (``ens3``) comes from that slot, and the lab's own
   systemd-networkd file (written at first boot) matches the NIC by MAC. So the experiment also moves the NIC to
   another PCI slot, which is what happens when a NIC is re-created rather than edited (a Xen HVM guest moving
   from an emulated NIC to a PV vif, a tool that drops ``<address>``): then the control guest, converged without
   name pinning, comes back under a new name (``ens9``), while the guest with the role's ``.link`` file keeps its
   name. The control guest keeps its address only because the lab's networkd file matches by MAC; a guest whose
   configuration matches by name (ifupdown's ``iface ens3``, netplan/NetworkManager profiles keyed by name) would
   lose it with the name.

Every guest touched is restored to rtl8139 in its original PCI slot and restarted, also when a test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest
import testinfra
import yaml

INVENTORY = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
RESULTS = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or "/tmp"
PINNED = os.environ.get("NICTUNE_PINNED_GUEST", "lab-guest1")
CONTROL = os.environ.get("NICTUNE_CONTROL_GUEST", "lab-guest2")
NEW_MODEL = "virtio"
NEW_SLOT = "0x09"
BOOT_TIMEOUT = int(os.environ.get("NICTUNE_BOOT_TIMEOUT", "400"))


def _walk(group, out):
    for name, hvars in (group.get("hosts") or {}).items():
        out.setdefault(name, {}).update(hvars or {})
    for child in (group.get("children") or {}).values():
        _walk(child or {}, out)


def _lab():
    with open(INVENTORY, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    hosts = {}
    _walk(data["all"], hosts)
    guests = {}
    _walk(data["all"]["children"]["lab_ssh"]["children"]["guests"], guests)
    return hosts, sorted(guests)


HOSTS, GUESTS = _lab() if os.path.exists(INVENTORY) else ({}, [])
pytestmark = pytest.mark.skipif(not GUESTS, reason="no lab inventory at %s" % INVENTORY)


def result_of(name):
    with open(os.path.join(RESULTS, "guest_drivers_result-%s.json" % name), encoding="utf-8") as handle:
        return json.load(handle)


def guest(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=INVENTORY)


def virsh(*args, text=None):
    uri = HOSTS["lab-hypervisor"]["nic_model_uri"]
    return subprocess.run(
        ["virsh", "-q", "-c", uri, *args], check=True, capture_output=True, text=True, input=text
    ).stdout


def set_nic(name, model, slot):
    """Change the model (and PCI slot) of the guest's NIC in its persistent definition, then cold-restart it."""
    domain = HOSTS[name]["nic_model_domain"]
    root = ET.fromstring(virsh("dumpxml", "--inactive", domain))
    iface = root.find("./devices/interface")
    iface.find("model").set("type", model)
    address = iface.find("address")
    old_slot = address.get("slot")
    address.set("slot", slot)
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as handle:
        handle.write(ET.tostring(root, encoding="unicode"))
    try:
        virsh("define", handle.name)
    finally:
        os.unlink(handle.name)
    if "running" in virsh("domstate", domain):
        virsh("destroy", domain)
    virsh("start", domain)
    return old_slot


def wait_ssh(name, timeout=BOOT_TIMEOUT):
    """True once the guest answers over SSH (its address is up again), False after ``timeout`` seconds."""
    host = guest(name)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if host.run("true").rc == 0:
                return True
        except Exception:  # ssh refusing or timing out while the guest boots
            pass
        time.sleep(5)
    return False


def observe(name):
    """The guest's NIC as the guest sees it: name, IPv4 address, driver, .link file udev applied."""
    host = guest(name)
    mac = HOSTS[name]["lab_mac"].lower()
    for line in host.check_output("ip -o link show").splitlines():
        if "link/ether " + mac in line:
            ifname = line.split(":")[1].strip().split("@")[0]
            break
    else:
        return {"name": None}
    info = host.check_output("udevadm info -q property -p /sys/class/net/%s" % ifname)
    props = dict(line.split("=", 1) for line in info.splitlines() if "=" in line)
    return {
        "name": ifname,
        "addresses": host.interface(ifname).addresses,
        "driver": os.path.basename(host.check_output("readlink /sys/class/net/%s/device/driver" % ifname)),
        "link_file": props.get("ID_NET_LINK_FILE"),
    }


@pytest.mark.parametrize("name", [g for g in GUESTS if HOSTS[g].get("lab_variant") == "standard"])
def test_standard_guests_drive_rtl8139_e1000_and_virtio(name):
    result = result_of(name)
    assert result["os_family"] == "Linux"
    assert {"rtl8139", "e1000", "virtio"} <= set(result["supported_models"]), result["missing"]
    assert "8139cp" in result["installed"] and "virtio_net" in result["installed"]
    assert result["refused"] == []


@pytest.mark.parametrize("name", [g for g in GUESTS if HOSTS[g].get("lab_variant") == "novirtio"])
def test_novirtio_guest_does_not_drive_virtio(name):
    result = result_of(name)
    assert "virtio" not in result["supported_models"]
    # The lab's novirtio image is the published guest: e1000 (and vmxnet3), no virtio_net nor e1000e.
    assert {"rtl8139", "e1000", "vmxnet3"} <= set(result["supported_models"]), result["supported_models"]
    assert "e1000e" not in result["supported_models"]
    missing = {m["model"]: m for m in result["missing"]}
    assert "virtio_net" in missing["virtio"]["reason"]
    assert not guest(name).file("/lib/modules/%s/kernel/drivers/net/virtio_net.ko" % result["kernel"]).exists


@pytest.mark.parametrize("name", [g for g in GUESTS if HOSTS[g].get("lab_variant") == "legacy"])
def test_legacy_guest_drives_only_rtl8139(name):
    result = result_of(name)
    # The lab's legacy image has no NIC driver but 8139cp.
    assert result["supported_models"] == ["rtl8139"], result["supported_models"]
    missing = {m["model"]: m for m in result["missing"]}
    assert {"e1000", "e1000e", "virtio"} <= set(missing), sorted(missing)


@pytest.mark.parametrize("name", [g for g in GUESTS if g != CONTROL])
def test_names_are_pinned_to_the_mac(name):
    result = result_of(name)
    assert result["naming_method"] == "link"
    [entry] = result["naming"]
    assert entry["mac"] == HOSTS[name]["lab_mac"].lower()
    pin = guest(name).file(entry["pinned_by"])
    assert pin.exists and pin.mode == 0o644
    assert "MACAddress=%s" % entry["mac"] in pin.content_string
    assert "Name=%s" % entry["interface"] in pin.content_string
    # The lab's networkd file matches by MAC, and the role saw it.
    assert entry["config_by_mac"] == ["/etc/systemd/network/10-nictune-lab.network"]


def test_control_guest_has_no_pin():
    result = result_of(CONTROL)
    assert "naming" not in result
    assert guest(CONTROL).run("ls /etc/systemd/network/10-nictune-*.link").rc != 0


@pytest.fixture(scope="module")
def switched():
    """Switch the pinned and the control guest to virtio in another PCI slot; observe; always switch back."""
    names = [PINNED, CONTROL]
    before = {n: observe(n) for n in names}
    old_slots = {}
    after = {}
    try:
        for n in names:
            old_slots[n] = set_nic(n, NEW_MODEL, NEW_SLOT)
        for n in names:
            reachable = wait_ssh(n)
            after[n] = dict(observe(n), reachable=True) if reachable else {"reachable": False, "name": None}
        yield before, after
    finally:
        for n in names:
            if n in old_slots:
                set_nic(n, "rtl8139", old_slots[n])
        for n in names:
            assert wait_ssh(n), "%s did not come back on rtl8139" % n
            restored = observe(n)
            assert restored["driver"] == "8139cp" and restored["name"] == before[n]["name"]


def test_pinned_guest_keeps_name_and_address_after_model_change(switched):
    before, after = switched
    b, a = before[PINNED], after[PINNED]
    assert a["reachable"], "the guest with the role's change did not answer after the switch"
    assert b["driver"] == "8139cp" and a["driver"] == "virtio_net"
    assert a["name"] == b["name"]
    assert set(b["addresses"]) <= set(a["addresses"])
    assert a["link_file"] == "/etc/systemd/network/10-nictune-%s.link" % b["name"]


def test_control_guest_without_the_role_loses_its_name(switched):
    before, after = switched
    b, a = before[CONTROL], after[CONTROL]
    assert b["driver"] == "8139cp"
    if a["reachable"]:
        assert a["driver"] == "virtio_net"
        assert a["name"] != b["name"], "expected a new predictable name from the new PCI slot"
        assert a["link_file"] != "/etc/systemd/network/10-nictune-%s.link" % b["name"]
        # Still reachable only because the lab's networkd file matches the MAC (see the module docstring).
        assert set(b["addresses"]) <= set(a["addresses"])
