# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vhost-net preflight: the host's readings, the NIC's back end and queues, and what nic_model_info reports."""

from __future__ import annotations

import os

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import api as libvirt_api
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml, vhost

PROC_WITH = "kvm_intel 380928 0 - Live 0x0\nvhost_net 36864 1 - Live 0x0\nvhost 57344 1 vhost_net, Live 0x0\n"
PROC_WITHOUT = "kvm_intel 380928 0 - Live 0x0\nvhost 57344 0 - Live 0x0\nvhost_iotlb 16384 1 vhost, Live 0x0\n"


@pytest.mark.parametrize(
    ("proc_modules", "sys_module", "device", "expected"),
    [
        (PROC_WITH, True, True, {"loaded": True, "device": True}),
        (PROC_WITHOUT, False, False, {"loaded": False, "device": False}),
        # built into the kernel: not in /proc/modules, but in /sys/module
        (PROC_WITHOUT, True, True, {"loaded": True, "device": True}),
        # /proc/modules unreadable (a container, this machine): /sys/module decides
        (None, False, False, {"loaded": False, "device": False}),
        (None, True, True, {"loaded": True, "device": True}),
        # neither can be read: unknown
        (None, None, False, {"loaded": None, "device": False}),
        # loaded, but the device node is missing (no udev, a chroot)
        (PROC_WITH, True, False, {"loaded": True, "device": False}),
        ("", False, False, {"loaded": False, "device": False}),
    ],
)
def test_facts(proc_modules, sys_module, device, expected):
    assert vhost.facts(proc_modules, sys_module, device) == expected


def test_a_module_named_like_it_is_not_it():
    assert vhost.module_listed("vhost_net_extra 1 0 - Live 0x0\nvhost 1 0 - Live 0x0\n") is False


def test_read_from_a_root_of_our_own(tmp_path):
    assert vhost.read(str(tmp_path)) == {"loaded": None, "device": False}
    (tmp_path / "sys" / "module" / "bridge").mkdir(parents=True)
    assert vhost.read(str(tmp_path)) == {"loaded": False, "device": False}
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "modules").write_text(PROC_WITH)
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "vhost-net").write_text("")
    assert vhost.read(str(tmp_path)) == {"loaded": True, "device": True}


def test_read_this_machine():
    """The real readings of this machine. The development and CI machines have no /dev/vhost-net (LAB-NOTES.md:
    virtio-net runs in QEMU's userspace there), and their /proc/modules may be missing (a container); the core must
    say exactly what the files say."""
    facts = vhost.read()
    try:
        with open("/proc/modules", encoding="utf-8", errors="replace") as handle:
            listed = any(line.split(" ", 1)[0] == "vhost_net" for line in handle)
    except OSError:
        listed = None
    in_sys = os.path.isdir("/sys/module/vhost_net") if os.path.isdir("/sys/module") else None
    assert facts["device"] is os.path.exists("/dev/vhost-net")
    if listed or in_sys:
        assert facts["loaded"] is True
    elif listed is False or in_sys is False:
        assert facts["loaded"] is False
    else:
        assert facts["loaded"] is None


def _domain(interfaces, vcpu="<vcpu placement='static'>1</vcpu>"):
    return domain_xml.Domain(
        "<domain type='kvm'><name>g</name>%s<os><type arch='x86_64' machine='pc'>hvm</type></os>"
        "<devices>%s</devices></domain>" % (vcpu, interfaces)
    )


@pytest.mark.parametrize(
    ("driver", "backend", "queues"),
    [
        ("", None, None),
        ("<driver name='vhost'/>", "vhost", None),
        ("<driver name='qemu'/>", "qemu", None),
        ("<driver name='QEMU' queues='4'/>", "qemu", 4),
        ("<driver queues='2'><host csum='off'/></driver>", None, 2),
        ("<driver name='vhost' queues='x'/>", "vhost", None),
        ("<driver name='vhost' queues='0'/>", "vhost", None),
    ],
)
def test_nic_back_end_and_queues(driver, backend, queues):
    iface = "<interface type='bridge'><source bridge='br0'/><model type='virtio'/>%s</interface>" % driver
    described = domain_xml.describe(_domain(iface))
    nic = described["nics"][0]
    assert (nic["backend_driver"], nic["queues"]) == (backend, queues)


@pytest.mark.parametrize(
    ("vcpu", "expected"),
    [
        ("<vcpu placement='static'>4</vcpu>", 4),
        ("<vcpu placement='static' current='2'>8</vcpu>", 2),
        ("", None),
    ],
)
def test_vcpus(vcpu, expected):
    assert domain_xml.describe(_domain("", vcpu))["vcpus"] == expected


@pytest.mark.parametrize(
    ("uri", "read"),
    [
        ("qemu:///system", True),
        ("qemu:///session", True),
        ("qemu:///system?socket=/tmp/x/libvirt-sock", True),
        ("qemu+ssh://other/system", False),
        ("test:///default", False),
    ],
)
def test_host_facts_only_where_the_host_is_this_one(uri, read):
    calls = []

    def reader():
        calls.append(1)
        return {"loaded": False, "device": False}

    assert libvirt_api._vhost_for(uri, reader) == ({"loaded": False, "device": False} if read else None)
    assert len(calls) == (1 if read else 0)


def test_info_on_the_test_driver_reports_queues_and_no_host_facts():
    libvirt = pytest.importorskip("libvirt")
    libvirt.registerErrorHandler(lambda _c, _e: None, None)

    class Host:
        check_mode = diff_mode = False

        def warn(self, msg):
            raise AssertionError(msg)

    out = libvirt_api.info(Host(), libvirt, "test:///default", None, read_vhost=lambda: pytest.fail("read"))
    for entry in out["domains"]:
        assert entry["host_vhost_net"] is None  # the test driver is not a QEMU driver on this host
        assert all("backend_driver" in nic and "queues" in nic for nic in entry["nics"])


# A definition as `virsh dumpxml --inactive` prints it for a KVM guest whose virtio NIC asks for QEMU's userspace
# back end (the finding's subject), and this machine's own vhost-net readings.
DUMPXML = """<domain type='kvm'>
  <name>web01</name>
  <uuid>5c1e7c0a-63c2-4b38-9a1e-2f3f7a3d1c11</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='bridge'>
      <mac address='52:54:00:6b:3c:01'/>
      <source bridge='br0'/>
      <model type='virtio'/>
      <driver name='qemu' queues='2'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
  </devices>
</domain>
"""


def test_a_nic_with_the_userspace_back_end_is_flagged_with_this_machines_readings():
    from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import guest_record

    entry = domain_xml.describe(domain_xml.Domain(DUMPXML))
    host = vhost.read()
    entry.update(backend="libvirt", state="running", host_vhost_net=host)
    record = guest_record("web01", "hv1", {"uri": "qemu:///system", "domains": [entry]}, supported=None)
    kinds = [f["kind"] for f in record["findings"]]
    assert "userspace_backend" in kinds
    assert [n["backend_driver"] for n in record["nics"]] == ["qemu"] and record["vcpus"] == 2
    # the host part follows the machine: no /dev/vhost-net here (LAB-NOTES.md), so it is flagged too
    assert ("vhost_net_missing" in kinds) is (not host["device"] or host["loaded"] is False)
