# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switch the NIC model of a running libvirt domain without a restart (no Ansible imports, no libvirt import).

libvirt refuses a live change of a NIC's model ("cannot modify network device model"), but a running guest can lose
its NIC and get another one: the old ``<interface>`` is hot-unplugged, and an ``<interface>`` of the new model with
the same MAC, source and settings (target, user alias, bandwidth, VLAN, filterref, link state, PCI address) is
hot-plugged. A guest whose NIC name is pinned to its MAC keeps its name, configuration and address.

Never leave a guest without its NIC:

* the unplug needs the guest's cooperation (ACPI hot-unplug): when it is not done within the timeout, nothing else
  is done and the running domain stays as it is (the persistent definition already holds the new model, pending
  a restart);
* when the new NIC cannot be plugged, the old one is plugged again at once.

The libvirt binding and the domain come in as parameters, so the logic is tested with a recording stand-in and on
real QEMU guests.
"""

from __future__ import annotations

import re
import time

from .._common.errors import NicTuneError
from .._common.wait import wait_until
from . import domain_xml as _xml
from .connection import message as _message

# Machine types whose NICs can be hot-plugged (PCI/PCIe with ACPI or native hot-plug).
_HOTPLUG_MACHINES = re.compile(r"^(pc|q35|pc-i440fx-[0-9.]+|pc-q35-[0-9.]+|virt(-[0-9.]+)?)$")
# Interface types libvirt cannot hot-plug as an ordinary NIC here.
_NO_HOTPLUG_TYPES = ("hostdev", "vdpa", "vhostuser")
# What libvirt generates for a running NIC and must not be given back (it assigns new ones).
_RUNTIME_RE = re.compile(
    rb"\s*<target\s+dev=(['\"])(?:vnet|macvtap|macvlan)[0-9]+\1\s*/>|\s*<alias\s+name=(['\"])(?!ua-)[^'\"]*\2\s*/>"
)


def live_blocker(domain, nics, running):
    """Why ``nics`` (entries of ``Domain.nics()``) of the running ``domain`` cannot be swapped live, or None."""
    if not running:
        return "the domain is not running"
    machine = (domain.machine or "").lower()
    if not _HOTPLUG_MACHINES.match(machine):
        return "machine type %r has no PCI hot-plug the collection knows" % (domain.machine,)
    for nic in nics:
        if nic["type"] in _NO_HOTPLUG_TYPES:
            return "NIC %d is of type %s, which is not swapped live" % (nic["index"], nic["type"])
        if nic["address_type"] not in (None, "pci"):
            return "NIC %d sits on a %s address, not PCI" % (nic["index"], nic["address_type"])
        if "q35" in machine and nic["pci_address"] and nic["pci_address"].startswith("0000:00:"):
            return "NIC %d sits on the PCIe root bus of a q35 machine, which has no hot-plug" % nic["index"]
    return None


def interface_xml(domain, mac):
    """The ``<interface>`` element of ``domain`` (a parsed ``Domain``) with MAC ``mac``, as it is written."""
    for index, iface in enumerate(domain.interfaces):
        if domain.nic(index)["mac"] == mac:
            return domain.data[iface.start : iface.end]
    raise NicTuneError("domain %s has no NIC with MAC %s" % (domain.name, mac))


def portable(element):
    """``element`` without what libvirt generates for a running NIC (``vnetN`` target, ``netN`` alias)."""
    return _RUNTIME_RE.sub(b"", element)


def _macs(libvirt, dom):
    return {nic["mac"]: nic for nic in _xml.Domain(dom.XMLDesc(0)).nics()}


def swap(libvirt, dom, changes, timeout, sleep=time.sleep, clock=time.monotonic):
    """Swap each NIC of ``changes`` (``[(mac, old_element, new_element, model)]``) of running ``dom``, one by one.

    Returns ``{"done": [mac...], "pending": reason or None}``: ``pending`` when an unplug was not acknowledged
    within ``timeout`` seconds (that NIC and the ones after it stay as they are). Raises NicTuneError when the new
    NIC cannot be plugged, after plugging the old one again.
    """
    live = libvirt.VIR_DOMAIN_AFFECT_LIVE
    done = []
    for mac, old, new, model in changes:
        try:
            dom.detachDeviceFlags(old.decode("utf-8"), live)
        except libvirt.libvirtError as exc:
            return {"done": done, "pending": "the unplug of NIC %s was refused: %s" % (mac, _message(exc))}
        if not wait_until(lambda m=mac: m not in _macs(libvirt, dom), timeout, sleep, clock, poll=0.2):
            return {
                "done": done,
                "pending": "the guest did not acknowledge the unplug of NIC %s within %d s (ACPI hot-unplug): the old "
                "NIC stays; the new model takes effect at the next restart" % (mac, timeout),
            }
        try:
            dom.attachDeviceFlags(new.decode("utf-8"), live)
        except libvirt.libvirtError as exc:
            reason = "plugging NIC %s as %s failed: %s" % (mac, model, _message(exc))
            try:
                dom.attachDeviceFlags(old.decode("utf-8"), live)
            except libvirt.libvirtError as again:
                raise NicTuneError(reason + "; plugging the old NIC back FAILED too: %s" % _message(again))
            raise NicTuneError(reason + "; the old NIC was plugged back")
        now = _macs(libvirt, dom).get(mac)
        if now is None or now["model"] != model:
            raise NicTuneError(
                "after plugging NIC %s the running domain shows model %s, not %s" % (mac, now and now["model"], model)
            )
        done.append(mac)
    return {"done": done, "pending": None}
