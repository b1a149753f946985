# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.guest_drivers_info: Linux guests run the module; Windows guests have their driver
store read through ansible.windows.win_powershell and the decision is taken here, on the controller."""

from __future__ import annotations

from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers
from ansible_collections.nictune.fleet.plugins.modules.guest_drivers_info import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction
from ansible_collections.nictune.fleet.plugins.plugin_utils.data import plain

DRIVER_STORE_SCRIPT = "Get-NictuneNetDrivers.ps1"
WINDOWS_HOTPLUG = (
    "Windows keeps IP settings with the adapter, not its MAC: a plugged adapter starts unconfigured "
    "(the role restores the settings by MAC at the boot after a cold switch)"
)


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION
    _requires_connection = True

    def work(self, args, task_vars):
        if getattr(self._connection._shell, "SHELL_FAMILY", "") != "powershell":
            return self._execute_module(
                module_name="nictune.fleet.guest_drivers_info", module_args=args, task_vars=task_vars
            )
        return self._windows(args, task_vars)

    def _windows(self, args, task_vars):
        """Windows: linted and unit-tested up to here; no Windows guest runs in this project's tests."""
        script_path = self._find_needle("files", DRIVER_STORE_SCRIPT)
        with open(script_path, encoding="utf-8") as handle:
            script = handle.read()
        store = self._execute_module(
            module_name="ansible.windows.win_powershell", module_args={"script": script}, task_vars=task_vars
        )
        if store.get("failed"):
            return dict(store, msg="reading the driver store failed: %s" % store.get("msg"))
        facts_in = plain(task_vars.get("ansible_facts") or {})
        facts = drivers.windows_facts(
            facts_in.get("distribution_version"), plain(store.get("output") or []), facts_in.get("architecture")
        )
        result = drivers.decide(
            facts,
            accepted_licenses=args["accepted_licenses"],
            intel_license_acknowledged=args["intel_license_acknowledged"],
            available_installers=args["windows_packages"],
            target_models=args["target_models"] or None,
        )
        return {
            "changed": False,
            "result": result,
            "nics": [],
            "link_drivers": [],
            "model_modules": {},
            "naming_method": "none",
            "hotplug": {"ready": False, "reason": WINDOWS_HOTPLUG, "nics": []},
        }
