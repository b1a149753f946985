# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry a Windows guest's IP settings across a NIC model change (pure Python, no Ansible imports).

Windows binds TCP/IP settings to the adapter *instance* (its interface GUID), not to the MAC. After a
model change the new adapter comes up with DHCP, and the old one stays behind as a hidden "ghost"
(device not present) that still holds its static addresses in the registry, so Windows warns that the
address "is already assigned to another adapter" when it is typed in again.

* ``normalise_adapter(raw)``: one adapter as the role's PowerShell collects it (cmdlets for present
  adapters, the ``Tcpip\\Parameters\\Interfaces\\{GUID}`` registry values for every adapter) -> a plain dict.
* ``capture(adapters)``: before the switch, the settings to carry, keyed by MAC.
* ``plan_restore(captured, adapters)``: after the switch, the ordered operations that give the adapter now
  holding each MAC the captured settings (and free them from its ghost). Empty when nothing is to do.
"""

from __future__ import annotations

import ipaddress
import re

from .._common.errors import NicTuneError
from .._common.selection import normalise_mac

NOT_PRESENT = "not present"


def _strings(value):
    """A list of non-empty strings from a list, a string with commas/spaces, or None."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            items.extend(_strings(item))
        return items
    return [x for x in re.split(r"[,\s]+", str(value).strip()) if x]


def _mask_to_prefix(mask):
    try:
        return ipaddress.IPv4Network("0.0.0.0/%s" % mask).prefixlen
    except ValueError:
        raise NicTuneError("not a subnet mask: %r" % (mask,))


def _address(ip, prefix, family):
    try:
        addr = ipaddress.ip_address(str(ip).split("%", 1)[0])
    except ValueError:
        raise NicTuneError("not an IP address: %r" % (ip,))
    if addr.version != family:
        raise NicTuneError("%s is not an IPv%d address" % (ip, family))
    prefix = int(prefix)
    if not 0 <= prefix <= (32 if family == 4 else 128):
        raise NicTuneError("prefix length %r out of range for %s" % (prefix, ip))
    return {"ip": str(addr), "prefix": prefix}


def _ips(values, family):
    out = []
    for value in values:
        try:
            addr = ipaddress.ip_address(str(value).split("%", 1)[0])
        except ValueError:
            raise NicTuneError("not an IP address: %r" % (value,))
        if addr.version == family and str(addr) not in out:
            out.append(str(addr))
    return out


def _family(raw, family, registry):
    """``{dhcp, addresses, gateways}`` of one address family from cmdlet data, or the registry for IPv4."""
    raw = raw or {}
    if raw:
        addresses = []
        for item in raw.get("addresses") or []:
            addr = _address(item.get("ip"), item.get("prefix"), family)
            if family == 6 and ipaddress.ip_address(addr["ip"]).is_link_local:
                continue
            if addr not in addresses:
                addresses.append(addr)
        dhcp = bool(raw.get("dhcp"))
        if family == 4 and dhcp:
            # Windows has no static IPv4 address beside DHCP: what is there came from DHCP (or APIPA).
            return {"dhcp": True, "addresses": [], "gateways": []}
        return {"dhcp": dhcp, "addresses": addresses, "gateways": _ips(_strings(raw.get("gateways")), family)}
    if family == 4 and registry:
        dhcp = str(registry.get("EnableDHCP", 1)).strip() not in ("0", "False", "false")
        ips = [] if dhcp else _strings(registry.get("IPAddress"))
        masks = _strings(registry.get("SubnetMask"))
        addresses = []
        for i, ip in enumerate(ips):
            if ip == "0.0.0.0":
                continue
            mask = masks[i] if i < len(masks) else "255.255.255.255"
            addresses.append(_address(ip, _mask_to_prefix(mask), 4))
        gateways = [] if dhcp else _ips(_strings(registry.get("DefaultGateway")), 4)
        return {"dhcp": dhcp, "addresses": addresses, "gateways": gateways}
    return {"dhcp": True, "addresses": [], "gateways": []}


