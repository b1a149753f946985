# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import (
    compare,
    findings,
    guest_record,
    plan_guest,
    planned_method,
    platform_of,
    switch_method,
)


def kvm(model="rtl8139", domain_type="qemu"):
    return {
        "backend": "libvirt",
        "domain": "g1",
        "domain_type": domain_type,
        "guest_type": "hvm",
        "nics": [{"index": 0, "model": model}],
    }


def xen(guest_type="hvm", model="rtl8139", nic_type="ioemu"):
    return {
        "backend": "xen",
        "domain": "x1",
        "guest_type": guest_type,
        "nics": [{"index": 0, "model": model if nic_type == "ioemu" else None, "type": nic_type}],
    }


def proxmox(model="e1000-82545em"):
    return {
        "backend": "proxmox",
        "platform": "proxmox",
        "domain": "p1",
        "vmid": "100",
        "nics": [{"index": 0, "model": model}],
    }


ALL = ["rtl8139", "e1000", "e1000e", "virtio"]


@pytest.mark.parametrize(
    ("domain", "kwargs", "action", "target", "reason_part"),
    [
        (kvm(), {"supported": ALL}, "switch", "virtio", "best model"),
        (kvm(), {"supported": ["rtl8139", "e1000", "e1000e"]}, "switch", "e1000e", "no driver for virtio"),
        (kvm(), {"supported": ["rtl8139"]}, "keep", "rtl8139", "no driver for virtio, e1000e, e1000"),
        (kvm(), {"supported": ["rtl8139"], "readiness_gate": False}, "switch", "virtio", "gate overridden"),
        (kvm("virtio"), {"supported": ALL}, "keep", "virtio", "already on virtio"),
        (kvm(), {"supported": ALL, "pinned": "e1000"}, "switch", "e1000", "pinned"),
        (kvm(), {"supported": ALL, "pinned": "auto"}, "switch", "virtio", "best model"),
        (kvm(), {"supported": ALL, "pinned": "AUTO"}, "switch", "virtio", "best model"),
        (kvm("e1000"), {"supported": ALL, "pinned": "e1000"}, "keep", "e1000", "already on e1000"),
        (kvm(), {"supported": ["rtl8139"], "pinned": "virtio"}, "skip", None, "no driver"),
        (kvm(), {"supported": ALL, "pinned": "vmxnet3", "offered": ["rtl8139", "virtio"]}, "skip", None, "not offered"),
        (kvm(), {"supported": ALL, "offered": ["rtl8139", "e1000"]}, "switch", "e1000", "best"),
        (kvm("virtio"), {"supported": ALL, "ranking": ["e1000", "virtio", "rtl8139"]}, "switch", "e1000", "best"),
        (kvm(), {"supported": None}, "switch", "virtio", "best model"),
        (xen(), {"supported": ["rtl8139", "e1000", "xen_pv"]}, "switch", "xen_pv", "best"),
        (xen(), {"supported": ["rtl8139", "e1000"]}, "switch", "e1000", "no driver for xen_pv"),
        (xen(nic_type="vif"), {"supported": ["xen_pv"]}, "keep", "xen_pv", "already on xen_pv"),
        (xen("pv"), {"supported": ALL}, "skip", None, "PV"),
        (proxmox(), {"supported": ALL}, "switch", "virtio", "best model"),
        (proxmox(), {"supported": ["rtl8139", "e1000"]}, "keep", "e1000", "already on e1000"),
        ({"backend": "libvirt", "domain": "n", "domain_type": "kvm", "nics": []}, {}, "skip", None, "no NIC"),
        (None, {}, "skip", None, "not found"),
    ],
)
def test_plan_guest(domain, kwargs, action, target, reason_part):
    plan = plan_guest("g", domain, **kwargs)
    assert plan["action"] == action, plan
    if target:
        assert plan["target_model"] == target
    assert reason_part in plan["reason"]


def test_platform_of():
    assert platform_of(kvm()) == "kvm"
    assert platform_of(xen()) == "xen_hvm"
    assert platform_of(xen("pvh")) == "xen_pv"
    assert platform_of(dict(kvm(), domain_type="xen")) == "xen_hvm"
    assert platform_of(proxmox()) == "proxmox"


