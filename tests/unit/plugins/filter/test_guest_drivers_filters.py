# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest_drivers filters as the role calls them, and the role's static lists kept in step with the core."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.filter import guest_drivers as gd
from ansible_collections.nictune.fleet.plugins.module_utils._common import models as _models
from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers as dm

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "guest_drivers")


def loop_result(found):
    """What a looped ``modinfo -n`` command task registers."""
    return {
        "changed": False,
        "results": [
            {"item": m, "rc": 0 if m in found else 1, "stdout": found.get(m, ""), "stderr": ""}
            for m in dm.linux_module_names()
        ],
    }


def test_filters_are_registered():
    assert set(gd.FilterModule().filters()) == {
        "guest_drivers_linux_facts",
        "guest_drivers_linux_nics",
        "guest_drivers_windows_facts",
        "guest_drivers_decide",
        "guest_drivers_netcfg_capture",
        "guest_drivers_netcfg_plan",
    }


def test_linux_pipeline_from_a_registered_loop():
    found = {m: "/lib/modules/6.1.0/kernel/%s.ko" % m for m in ("8139cp", "e1000", "virtio_net")}
    found["virtio_pci"] = "(builtin)"
    facts = gd.guest_drivers_linux_facts(loop_result(found), builtin="", kernel="6.1.0")
    result = gd.guest_drivers_decide(facts, target_models=["rtl8139", "e1000", "virtio", "vif"])
    assert result["supported_models"] == ["rtl8139", "e1000", "virtio"]
    assert [m["model"] for m in result["missing"]] == ["xen_pv"]


def test_windows_pipeline_from_get_windowsdriver_objects():
    store = [
        {"OriginalFileName": r"C:\Windows\System32\DriverStore\FileRepository\netkvm.inf_amd64_1\netkvm.inf",
         "ProviderName": "Red Hat, Inc.", "ClassName": "Net", "Version": "100.95.104.26200", "Inbox": False},
    ]  # fmt: skip
    facts = gd.guest_drivers_windows_facts(store, "10.0.20348.0", architecture="64-bit", current_models=["rtl8139"])
    result = gd.guest_drivers_decide(facts, [], False, [], None)
    assert result["supported_models"] == ["rtl8139", "e1000e", "virtio"]
    assert result["installed"] == ["realtek_rtl8139", "windows_inbox_e1000e", "netkvm"]
    assert result["refused"][0]["driver"] == "intel_proset"


def test_core_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match="guest_drivers_decide: unknown NIC model"):
        gd.guest_drivers_decide({"system": "Linux"}, target_models=["ne2000"])
    with pytest.raises(AnsibleFilterError, match="guest_drivers_linux_facts"):
        gd.guest_drivers_linux_facts("modinfo")
    with pytest.raises(AnsibleFilterError, match="guest_drivers_netcfg_capture"):
        gd.guest_drivers_netcfg_capture([{"mac": "x"}])


FACTS = {
    "interfaces": ["lo", "ens3", "br0", "ens3.10", "eth1"],
    "lo": {"device": "lo", "type": "loopback", "macaddress": "00:00:00:00:00:00"},
    "ens3": {"device": "ens3", "type": "ether", "macaddress": "52:54:00:4E:54:0B", "module": "8139cp"},
    "br0": {"device": "br0", "type": "bridge", "macaddress": "52:54:00:4e:54:0b"},
    "ens3_10": {"device": "ens3.10", "type": "ether", "macaddress": "52:54:00:4e:54:0b"},
    "eth1": {"device": "eth1", "type": "ether", "macaddress": "52:54:00:4e:54:0c", "module": "virtio_net"},
}


def test_linux_nics_are_devices_of_type_ether():
    assert gd.guest_drivers_linux_nics(FACTS) == [
        {"name": "ens3", "mac": "52:54:00:4e:54:0b", "driver": "8139cp"},
        {"name": "eth1", "mac": "52:54:00:4e:54:0c", "driver": "virtio_net"},
    ]
    assert [n["name"] for n in gd.guest_drivers_linux_nics(FACTS, ["eth1"])] == ["eth1"]
    with pytest.raises(AnsibleFilterError, match="br0"):
        gd.guest_drivers_linux_nics(FACTS, ["br0"])


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


def test_role_module_lists_match_the_core():
    role_vars = _role_yaml("vars", "main.yml")
    assert role_vars["__guest_drivers_linux_modules"] == dm.linux_module_names()
    assert role_vars["__guest_drivers_linux_model_modules"] == {m: _models.linux_driver(m)["needs"] for m in dm.MODELS}


def test_role_defaults_match_the_core_and_the_argument_specs():
    defaults = _role_yaml("defaults", "main.yml")
    assert defaults["guest_drivers_accepted_licenses"] == list(dm.FREE_LICENSES)
    assert defaults["guest_drivers_target_models"] == list(dm.MODELS)
    specs = _role_yaml("meta", "argument_specs.yml")["argument_specs"]
    main = specs["main"]["options"]
    for name, value in defaults.items():
        spec = main.get(name) or specs["windows_restore"]["options"].get(name)
        assert spec is not None, "%s is not in meta/argument_specs.yml" % name
        assert spec.get("default") == value, name
    drivers = main["guest_drivers_windows_packages"]["options"]["driver"]["choices"]
    assert drivers == list(dm.INSTALLABLE_DRIVERS)