def normalise_adapter(raw):
    """One adapter as a plain dict: mac, name, description, if_index, interface_guid, pnp_instance_id,
    present, status, ipv4/ipv6 ({dhcp, addresses [{ip, prefix}], gateways}), dns_servers (static only),
    dns_suffix."""
    if not isinstance(raw, dict):
        raise NicTuneError("adapter must be a dictionary, got %s" % type(raw).__name__)
    mac = normalise_mac(raw.get("mac") or raw.get("MacAddress"))
    if mac is None:
        raise NicTuneError("adapter %r: no usable MAC address (%r)" % (raw.get("name"), raw.get("mac")))
    registry = raw.get("registry") or {}
    status = str(raw.get("status") or "").strip()
    present = raw.get("present")
    if present is None:
        present = status.lower() != NOT_PRESENT
    dns = raw.get("dns_servers")
    if dns is None:
        dns = registry.get("NameServer")
    suffix = raw.get("dns_suffix")
    if suffix is None:
        suffix = registry.get("Domain")
    return {
        "mac": mac,
        "name": str(raw.get("name") or ""),
        "description": str(raw.get("description") or ""),
        "if_index": raw.get("if_index"),
        "interface_guid": str(raw.get("interface_guid") or "").lower() or None,
        "pnp_instance_id": raw.get("pnp_instance_id"),
        "status": status,
        "present": bool(present),
        "ipv4": _family(raw.get("ipv4"), 4, registry),
        "ipv6": _family(raw.get("ipv6"), 6, None),
        "dns_servers": _ips(_strings(dns), 4) + _ips(_strings(dns), 6),
        "dns_suffix": str(suffix or ""),
    }


def _normalise_all(adapters):
    if not isinstance(adapters, (list, tuple)):
        raise NicTuneError("adapters must be a list, got %s" % type(adapters).__name__)
    return [normalise_adapter(a) for a in adapters]


def capture(adapters):
    """Before the switch: ``{mac: settings}`` of every present adapter (see ``normalise_adapter``).

    Two present adapters with the same MAC (a team, a bridge) are refused: there would be no telling which
    one's settings belong to the new adapter.
    """
    out = {}
    for adapter in _normalise_all(adapters):
        if not adapter["present"]:
            continue
        mac = adapter["mac"]
        if mac in out:
            raise NicTuneError(
                "two present adapters share MAC %s (%s, %s): cannot tell which settings to carry"
                % (mac, out[mac]["name"], adapter["name"])
            )
        out[mac] = {
            "name": adapter["name"],
            "description": adapter["description"],
            "interface_guid": adapter["interface_guid"],
            "ipv4": adapter["ipv4"],
            "ipv6": adapter["ipv6"],
            "dns_servers": adapter["dns_servers"],
            "dns_suffix": adapter["dns_suffix"],
        }
    return out


def _same_family(want, have):
    if want["dhcp"] != have["dhcp"]:
        return False

    def key(a):
        return (a["ip"], a["prefix"])

    return sorted(map(key, want["addresses"])) == sorted(map(key, have["addresses"])) and sorted(
        want["gateways"]
    ) == sorted(have["gateways"])


