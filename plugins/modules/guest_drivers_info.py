#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: guest_drivers_info
short_description: Which NIC models a guest can drive, what it lacks and what the licences allow
version_added: 0.2.0
description:
  - Decides, for every model of the model catalogue (or O(target_models)), whether the guest can drive it now, what
    must be installed for the others and what the licences allow.
  - Linux guests - reads the running kernel's module index (C(modules.dep), C(modules.builtin)) for the catalogue's
    kernel modules of each model, and lists the guest's NICs (C(/sys/class/net)) with their MAC and driver.
  - Windows guests - the action plugin reads the driver store (C(Get-WindowsDriver)) through
    M(ansible.windows.win_powershell) and decides on the controller with the guest's facts
    (C(distribution_version), C(architecture)), O(windows_packages) and the licence settings.
  - Reads only; the P(nictune.fleet.guest_drivers#role) role stores the result as C(guest_drivers_result).
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Reads only.
  platform:
    platforms: posix, windows
options:
  target_models:
    description: Models to judge (aliases accepted); empty for every model the catalogue knows a guest driver for.
    type: list
    elements: str
    default: []
  accepted_licenses:
    description: SPDX ids of the licences accepted for drivers the role installs (Windows).
    type: list
    elements: str
    default: [BSD-3-Clause, BSD-2-Clause, GPL-2.0-or-later]
  intel_license_acknowledged:
    description: Allow Intel's driver on an emulated NIC (its licence allows use only with Intel components).
    type: bool
    default: false
  windows_packages:
    description: Windows driver installers the user supplies (see the role's C(guest_drivers_windows_packages)).
    type: list
    elements: dict
    default: []
  interfaces:
    description: Only these interfaces in RV(nics); empty for every NIC.
    type: list
    elements: str
    default: []
  pin_interface_names:
    description:
      - Whether the caller pins interface names to MACs (the role's C(guest_drivers_pin_interface_names)); a guest
        whose names are not pinned is not ready for a hot-plugged NIC.
    type: bool
    default: true
  fix_hotplug:
    description:
      - Whether the caller adds the missing C(allow-hotplug) line of an ifupdown NIC (the role's
        C(guest_drivers_ifupdown_allow_hotplug)); such a NIC then counts as ready.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Which models can this guest drive?
  nictune.fleet.guest_drivers_info:
  register: drivers
"""

RETURN = r"""
result:
  description:
    - The decision (C(os_family), C(supported_models), C(supported_after_install), C(installed), C(installable),
      C(missing), C(refused), C(marked), C(recommendations), C(models)); see the role's README.
  type: dict
  returned: always
nics:
  description: Linux - the guest's Ethernet NICs backed by a device (C(name), C(mac), C(driver)).
  type: list
  elements: dict
  returned: always
link_drivers:
  description: Linux - the driver names (as ethtool shows them) of the catalogue's NIC models.
  type: list
  elements: str
  returned: always
model_modules:
  description: Linux - per model, the kernel modules it needs.
  type: dict
  returned: always
naming_method:
  description:
    - Linux - how names can be pinned to MACs - V(link) (systemd-udevd), V(udev_rule) (another udev) or V(none).
  type: str
  returned: always
hotplug:
  description:
    - Whether every NIC would come back by itself, with its name and configuration, when it is unplugged and plugged
      again as another model (a live switch) - C(ready), C(reason) and per NIC C(interface), C(mac), C(manager),
      C(file) (the configuration that applies), C(how) (V(mac), V(name) or V(any)), C(config_files), C(ready),
      C(reason), C(fix) (a line the role adds).
    - Windows guests are never ready - their IP settings belong to the adapter, not to its MAC.
  type: dict
  returned: always
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nictune.fleet.plugins.module_utils._common import models as _models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._guest import drivers, linux, linux_net


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target_models=dict(type="list", elements="str", default=[]),
            accepted_licenses=dict(
                type="list", elements="str", default=["BSD-3-Clause", "BSD-2-Clause", "GPL-2.0-or-later"]
            ),
            intel_license_acknowledged=dict(type="bool", default=False),
            windows_packages=dict(type="list", elements="dict", default=[]),
            interfaces=dict(type="list", elements="str", default=[]),
            pin_interface_names=dict(type="bool", default=True),
            fix_hotplug=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    release = os.uname().release
    loadable, builtin, found = linux.kernel_modules(release)
    if not found:
        module.fail_json(msg="cannot read /lib/modules/%s/modules.dep: which NIC drivers exist is unknown" % release)
    modinfo = {mod: (0 if drivers.normalise_module(mod) in loadable else 1) for mod in _models.linux_modules()}
    try:
        facts = drivers.linux_facts(modinfo, "\n".join(sorted(builtin)), kernel=release)
        result = drivers.decide(
            facts,
            accepted_licenses=p["accepted_licenses"],
            intel_license_acknowledged=p["intel_license_acknowledged"],
            target_models=p["target_models"] or None,
        )
    except NicTuneError as exc:
        module.fail_json(msg=str(exc))
    models = result["models_considered"]
    nics = linux.nics(names=p["interfaces"] or None)
    naming = linux.naming_method()
    module.exit_json(
        changed=False,
        result=result,
        nics=nics,
        naming_method=naming,
        hotplug=linux_net.hotplug(
            nics, names_pinnable=p["pin_interface_names"] and naming != "none", fix=p["fix_hotplug"]
        ),
        link_drivers=_models.ethtool_drivers(models),
        model_modules={m: (_models.linux_driver(m) or {"needs": []})["needs"] for m in models},
    )


if __name__ == "__main__":
    main()
