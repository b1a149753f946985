# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows IP settings carried from the old adapter to the new one with the same MAC (ghost adapters)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._guest import win_netcfg as wn

MAC = "52-54-00-AA-BB-01"
OLD_GUID = "{11111111-1111-1111-1111-111111111111}"
NEW_GUID = "{22222222-2222-2222-2222-222222222222}"


def static_adapter(name="Ethernet", guid=OLD_GUID, if_index=4, status="Up", mac=MAC, **extra):
    out = {
        "name": name,
        "description": "Realtek RTL8139C+ Fast Ethernet NIC",
        "mac": mac,
        "if_index": if_index,
        "interface_guid": guid,
        "pnp_instance_id": "PCI\\VEN_10EC&DEV_8139\\3&13C0B0C5&0&18",
        "status": status,
        "ipv4": {"dhcp": False, "addresses": [{"ip": "10.213.0.21", "prefix": 24}], "gateways": ["10.213.0.1"]},
        "ipv6": {
            "dhcp": True,
            "addresses": [{"ip": "fe80::5054:ff:feaa:bb01", "prefix": 64}, {"ip": "fd00:213::21", "prefix": 64}],
            "gateways": [],
        },
        "dns_servers": ["10.213.0.1", "fd00:213::1"],
        "dns_suffix": "lab.example",
    }
    out.update(extra)
    return out


def new_dhcp_adapter(name="Ethernet 2", guid=NEW_GUID, if_index=9, mac=MAC):
    return {
        "name": name,
        "description": "Red Hat VirtIO Ethernet Adapter",
        "mac": mac,
        "if_index": if_index,
        "interface_guid": guid,
        "pnp_instance_id": "PCI\\VEN_1AF4&DEV_1000\\3&13C0B0C5&0&18",
        "status": "Up",
        "ipv4": {"dhcp": True, "addresses": [{"ip": "169.254.7.9", "prefix": 16}], "gateways": []},
        "ipv6": {"dhcp": True, "addresses": [{"ip": "fe80::1", "prefix": 64}], "gateways": []},
        "dns_servers": [],
        "dns_suffix": "",
    }


def ghost_from_registry(name="Ethernet", guid=OLD_GUID, mac=MAC):
    """A hidden adapter: no cmdlet data, only what the registry still holds."""
    return {
        "name": name,
        "mac": mac,
        "interface_guid": guid,
        "pnp_instance_id": "PCI\\VEN_10EC&DEV_8139\\3&13C0B0C5&0&18",
        "status": "Not Present",
        "registry": {
            "EnableDHCP": 0,
            "IPAddress": ["10.213.0.21"],
            "SubnetMask": ["255.255.255.0"],
            "DefaultGateway": ["10.213.0.1"],
            "NameServer": "10.213.0.1,fd00:213::1",
            "Domain": "lab.example",
        },
    }


def test_capture_keeps_static_settings_keyed_by_mac_and_drops_link_local():
    captured = wn.capture([static_adapter(), ghost_from_registry(name="Old", guid="{3}")])
    assert list(captured) == ["52:54:00:aa:bb:01"]
    got = captured["52:54:00:aa:bb:01"]
    assert got["ipv4"] == {
        "dhcp": False,
        "addresses": [{"ip": "10.213.0.21", "prefix": 24}],
        "gateways": ["10.213.0.1"],
    }
    assert got["ipv6"]["addresses"] == [{"ip": "fd00:213::21", "prefix": 64}]
    assert got["dns_servers"] == ["10.213.0.1", "fd00:213::1"]
    assert got["dns_suffix"] == "lab.example" and got["name"] == "Ethernet"
    assert got["interface_guid"] == OLD_GUID


def test_ghost_adapter_is_released_renamed_and_settings_applied_in_order():
    captured = wn.capture([static_adapter()])
    plan = wn.plan_restore(captured, [ghost_from_registry(), new_dhcp_adapter()])
    ops = [o["op"] for o in plan["operations"]]
    assert ops == ["release_ghost", "rename", "ipv4", "ipv6", "dns_servers", "dns_suffix"]
    ghost, rename, ipv4, ipv6, dns, suffix = plan["operations"]
    assert ghost["ghost_interface_guid"] == OLD_GUID and ghost["addresses"] == ["10.213.0.21"]
    assert ghost["pnp_instance_id"].startswith("PCI\\VEN_10EC")
    assert all(o["if_index"] == 9 and o["interface_guid"] == NEW_GUID for o in plan["operations"])
    assert rename["new_name"] == "Ethernet"
    assert ipv4 == dict(ipv4, dhcp=False, addresses=[{"ip": "10.213.0.21", "prefix": 24}], gateways=["10.213.0.1"])
    assert ipv6["addresses"] == [{"ip": "fd00:213::21", "prefix": 64}]
    assert dns["servers"] == ["10.213.0.1", "fd00:213::1"] and suffix["suffix"] == "lab.example"
    assert plan["changed"] is True and plan["unmatched"] == [] and plan["warnings"] == []


