#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_audit
short_description: Write the fleet's NIC model audit from every hypervisor's audit (controller-side step)
version_added: 0.2.0
description:
  - Run once on the controller after the P(nictune.fleet.nic_model#role) role's audit entry point ran on every
    hypervisor; reads each hypervisor's C(nic_model_audit).
  - Writes C(audit.json) and C(audit.csv) (one row per domain NIC - hypervisor, domain, path, guest_type, index,
    mac, bridge, model, model_explicit), C(audit.md) and C(audit.html), unless in check mode.
  - Returns the fleet's counts, a status for AWX and one summary line per hypervisor and one for the fleet.
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Counts and summarises but writes no file.
options:
  hypervisors:
    description: The hypervisors whose audit succeeded.
    type: list
    elements: str
    required: true
  failed:
    description: How many hypervisors could not be audited.
    type: int
    default: 0
  report_dir:
    description: The report directory (C(nictune_report_dir)); default C(./nictune-reports/<UTC time>).
    type: str
  title:
    description: Title of the report.
    type: str
    default: NIC model audit
"""

EXAMPLES = r"""
- name: Write the fleet report
  nictune.fleet.nic_model_audit:
    hypervisors: "{{ ansible_play_hosts }}"
    failed: "{{ ansible_play_hosts_all | length - ansible_play_hosts | length }}"
  run_once: true
"""

RETURN = r"""
counts:
  description:
    - C(hypervisors), C(hypervisors_failed), C(domains), C(nics), C(models) (NICs per model), C(pv_nics),
      C(domains_on_rtl8139).
  type: dict
  returned: always
status:
  description: V(clean), V(rtl8139_found) or V(incomplete) (some hypervisor could not be audited).
  type: str
  returned: always
lines:
  description: One summary line per hypervisor and one for the fleet.
  type: list
  elements: str
  returned: always
report_dir:
  description: The report directory.
  type: str
  returned: always
written:
  description: The files written (empty in check mode).
  type: list
  elements: str
  returned: always
"""