@pytest.mark.parametrize(
    ("before", "after", "ok", "reason_part"),
    [
        ({"send_bps": 1e9, "receive_bps": 6e8}, {"send_bps": 2.8e9, "receive_bps": 4e9}, True, "kept or improved"),
        ({"send_bps": 1e9, "receive_bps": 6e8}, {"send_bps": 0.95e9, "receive_bps": 6e8}, True, "kept"),
        ({"send_bps": 1e9, "receive_bps": 6e8}, {"send_bps": 0.5e9, "receive_bps": 4e9}, False, "send fell by 50%"),
        (
            {"send_bps": 1e9, "receive_bps": 6e8},
            {"send_bps": 2e9, "receive_bps": None},
            False,
            "receive: no measurement",
        ),
        (None, {"send_bps": 2e9, "receive_bps": 2e9}, True, "kept"),
    ],
)
def test_compare(before, after, ok, reason_part):
    verdict = compare(before, after, 0.1)
    assert verdict["ok"] is ok
    assert reason_part in verdict["reason"]


@pytest.mark.parametrize("threshold", ["ten", -0.1, 1.5])
def test_compare_rejects_bad_threshold(threshold):
    with pytest.raises(NicTuneError, match="nic_model_rollback_threshold"):
        compare({}, {}, threshold)


# --- how the switch reaches the guest (nic_model_switch) ----------------------------------------------------------

READY = {"ready": True, "reason": "networkd brings ens2 up by mac (/etc/systemd/network/10-lab.network)"}
NOT_READY = {"ready": False, "reason": "ens2: ifupdown brings ens2 up at boot only (auto)"}


def _libvirt_audit(state="running"):
    nic = {"index": 0, "model": "rtl8139", "mac": "52:54:00:00:00:01"}
    domain = {"domain": "web1", "backend": "libvirt", "domain_type": "kvm", "state": state, "nics": [nic]}
    return {"uri": "qemu:///system", "domains": [domain]}


@pytest.mark.parametrize(
    ("wanted", "hotplug", "apply", "reason_part"),
    [
        ("cold", READY, "config", "nic_model_switch is cold"),
        ("auto", READY, "auto", "brings a plugged NIC up by itself"),
        ("live", READY, "live", "brings a plugged NIC up by itself"),
        ("auto", NOT_READY, "config", "would not bring a plugged NIC up by itself: ens2: ifupdown"),
        ("auto", None, "config", "readiness gate is off"),
        ("live", None, "live", "readiness gate is off"),
    ],
)
def test_switch_method_libvirt(wanted, hotplug, apply, reason_part):
    record = {"backend": "libvirt", "switch": {"backend": "libvirt", "domains": ["web1"]}}
    got, reason = switch_method(record, wanted, hotplug)
    assert got == apply
    assert reason_part in reason


@pytest.mark.parametrize("backend", ["xen", "virtualbox"])
def test_switch_method_cold_only_backends(backend):
    record = {"backend": backend, "switch": {"backend": backend}}
    assert switch_method(record, "auto", READY)[0] is None
    with pytest.raises(NicTuneError, match="nic_model_switch is live, but"):
        switch_method(record, "live", READY)


def test_switch_method_libvirt_xml_file_is_cold():
    record = {"backend": "libvirt", "switch": {"backend": "libvirt_xml", "path": ["/etc/libvirt/qemu/web1.xml"]}}
    apply, reason = switch_method(record, "auto", READY)
    assert apply is None and "next start" in reason


def test_switch_method_refuses_unknown_value():
    with pytest.raises(NicTuneError, match="nic_model_switch must be one of cold, live, auto"):
        switch_method({"backend": "libvirt"}, "hot", READY)


def test_record_of_a_guest_not_ready_for_live_is_skipped_not_switched_cold():
    record = guest_record("web1", "kvm1", _libvirt_audit(), method="live", hotplug=NOT_READY)
    assert record["action"] == "skip"
    assert record["reason"].startswith("nic_model_switch is live, but the guest would not bring")


