# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Proxmox VE ``netN`` values: proxmox_net_parse, proxmox_net_format (docs in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.net_value import NetValue, format_net


def proxmox_net_parse(value):
    """'virtio=BC:24:11:2C:69:EC,bridge=vmbr0' -> {'model': 'virtio', 'macaddr': 'BC:..', 'bridge': 'vmbr0'}."""
    if not isinstance(value, str):
        raise AnsibleFilterError("proxmox_net_parse: expected a netN value string, got %s" % type(value).__name__)
    try:
        return NetValue(value).as_dict()
    except NicTuneError as exc:
        raise AnsibleFilterError("proxmox_net_parse: %s" % exc)


def proxmox_net_format(items):
    """{'model': 'virtio', 'macaddr': '..', 'bridge': 'vmbr0'} (or a list of pairs) -> 'virtio=..,bridge=vmbr0'."""
    if not isinstance(items, (dict, list, tuple)):
        raise AnsibleFilterError(
            "proxmox_net_format: expected a dictionary or a list of pairs, got %s" % type(items).__name__
        )
    try:
        return format_net(items)
    except NicTuneError as exc:
        raise AnsibleFilterError("proxmox_net_format: %s" % exc)


class FilterModule:
    def filters(self):
        return {"proxmox_net_parse": proxmox_net_parse, "proxmox_net_format": proxmox_net_format}
