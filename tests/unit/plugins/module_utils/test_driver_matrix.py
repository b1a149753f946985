# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest driver decision core as a table:
(OS, version, model, facts, licence flags) -> (supported?, install what?, refused why?)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers as dm

# --- Linux facts --------------------------------------------------------------------------------
# What the lab's Debian 12 guest has (modinfo -n answers; virtio_pci is built into Debian's kernel).
DEBIAN_MODULES = {
    "8139cp": 0,
    "8139too": 0,
    "e1000": 0,
    "e1000e": 0,
    "virtio_net": 0,
    "virtio_pci": {"rc": 0, "stdout": "(builtin)"},
    "xen_netfront": 1,
    "vmxnet3": 0,
}


def linux(kernel="6.1.0-28-amd64", builtin="", **changes):
    mods = dict(DEBIAN_MODULES)
    mods.update(changes)
    return dm.linux_facts(mods, builtin, kernel=kernel)


NOVIRTIO = linux(virtio_net=1)
ONLY_8139TOO = linux(**{"8139cp": 1})
XEN_GUEST = linux(xen_netfront=0)
BUILTIN_VIRTIO = linux(
    builtin="kernel/drivers/net/virtio_net.ko\nkernel/drivers/virtio/virtio_pci.ko\n", virtio_net=1, virtio_pci=1
)
RHEL9_LIKE = linux(kernel="5.14.0-427.el9.x86_64", e1000=1, **{"8139cp": 1, "8139too": 1})


# --- Windows facts ------------------------------------------------------------------------------
def win(version, drivers=(), arch="64-bit", current=()):
    return dm.windows_facts(version, list(drivers), architecture=arch, current_models=list(current))


NETKVM = {"inf": "netkvm.inf", "provider": "Red Hat, Inc.", "class": "Net"}
XENPROJECT = {"inf": "xennet.inf", "provider": "Xen Project", "class": "Net"}
GPLPV = {"inf": "xennet.inf", "provider": "James Harper", "class": "Net"}
INTEL_OEM = {"inf": "e1g6032e.inf", "provider": "Intel", "class": "Net", "inbox": False}
INTEL_INBOX = {"OriginalFileName": r"C:\Windows\System32\DriverStore\FileRepository\e1g6032e.inf_x\e1g6032e.inf",
               "ProviderName": "Intel", "ClassName": "Net", "Inbox": True}  # fmt: skip
RTL_INBOX = {"inf": "netrtl64.inf", "provider": "Realtek", "class": "Net", "inbox": True}

WIN2019 = "10.0.17763"
WIN7 = "6.1.7601"
WIN8 = "6.2.9200"
XP = "5.1.2600"


def inst(driver, arch=None):
    out = {"driver": driver, "source": "https://repo.example.internal/%s.msi" % driver}
    if arch:
        out["architecture"] = arch
    return out


ALL_INSTALLERS = [inst(d) for d in ("netkvm", "xenproject_pv", "gplpv", "intel_proset", "vmware_vmxnet3")]
ACK = {"intel_license_acknowledged": True}