def plan_restore(captured, adapters, remove_ghosts=True, rename=True):
    """After the switch: what to do so that each captured MAC's settings are on the adapter holding it now.

    Returns ``{"operations": [...], "unmatched": [{mac, reason}], "warnings": [...], "changed": bool}``.
    Operations, in the order to run them (each names the adapter by ``if_index`` / ``interface_guid``):

    * ``release_ghost``: remove the hidden adapter that still holds this MAC's old settings
      (``pnp_instance_id``), so its addresses and name are free again;
    * ``rename``: give the new adapter the old connection name (only when no other adapter holds it);
    * ``ipv4`` / ``ipv6``: ``dhcp`` and the manual ``addresses`` [{ip, prefix}] and ``gateways`` (IPv4 with
      DHCP has none; IPv6 may have manual addresses beside SLAAC/DHCPv6);
    * ``dns_servers``: static DNS servers (an empty list means: from DHCP);
    * ``dns_suffix``: the connection-specific DNS suffix.
    """
    if not isinstance(captured, dict):
        raise NicTuneError("captured settings must be a dictionary keyed by MAC, got %s" % type(captured).__name__)
    now = _normalise_all(adapters)
    operations, unmatched, warnings = [], [], []
    for raw_mac in sorted(captured):
        mac = normalise_mac(raw_mac)
        if mac is None:
            raise NicTuneError("captured settings: %r is not a MAC address" % (raw_mac,))
        want = captured[raw_mac]
        want = dict(want, ipv4=_family(want.get("ipv4"), 4, None), ipv6=_family(want.get("ipv6"), 6, None))
        holders = [a for a in now if a["mac"] == mac and a["present"]]
        ghosts = [a for a in now if a["mac"] == mac and not a["present"]]
        if not holders:
            unmatched.append({"mac": mac, "reason": "no present adapter has this MAC (was the MAC kept?)"})
            continue
        if len(holders) > 1:
            unmatched.append({"mac": mac, "reason": "%d present adapters have this MAC" % len(holders)})
            continue
        new = holders[0]
        target = {"mac": mac, "if_index": new["if_index"], "interface_guid": new["interface_guid"], "name": new["name"]}
        wanted_ips = {a["ip"] for a in want["ipv4"]["addresses"] + want["ipv6"]["addresses"]}
        name_free = True
        for ghost in ghosts:
            if ghost["interface_guid"] and ghost["interface_guid"] == new["interface_guid"]:
                continue
            held = sorted(wanted_ips & {a["ip"] for a in ghost["ipv4"]["addresses"] + ghost["ipv6"]["addresses"]})
            holds_name = bool(ghost["name"]) and ghost["name"] == want.get("name")
            if not held and not holds_name:
                continue
            if remove_ghosts:
                operations.append(
                    dict(
                        target,
                        op="release_ghost",
                        ghost_name=ghost["name"],
                        ghost_interface_guid=ghost["interface_guid"],
                        pnp_instance_id=ghost["pnp_instance_id"],
                        addresses=held,
                    )
                )
            else:
                name_free = name_free and not holds_name
                warnings.append(
                    "hidden adapter %r (%s) still holds %s of MAC %s; Windows may report the address as already "
                    "assigned to another adapter"
                    % (ghost["name"], ghost["interface_guid"], ", ".join(held) or "the name", mac)
                )
        wanted_name = want.get("name")
        if rename and wanted_name and new["name"] != wanted_name:
            taken = [a for a in now if a["name"] == wanted_name and a is not new and a["present"]]
            if taken or not name_free:
                warnings.append("cannot rename %r to %r: the name is in use" % (new["name"], wanted_name))
            else:
                operations.append(dict(target, op="rename", new_name=wanted_name))
        for family in ("ipv4", "ipv6"):
            if not _same_family(want[family], new[family]):
                operations.append(
                    dict(
                        target,
                        op=family,
                        dhcp=want[family]["dhcp"],
                        addresses=want[family]["addresses"],
                        gateways=want[family]["gateways"],
                    )
                )
        if list(want.get("dns_servers") or []) != new["dns_servers"]:
            operations.append(dict(target, op="dns_servers", servers=list(want.get("dns_servers") or [])))
        if (want.get("dns_suffix") or "") != new["dns_suffix"]:
            operations.append(dict(target, op="dns_suffix", suffix=want.get("dns_suffix") or ""))
    order = {"release_ghost": 0, "rename": 1, "ipv4": 2, "ipv6": 3, "dns_servers": 4, "dns_suffix": 5}
    operations.sort(key=lambda o: order[o["op"]])
    return {"operations": operations, "unmatched": unmatched, "warnings": warnings, "changed": bool(operations)}
