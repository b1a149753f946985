# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guest_drivers_info on a Linux guest's own files (module index, /sys/class/net), its Windows decision on the
controller, the Windows IP-settings filters, and the role's defaults kept in step with its argument specs."""

from __future__ import annotations

import functools
import json
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.nictune.fleet.plugins.filter import guest_drivers as gd
from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers as dm
from ansible_collections.nictune.fleet.plugins.module_utils._guest import linux
from ansible_collections.nictune.fleet.plugins.modules import guest_drivers_info

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "guest_drivers")

MODULES_DEP = """kernel/drivers/net/ethernet/realtek/8139cp.ko: kernel/drivers/net/mii.ko
kernel/drivers/net/ethernet/realtek/8139too.ko: kernel/drivers/net/mii.ko
kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
kernel/drivers/net/virtio_net.ko.xz: kernel/net/core/failover.ko.xz
kernel/drivers/net/mii.ko:
"""
MODULES_BUILTIN = "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/virtio/virtio.ko\n"


def _guest(root, dep=MODULES_DEP, builtin=MODULES_BUILTIN, release="6.1.0-test"):
    base = root / "lib" / "modules" / release
    base.mkdir(parents=True)
    if dep is not None:
        (base / "modules.dep").write_text(dep)
    (base / "modules.builtin").write_text(builtin)
    net = root / "sys" / "class" / "net"
    devices = root / "sys" / "devices"
    for name, kind, mac, driver in (
        ("lo", "772", "00:00:00:00:00:00", None),
        ("ens3", "1", "52:54:00:4E:54:0B", "8139cp"),
        ("br0", "1", "52:54:00:4e:54:0b", None),
        ("eth1", "1", "52:54:00:4e:54:0c", "virtio_net"),
    ):
        (net / name).mkdir(parents=True)
        (net / name / "type").write_text(kind + "\n")
        (net / name / "address").write_text(mac + "\n")
        if driver:
            (devices / name / "driver").parent.mkdir(parents=True)
            (root / "bus" / driver).mkdir(parents=True)
            os.symlink(root / "bus" / driver, devices / name / "driver")
            os.symlink(devices / name, net / name / "device")
    return release


def test_module_index_names_as_modinfo_resolves_them(tmp_path):
    release = _guest(tmp_path)
    loadable, builtin, found = linux.kernel_modules(release, root=str(tmp_path))
    assert found and {"8139cp", "8139too", "e1000", "virtio_net", "mii"} == loadable
    assert builtin == {"virtio_pci", "virtio"}
    assert linux.kernel_modules("other", root=str(tmp_path))[2] is False


def test_nics_are_ethernet_devices(tmp_path):
    _guest(tmp_path)
    assert linux.nics(root=str(tmp_path)) == [
        {"name": "ens3", "mac": "52:54:00:4e:54:0b", "driver": "8139cp"},
        {"name": "eth1", "mac": "52:54:00:4e:54:0c", "driver": "virtio_net"},
    ]
    assert [n["name"] for n in linux.nics(root=str(tmp_path), names=["eth1"])] == ["eth1"]


@pytest.fixture(autouse=True)
def _module_side(monkeypatch):
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)


def test_module_decides_and_lists_nics(tmp_path, capsys, monkeypatch):
    """The real module's main() on a guest's files laid out under tmp_path (the module reads them, runs nothing)."""
    release = _guest(tmp_path)
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "g", release, "#1", "x86_64")))
    monkeypatch.setattr(linux, "kernel_modules", functools.partial(linux.kernel_modules, root=str(tmp_path)))
    monkeypatch.setattr(linux, "nics", functools.partial(linux.nics, root=str(tmp_path)))
    with patch_module_args({"target_models": ["virtio", "vif", "e1000e"]}):
        with pytest.raises(SystemExit):
            guest_drivers_info.main()
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] is False
    assert out["result"]["models_considered"] == ["virtio", "xen_pv", "e1000e"]
    assert out["result"]["supported_models"] == ["virtio"]
    assert out["result"]["kernel"] == release
    assert [n["name"] for n in out["nics"]] == ["ens3", "eth1"]
    assert out["link_drivers"] == ["virtio_net", "vif", "e1000e"]
    assert out["model_modules"] == {
        "virtio": ["virtio_net", "virtio_pci"],
        "xen_pv": ["xen_netfront"],
        "e1000e": ["e1000e"],
    }