def test_nothing_to_do_when_the_new_adapter_already_has_the_settings():
    captured = wn.capture([static_adapter()])
    done = static_adapter(guid=NEW_GUID, if_index=9)
    plan = wn.plan_restore(captured, [done])
    assert plan == {"operations": [], "unmatched": [], "warnings": [], "changed": False}
    # A ghost whose registry still holds the address is released even when the settings are already applied.
    plan = wn.plan_restore(captured, [ghost_from_registry(name="Ethernet 3", guid=OLD_GUID), done])
    assert [(o["op"], o["addresses"]) for o in plan["operations"]] == [("release_ghost", ["10.213.0.21"])]
    # A ghost without the address or the name is left alone.
    dhcp_ghost = ghost_from_registry(name="Ethernet 3", guid=OLD_GUID)
    dhcp_ghost["registry"]["EnableDHCP"] = 1
    assert wn.plan_restore(captured, [dhcp_ghost, done])["operations"] == []


def test_same_adapter_no_switch_is_idempotent():
    captured = wn.capture([static_adapter()])
    assert wn.plan_restore(captured, [static_adapter()])["operations"] == []


def test_keep_ghosts_warns_and_does_not_take_its_name():
    captured = wn.capture([static_adapter()])
    plan = wn.plan_restore(captured, [ghost_from_registry(), new_dhcp_adapter()], remove_ghosts=False)
    assert [o["op"] for o in plan["operations"]] == ["ipv4", "ipv6", "dns_servers", "dns_suffix"]
    assert any("already assigned to another adapter" in w for w in plan["warnings"])
    assert any("cannot rename" in w for w in plan["warnings"])


def test_dhcp_adapter_stays_dhcp_and_only_dns_is_carried():
    before = static_adapter(ipv4={"dhcp": True, "addresses": [{"ip": "10.213.0.50", "prefix": 24}], "gateways": []})
    before["ipv6"] = {"dhcp": True, "addresses": [], "gateways": []}
    captured = wn.capture([before])
    assert captured[wn.normalise_mac(MAC)]["ipv4"]["dhcp"] is True
    plan = wn.plan_restore(captured, [new_dhcp_adapter()], rename=False)
    assert [o["op"] for o in plan["operations"]] == ["dns_servers", "dns_suffix"]


def test_mac_not_found_after_switch_is_reported_not_guessed():
    captured = wn.capture([static_adapter()])
    plan = wn.plan_restore(captured, [new_dhcp_adapter(mac="52:54:00:aa:bb:99")])
    assert plan["operations"] == []
    assert plan["unmatched"] == [{"mac": "52:54:00:aa:bb:01", "reason": plan["unmatched"][0]["reason"]}]
    assert "MAC" in plan["unmatched"][0]["reason"]


def test_two_adapters_each_get_their_own_settings():
    mac2 = "52:54:00:aa:bb:02"
    second = static_adapter(name="Backend", guid="{4}", if_index=5, mac=mac2)
    second["ipv4"] = {"dhcp": False, "addresses": [{"ip": "192.0.2.5", "prefix": 28}], "gateways": []}
    captured = wn.capture([static_adapter(), second])
    after = [new_dhcp_adapter(), new_dhcp_adapter(name="Ethernet 3", guid="{5}", if_index=11, mac=mac2)]
    plan = wn.plan_restore(captured, after)
    v4 = {o["if_index"]: o["addresses"] for o in plan["operations"] if o["op"] == "ipv4"}
    assert v4 == {9: [{"ip": "10.213.0.21", "prefix": 24}], 11: [{"ip": "192.0.2.5", "prefix": 28}]}


def test_registry_dhcp_ghost_holds_nothing():
    ghost = ghost_from_registry()
    ghost["registry"]["EnableDHCP"] = 1
    adapter = wn.normalise_adapter(ghost)
    assert adapter["present"] is False
    assert adapter["ipv4"] == {"dhcp": True, "addresses": [], "gateways": []}


BAD_MASK = {"EnableDHCP": 0, "IPAddress": "10.0.0.1", "SubnetMask": "255.0.255.0"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wn.capture([static_adapter(), static_adapter(name="Twin", guid="{9}")]), "share MAC"),
        (lambda: wn.capture([dict(static_adapter(), mac="nope")]), "no usable MAC"),
        (lambda: wn.capture("Ethernet"), "must be a list"),
        (
            lambda: wn.capture(
                [static_adapter(ipv4={"dhcp": False, "addresses": [{"ip": "10.0.0.300", "prefix": 8}]})]
            ),
            "not an IP address",
        ),
        (lambda: wn.capture([static_adapter(ipv4={"addresses": [{"ip": "fd00::1", "prefix": 64}]})]), "not an IPv4"),
        (lambda: wn.capture([dict(ghost_from_registry(), status="Up", registry=BAD_MASK)]), "subnet mask"),
        (lambda: wn.plan_restore({"zz": {}}, []), "not a MAC"),
        (lambda: wn.plan_restore([], []), "keyed by MAC"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(NicTuneError, match=message):
        call()