# (id, facts, decide() keyword arguments, model, supported now, (install driver, licence) or None,
#  refused driver or None, text the refusal or missing reason must contain)
TABLE = [
    # Linux: one row per model, from modinfo / modules.builtin
    ("linux-rtl8139-8139cp", linux(), {}, "rtl8139", True, None, None, None),
    ("linux-rtl8139-only-8139too", ONLY_8139TOO, {}, "rtl8139", False, None, None, "8139too refuses C+"),
    ("linux-e1000", linux(), {}, "e1000", True, None, None, None),
    ("linux-e1000-gone-rhel9", RHEL9_LIKE, {}, "e1000", False, None, None, "e1000 not found"),
    ("linux-e1000e", linux(), {}, "e1000e", True, None, None, None),
    ("linux-virtio", linux(), {}, "virtio", True, None, None, None),
    ("linux-virtio-novirtio-image", NOVIRTIO, {}, "virtio", False, None, None, "virtio_net not found"),
    ("linux-virtio-builtin", BUILTIN_VIRTIO, {}, "virtio", True, None, None, None),
    ("linux-xen-pv-absent", linux(), {}, "xen_pv", False, None, None, "xen_netfront"),
    ("linux-xen-pv-present", XEN_GUEST, {}, "xen_pv", True, None, None, None),
    ("linux-vmxnet3", linux(), {}, "vmxnet3", True, None, None, None),
    ("linux-licence-flags-ignored", linux(), {"accepted_licenses": []}, "virtio", True, None, None, None),
    # Windows: virtio-win NetKVM
    ("win-virtio-in-store", win(WIN2019, [NETKVM]), {}, "virtio", True, None, None, None),
    ("win-virtio-installer", win(WIN2019), {"available_installers": ALL_INSTALLERS}, "virtio", False,
     ("netkvm", "BSD-3-Clause"), None, None),
    ("win-virtio-no-installer", win(WIN2019), {}, "virtio", False, None, None, "no installer supplied"),
    ("win-virtio-licence-not-accepted", win(WIN2019), {"accepted_licenses": ["GPL-2.0-or-later"],
     "available_installers": ALL_INSTALLERS}, "virtio", False, None, "netkvm", "BSD-3-Clause is not in"),
    ("win-virtio-installer-wrong-arch", win(WIN2019, arch="32-bit"),
     {"available_installers": [inst("netkvm", "amd64")]}, "virtio", False, None, None, "architecture x86"),
    ("win-virtio-installer-right-arch", win(WIN2019, arch="AMD64"), {"available_installers": [inst("netkvm", "x64")]},
     "virtio", False, ("netkvm", "BSD-3-Clause"), None, None),
    # Windows: Xen PV
    ("win-xen-xenproject-in-store", win(WIN2019, [XENPROJECT]), {}, "xen_pv", True, None, None, None),
    ("win-xen-gplpv-in-store", win(WIN7, [GPLPV]), {}, "xen_pv", True, None, None, None),
    ("win-xen-prefers-xenproject", win(WIN2019), {"available_installers": ALL_INSTALLERS}, "xen_pv", False,
     ("xenproject_pv", "BSD-2-Clause"), None, None),
    ("win-xen-gplpv-when-bsd2-refused", win(WIN7), {"accepted_licenses": ["GPL-2.0-or-later"],
     "available_installers": ALL_INSTALLERS}, "xen_pv", False, ("gplpv", "GPL-2.0-or-later"), "xenproject_pv",
     "BSD-2-Clause is not in"),
    ("win-xen-gplpv-only-installer", win(XP), {"available_installers": [inst("gplpv")]}, "xen_pv", False,
     ("gplpv", "GPL-2.0-or-later"), None, None),
    # Windows: e1000e in-box from NT 6.2
    ("win-e1000e-inbox-win8", win(WIN8), {}, "e1000e", True, None, None, None),
    ("win-e1000e-inbox-2019", win(WIN2019), {}, "e1000e", True, None, None, None),
    ("win-e1000e-win7-intel-refused", win(WIN7), {"available_installers": ALL_INSTALLERS}, "e1000e", False, None,
     "intel_proset", "only in conjunction with Intel component products"),
    ("win-e1000e-win7-acknowledged", win(WIN7), dict(ACK, available_installers=ALL_INSTALLERS), "e1000e", False,
     ("intel_proset", dm.INTEL_LICENSE), None, None),
    # Windows: e1000 -> Intel's driver: refused by default, allowed but marked when acknowledged
    ("win-e1000-intel-refused-default", win(WIN2019), {"available_installers": ALL_INSTALLERS}, "e1000", False, None,
     "intel_proset", "not licensed for an emulated NIC"),
    ("win-e1000-intel-refused-no-installer", win(WIN2019), {}, "e1000", False, None, "intel_proset",
     "only in conjunction with Intel component products"),
    ("win-e1000-intel-acknowledged", win(WIN2019), dict(ACK, available_installers=ALL_INSTALLERS), "e1000", False,
     ("intel_proset", dm.INTEL_LICENSE), None, None),
    ("win-e1000-acknowledged-no-installer", win(WIN2019), ACK, "e1000", False, None, None, "no installer supplied"),
    ("win-e1000-oem-intel-present-refused", win(WIN2019, [INTEL_OEM]), {}, "e1000", False, None, "intel_proset",
     "Intel's driver is installed"),
    ("win-e1000-oem-intel-present-acknowledged", win(WIN2019, [INTEL_OEM]), ACK, "e1000", True, None, None, None),
    ("win-e1000-inbox-intel-present", win(WIN7, [INTEL_INBOX]), {}, "e1000", True, None, None, None),
    ("win-e1000-xp-refused", win(XP), {"available_installers": ALL_INSTALLERS}, "e1000", False, None, "intel_proset",
     "Intel component products"),
    # Windows: rtl8139 and vmxnet3
    ("win-rtl8139-inbox-win7", win(WIN7, [RTL_INBOX]), {}, "rtl8139", True, None, None, None),
    ("win-rtl8139-current-nic", win(WIN2019, current=["rtl8139"]), {}, "rtl8139", True, None, None, None),
    ("win-rtl8139-absent", win(WIN2019), {"available_installers": ALL_INSTALLERS}, "rtl8139", False, None, None,
     "does not install it"),
    ("win-vmxnet3-licence-refused", win(WIN2019), {"available_installers": ALL_INSTALLERS}, "vmxnet3", False, None,
     "vmware_vmxnet3", "LicenseRef-VMware-Tools is not in"),
    ("win-vmxnet3-licence-accepted", win(WIN2019), {"accepted_licenses": ["LicenseRef-VMware-Tools"],
     "available_installers": ALL_INSTALLERS}, "vmxnet3", False, ("vmware_vmxnet3", "LicenseRef-VMware-Tools"),
     None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("facts", "kwargs", "model", "supported", "install", "refused", "why"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_decision_table(facts, kwargs, model, supported, install, refused, why):
    result = dm.decide(facts, **kwargs)
    assert (model in result["supported_models"]) is supported
    assert result["models"][model]["supported"] is supported
    installs = [(i["driver"], i["license"]) for i in result["installable"] if i["model"] == model]
    assert installs == ([install] if install else [])
    if install:
        assert model in result["supported_after_install"]
        assert result["models"][model]["action"] == "install"
    refusals = [r for r in result["refused"] if r["model"] == model]
    assert [r["driver"] for r in refusals] == ([refused] if refused else [])
    if why:
        texts = [r["reason"] for r in refusals] + [m["reason"] for m in result["missing"] if m["model"] == model]
        assert any(why in t for t in texts), texts
    if supported:
        assert not [m for m in result["missing"] if m["model"] == model]


def test_intel_refused_by_default_recommends_free_drivers():
    result = dm.decide(win(WIN2019), available_installers=ALL_INSTALLERS, target_models=["e1000"])
    assert result["refused"] == [
        {
            "model": "e1000",
            "driver": "intel_proset",
            "license": dm.INTEL_LICENSE,
            "reason": result["refused"][0]["reason"],
        }
    ]
    assert "only in conjunction with Intel component products" in result["refused"][0]["reason"]
    assert result["installable"] == []
    assert result["marked"] == []
    assert any("virtio-win NetKVM" in r and "Xen Project PV drivers" in r for r in result["recommendations"])


def test_intel_acknowledged_is_marked_and_still_recommends_free_drivers():
    result = dm.decide(
        win(WIN2019), intel_license_acknowledged=True, available_installers=ALL_INSTALLERS, target_models=["e1000"]
    )
    assert result["refused"] == []
    assert [m["driver"] for m in result["marked"]] == ["intel_proset"]
    assert "Intel component products" in result["marked"][0]["reason"]
    assert result["recommendations"] == [dm.FREE_ALTERNATIVE]


def test_intel_licence_cannot_be_accepted_as_a_plain_licence():
    with pytest.raises(NicTuneError, match="guest_drivers_intel_license_acknowledged"):
        dm.decide(win(WIN2019), accepted_licenses=[*dm.FREE_LICENSES, dm.INTEL_LICENSE])


def test_lab_guest_and_novirtio_guest_summaries():
    normal = dm.decide(linux())
    assert normal["os_family"] == "Linux"
    assert normal["supported_models"] == ["rtl8139", "e1000", "e1000e", "virtio", "vmxnet3"]
    assert "virtio_pci" in normal["installed"] and "xen_netfront" not in normal["installed"]
    assert normal["refused"] == [] and normal["installable"] == []
    novirtio = dm.decide(NOVIRTIO)
    assert "virtio" not in novirtio["supported_models"]
    assert [m["model"] for m in novirtio["missing"]] == ["virtio", "xen_pv"]
    assert any("virtio_net" in r for r in novirtio["recommendations"])


def test_default_accepted_licences_are_the_free_ones():
    result = dm.decide(win(WIN2019), available_installers=ALL_INSTALLERS)
    assert sorted((i["driver"], i["license"]) for i in result["installable"]) == [
        ("netkvm", "BSD-3-Clause"),
        ("xenproject_pv", "BSD-2-Clause"),
    ]
    assert {r["driver"] for r in result["refused"]} == {"intel_proset", "vmware_vmxnet3"}
    assert result["supported_models"] == ["e1000e"]


def test_target_models_accept_aliases_and_keep_order():
    result = dm.decide(XEN_GUEST, target_models=["vif", "virtio-net", "virtio"])
    assert result["models_considered"] == ["xen_pv", "virtio"]
    assert result["supported_models"] == ["xen_pv", "virtio"]


@pytest.mark.parametrize(
    ("facts", "kwargs", "message"),
    [
        ({"system": "Plan9"}, {}, "Linux or Windows"),
        ("Linux", {}, "dictionary"),
        (linux(), {"target_models": ["fakemodel"]}, "unknown NIC model"),
        ({"system": "Windows", "version": "ten"}, {}, "MAJOR.MINOR"),
        (win(WIN2019), {"available_installers": [{"driver": "realtek_2", "source": "x"}]}, "unknown driver"),
        (win(WIN2019), {"available_installers": ["netkvm.msi"]}, "list of dictionaries"),
    ],
)
def test_bad_input_is_refused_with_a_reason(facts, kwargs, message):
    with pytest.raises(NicTuneError, match=message):
        dm.decide(facts, **kwargs)


def test_linux_facts_normalise_names_and_builtin():
    facts = dm.linux_facts(
        {"xen-netfront": {"rc": 0, "stdout": "/lib/modules/x/xen-netfront.ko"}, "e1000": {"rc": 1, "stdout": ""}},
        "kernel/drivers/net/virtio_net.ko\n\nkernel/drivers/virtio/virtio_pci.ko\n",
        kernel="6.1.0",
    )
    assert facts == {
        "system": "Linux",
        "kernel": "6.1.0",
        "modules": {"xen_netfront": True, "e1000": False},
        "builtin": ["virtio_net", "virtio_pci"],
    }
    assert "xen_netfront" in dm.linux_module_names() and "8139too" in dm.linux_module_names()


PNPUTIL = """Microsoft PnP Utility

Published Name:     oem3.inf
Original Name:      netkvm.inf
Provider Name:      Red Hat, Inc.
Class Name:         Network adapters
Class GUID:         {4d36e972-e325-11ce-bfc1-08002be10318}
Driver Version:     08/12/2024 100.95.104.26200
Signer Name:        Red Hat, Inc.

Published Name:     oem7.inf
Original Name:      xennet.inf
Provider Name:      Xen Project
Class Name:         Network adapters
Driver Version:     09/11/2023 9.1.0.71
"""


def test_parse_pnputil_reads_every_block():
    drivers = dm.parse_pnputil(PNPUTIL)
    assert [(d["inf"], d["provider"]) for d in drivers] == [
        ("netkvm.inf", "Red Hat, Inc."),
        ("xennet.inf", "Xen Project"),
    ]
    result = dm.decide(win(WIN2019, drivers), target_models=["virtio", "xen_pv"])
    assert result["supported_models"] == ["virtio", "xen_pv"]
    assert result["installed"] == ["netkvm", "xenproject_pv"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10.0.17763.0", (10, 0, 17763)), ("6.1", (6, 1, 0)), ("Microsoft Windows 6.3.9600", (6, 3, 9600))],
)
def test_parse_windows_version(text, expected):
    assert dm.parse_windows_version(text) == expected
