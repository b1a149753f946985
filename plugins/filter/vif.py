# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Xen vif specs and stable Xen MACs: vif_parse, vif_format, xen_mac (docs in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._xen.stable_mac import xen_stable_mac
from ansible_collections.nictune.fleet.plugins.module_utils._xen.vif_spec import format_vif, parse_vif

try:
    from netaddr import EUI, mac_unix_expanded
except ImportError:  # pragma: no cover - netaddr is in requirements.txt; the core needs no netaddr
    EUI = None


def vif_parse(spec):
    """'mac=..,bridge=xenbr0' -> {'mac': '..', 'bridge': 'xenbr0'}."""
    if spec is not None and not isinstance(spec, str):
        raise AnsibleFilterError("vif_parse: expected a vif spec string, got %s" % type(spec).__name__)
    return parse_vif(spec)


def vif_format(items, sep=","):
    """{'mac': '..', 'bridge': 'xenbr0'} (or a list of pairs) -> 'mac=..,bridge=xenbr0'."""
    if items is not None and not isinstance(items, (dict, list, tuple)):
        raise AnsibleFilterError("vif_format: expected a dictionary or a list of pairs, got %s" % type(items).__name__)
    try:
        return format_vif(items, sep=sep)
    except NicTuneError as exc:
        raise AnsibleFilterError("vif_format: %s" % exc)


def xen_mac(domain_name, index=0):
    """The stable MAC nic_model writes with pin_mac for NIC ``index`` of ``domain_name``."""
    try:
        mac = xen_stable_mac(domain_name, index)
    except NicTuneError as exc:
        raise AnsibleFilterError("xen_mac: %s" % exc)
    if EUI is not None:
        mac = str(EUI(mac, dialect=mac_unix_expanded))
    return mac


class FilterModule:
    def filters(self):
        return {"vif_parse": vif_parse, "vif_format": vif_format, "xen_mac": xen_mac}
