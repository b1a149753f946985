# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the guest_drivers role (docs in the sidecar .yml files):

guest_drivers_linux_facts, guest_drivers_linux_nics, guest_drivers_windows_facts, guest_drivers_decide
(module_utils/driver_matrix.py);
guest_drivers_netcfg_capture, guest_drivers_netcfg_plan (module_utils/win_netcfg.py).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_mac
from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers as driver_matrix
from ansible_collections.nictune.fleet.plugins.module_utils._guest import win_netcfg


def _call(name, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NicTuneError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc))


def _modinfo_results(modinfo):
    """``{module: {rc, stdout}}`` from a dict, or from the ``results`` of a looped ``modinfo -n`` task."""
    if isinstance(modinfo, dict) and "results" in modinfo:
        modinfo = modinfo["results"]
    if isinstance(modinfo, dict):
        return modinfo
    if isinstance(modinfo, (list, tuple)):
        out = {}
        for res in modinfo:
            if not isinstance(res, dict) or "item" not in res:
                raise AnsibleFilterError("guest_drivers_linux_facts: each loop result needs an item (the module name)")
            out[str(res["item"])] = {"rc": res.get("rc"), "stdout": res.get("stdout", "")}
        return out
    raise AnsibleFilterError(
        "guest_drivers_linux_facts: expected a dictionary or a registered loop result, got %s" % type(modinfo).__name__
    )


def guest_drivers_linux_facts(modinfo, builtin="", kernel=None):
    """Registered ``modinfo -n`` loop (+ modules.builtin text, kernel release) -> facts for guest_drivers_decide."""
    return _call(
        "guest_drivers_linux_facts", driver_matrix.linux_facts, _modinfo_results(modinfo), builtin or "", kernel
    )


def guest_drivers_linux_nics(ansible_facts, names=None):
    """The guest's NICs worth pinning: ``[{name, mac, driver}]`` of Ethernet interfaces backed by a device.

    From Ansible's facts: an interface with a ``module`` (its device's driver) is a NIC; bridges, bonds,
    VLANs, veth and tun have none (or are not of type ether). ``names`` restricts the list.
    """
    if not isinstance(ansible_facts, dict):
        raise AnsibleFilterError("guest_drivers_linux_nics: expected ansible_facts (a dictionary)")
    wanted = list(names or [])
    out = []
    for name in sorted(ansible_facts.get("interfaces") or []):
        if wanted and name not in wanted:
            continue
        info = ansible_facts.get(name.replace("-", "_")) or ansible_facts.get("ansible_" + name.replace("-", "_"))
        if not isinstance(info, dict) or not info.get("module") or info.get("type", "ether") != "ether":
            continue
        mac = normalise_mac(info.get("macaddress"))
        if mac is None or mac == "00:00:00:00:00:00":
            continue
        out.append({"name": name, "mac": mac, "driver": info.get("module")})
    missing = [n for n in wanted if n not in [o["name"] for o in out]]
    if missing:
        raise AnsibleFilterError(
            "guest_drivers_linux_nics: not a NIC of this guest (no device, or not Ethernet): %s" % ", ".join(missing)
        )
    return out


def guest_drivers_windows_facts(drivers, version, architecture=None, current_models=None):
    """Driver store (list, or pnputil /enum-drivers text) + Windows version -> facts for guest_drivers_decide."""
    if isinstance(drivers, str):
        drivers = driver_matrix.parse_pnputil(drivers)
    elif isinstance(drivers, dict):
        drivers = [drivers]
    return _call(
        "guest_drivers_windows_facts", driver_matrix.windows_facts, version, drivers, architecture, current_models
    )


def guest_drivers_decide(
    facts, accepted_licenses=None, intel_license_acknowledged=False, available_installers=None, target_models=None
):
    """Guest facts -> guest_drivers_result (supported_models, installed, installable, missing, refused, ...)."""
    return _call(
        "guest_drivers_decide",
        driver_matrix.decide,
        facts,
        accepted_licenses=accepted_licenses,
        intel_license_acknowledged=intel_license_acknowledged,
        available_installers=available_installers,
        target_models=target_models or None,
    )


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
            "guest_drivers_linux_facts": guest_drivers_linux_facts,
            "guest_drivers_linux_nics": guest_drivers_linux_nics,
            "guest_drivers_windows_facts": guest_drivers_windows_facts,
            "guest_drivers_decide": guest_drivers_decide,
            "guest_drivers_netcfg_capture": guest_drivers_netcfg_capture,
            "guest_drivers_netcfg_plan": guest_drivers_netcfg_plan,
        }