@pytest.mark.parametrize(
    ("state", "wanted", "hotplug", "method"),
    [
        ("running", "auto", READY, "live"),
        ("shut off", "auto", READY, "cold"),
        ("running", "auto", NOT_READY, "cold"),
        ("running", "cold", READY, "cold"),
    ],
)
def test_record_says_how_the_switch_is_planned(state, wanted, hotplug, method):
    record = guest_record("web1", "kvm1", _libvirt_audit(state), method=wanted, hotplug=hotplug)
    assert record["action"] == "switch"
    assert record["method"] == method
    assert planned_method(record) == method


# --- findings: virtio NICs without the in-kernel vhost-net back end ---------------------------------------------

NO_VHOST = {"loaded": False, "device": False}
VHOST = {"loaded": True, "device": True}


def kvm_audit(model="rtl8139", domain_type="kvm", host="present", backend_driver=None):
    entry = dict(kvm(model, domain_type), host_vhost_net=dict(VHOST) if host == "present" else host, platform="kvm")
    entry["nics"] = [{"index": 0, "mac": "52:54:00:00:00:01", "model": model, "backend_driver": backend_driver}]
    return {"uri": "qemu:///system", "domains": [entry]}


@pytest.mark.parametrize(
    ("audit", "supported", "kinds", "parts"),
    [
        (
            kvm_audit(host=NO_VHOST),
            ALL,
            ["vhost_net_missing"],
            ["vhost_net module is not loaded", "modprobe vhost_net"],
        ),
        (kvm_audit(host={"loaded": None, "device": False}), ALL, ["vhost_net_missing"], ["/dev/vhost-net does not"]),
        (kvm_audit(host={"loaded": True, "device": False}), ALL, ["vhost_net_missing"], ["modules-load.d/vhost_net"]),
        (kvm_audit(), ALL, [], []),
        (kvm_audit(host=None), ALL, [], []),  # not known (a remote URI): nothing claimed
        # the plan moves to e1000e: no virtio NIC, now or after
        (kvm_audit(host=NO_VHOST), ["rtl8139", "e1000", "e1000e"], [], []),
        # already virtio, kept: the current NIC counts
        (
            kvm_audit("virtio", backend_driver="qemu"),
            ALL,
            ["userspace_backend"],
            ["NIC 0 (52:54:00:00:00:01)", "name='qemu'"],
        ),
        (kvm_audit("virtio", host=NO_VHOST, backend_driver="vhost"), ALL, ["vhost_net_missing"], ["hv1"]),
        (
            kvm_audit(domain_type="qemu", host=NO_VHOST),
            ALL,
            ["software_emulation"],
            ["never uses vhost-net", "type='kvm'"],
        ),
    ],
)
def test_guest_record_findings(audit, supported, kinds, parts):
    record = guest_record("g1", "hv1", audit, domain="g1", supported=supported)
    assert [f["kind"] for f in record["findings"]] == kinds
    text = " ".join(f["what"] + " " + f["fix"] for f in record["findings"])
    for part in parts:
        assert part in text
    assert all(set(f) == {"kind", "what", "fix"} for f in record["findings"])


def test_no_findings_off_kvm_or_without_an_audit_entry():
    assert findings(None, {}) == []
    assert findings(proxmox("virtio"), {"action": "keep"}) == []
    assert guest_record("gone", "hv1", kvm_audit(host=NO_VHOST), domain="other")["findings"] == []


def test_guest_record_keeps_what_the_class_is_made_of():
    audit = kvm_audit()
    audit["domains"][0].update(machine="pc-i440fx-7.2", vcpus=2, offered_models=["e1000", "rtl8139", "virtio"])
    record = guest_record(
        "g1", "hv1", audit, domain="g1", supported=["8139cp", "e1000", "virtio-net"], guest_os={"family": "Linux"}
    )
    assert record["supported_models"] == ["rtl8139", "e1000", "virtio"]
    assert record["offered_models"] == ["e1000", "rtl8139", "virtio"]
    assert (record["machine"], record["vcpus"], record["domain_type"]) == ("pc-i440fx-7.2", 2, "kvm")
    assert record["guest_os"] == {"family": "Linux"} and record["pinned"] is False
    assert guest_record("g1", "hv1", audit, domain="g1", pinned="e1000")["pinned"] is True
    assert guest_record("g1", "hv1", audit, domain="g1", pinned="auto")["pinned"] is False
