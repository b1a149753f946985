# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters guest_drivers_netcfg_capture and guest_drivers_netcfg_plan (docs in the sidecar .yml files): Windows
adapters' IP settings captured by MAC before a NIC model change, and the operations that restore them after."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._guest import win_netcfg


def _call(name, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NicTuneError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc))


def guest_drivers_netcfg_capture(adapters):
    """Windows adapters before the switch -> {mac: settings to carry}."""
    return _call("guest_drivers_netcfg_capture", win_netcfg.capture, adapters)


def guest_drivers_netcfg_plan(adapters, captured, remove_ghosts=True, rename=True):
    """Windows adapters after the switch + captured settings -> {operations, unmatched, warnings, changed}."""
    return _call(
        "guest_drivers_netcfg_plan",
        win_netcfg.plan_restore,
        captured,
        adapters,
        remove_ghosts=remove_ghosts,
        rename=rename,
    )


class FilterModule:
    def filters(self):
        return {
            "guest_drivers_netcfg_capture": guest_drivers_netcfg_capture,
            "guest_drivers_netcfg_plan": guest_drivers_netcfg_plan,
        }