def test_module_refuses_to_guess_without_a_module_index(tmp_path, capsys, monkeypatch):
    release = _guest(tmp_path, dep=None)
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "g", release, "#1", "x86_64")))
    monkeypatch.setattr(linux, "kernel_modules", functools.partial(linux.kernel_modules, root=str(tmp_path)))
    with patch_module_args({}):
        with pytest.raises(SystemExit):
            guest_drivers_info.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] is True and "modules.dep" in out["msg"] and release in out["msg"]


def test_linux_decision_from_the_module_index(tmp_path):
    release = _guest(tmp_path)
    loadable, builtin, _found = linux.kernel_modules(release, root=str(tmp_path))
    modinfo = {m: (0 if dm.normalise_module(m) in loadable else 1) for m in dm.linux_module_names()}
    facts = dm.linux_facts(modinfo, "\n".join(builtin), kernel=release)
    result = dm.decide(facts, target_models=["rtl8139", "e1000", "virtio", "vif"])
    assert result["supported_models"] == ["rtl8139", "e1000", "virtio"]
    assert [m["model"] for m in result["missing"]] == ["xen_pv"]


def test_windows_decision_from_get_windowsdriver_objects():
    store = [
        {"OriginalFileName": r"C:\Windows\System32\DriverStore\FileRepository\netkvm.inf_amd64_1\netkvm.inf",
         "ProviderName": "Red Hat, Inc.", "ClassName": "Net", "Version": "100.95.104.26200", "Inbox": False},
    ]  # fmt: skip
    facts = dm.windows_facts("10.0.20348.0", store, architecture="64-bit", current_models=["rtl8139"])
    result = dm.decide(facts, [], False, [], None)
    assert result["supported_models"] == ["rtl8139", "e1000e", "virtio"]
    assert result["installed"] == ["realtek_rtl8139", "windows_inbox_e1000e", "netkvm"]
    assert result["refused"][0]["driver"] == "intel_proset"


def test_filters_are_registered_and_wrap_errors():
    assert set(gd.FilterModule().filters()) == {"guest_drivers_netcfg_capture", "guest_drivers_netcfg_plan"}
    with pytest.raises(AnsibleFilterError, match="guest_drivers_netcfg_capture"):
        gd.guest_drivers_netcfg_capture([{"mac": "x"}])


def test_netcfg_filters_round_trip():
    adapter = {
        "name": "Ethernet",
        "mac": "52-54-00-4E-54-0B",
        "if_index": 4,
        "interface_guid": "{A}",
        "status": "Up",
        "ipv4": {"dhcp": False, "addresses": [{"ip": "10.213.0.11", "prefix": 24}], "gateways": ["10.213.0.1"]},
        "ipv6": {"dhcp": True, "addresses": [], "gateways": []},
        "dns_servers": ["10.213.0.1"],
        "dns_suffix": "",
    }
    captured = gd.guest_drivers_netcfg_capture([adapter])
    new = dict(adapter, name="Ethernet 2", interface_guid="{B}", if_index=7, ipv4={"dhcp": True}, dns_servers=[])
    plan = gd.guest_drivers_netcfg_plan([new], captured)
    assert [o["op"] for o in plan["operations"]] == ["rename", "ipv4", "dns_servers"]
    assert gd.guest_drivers_netcfg_plan([dict(adapter, if_index=7)], captured)["changed"] is False


def _role_yaml(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_role_defaults_match_the_core_and_the_argument_specs():
    defaults = _role_yaml("defaults", "main.yml")
    assert defaults["guest_drivers_accepted_licenses"] == list(dm.FREE_LICENSES)
    assert defaults["guest_drivers_target_models"] == []  # every model the catalogue knows a guest driver for
    specs = _role_yaml("meta", "argument_specs.yml")["argument_specs"]
    main = specs["main"]["options"]
    for name, value in defaults.items():
        spec = main.get(name) or specs["windows_restore"]["options"].get(name)
        assert spec is not None, "%s is not in meta/argument_specs.yml" % name
        assert spec.get("default") == value, name
    drivers = main["guest_drivers_windows_packages"]["options"]["driver"]["choices"]
    assert drivers == list(dm.INSTALLABLE_DRIVERS)
