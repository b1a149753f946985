#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_report
short_description: Write the NIC upgrade's plan and its final report (controller-side step)
version_added: 0.2.0
description:
  - The report step of the P(nictune.fleet.nic_model#role) role, run once on the controller.
  - Reads each guest's record (C(nic_model_guest)), the one the role's entry points write.
  - O(stage=plan) fixes the run's report directory, writes C(plan.json), C(plan.csv), C(plan.md) and C(plan.html)
    before anything changes, and returns the run's record (report directory, start time, batch settings) and one
    line per guest.
  - O(stage=final) writes C(report.json), C(report.csv), C(report.md) and a self-contained C(report.html) with a
    fleet summary, a before/after chart and the decisions, and returns one line per guest and the counts.
  - In check mode nothing is written, and the result says so.
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Builds the report but writes no file.
options:
  stage:
    description: Which report.
    type: str
    choices: [plan, final]
    required: true
  guests:
    description: The guests of this run.
    type: list
    elements: str
    required: true
  report_dir:
    description:
      - The report directory (C(nictune_report_dir)); default C(./nictune-reports/<UTC time>), fixed by the plan
        stage for the whole run.
    type: str
  run:
    description: The run's record (returned by the plan stage) and settings shown in the report.
    type: dict
    default: {}
  title:
    description: Title of the report.
    type: str
    default: NIC upgrade
"""

EXAMPLES = r"""
- name: Write the plan before anything changes
  nictune.fleet.nic_model_report:
    stage: plan
    guests: "{{ groups['nictune_run'] }}"
  register: __plan
"""

RETURN = r"""
report_dir:
  description: The report directory.
  type: str
  returned: always
written:
  description: The files written (empty in check mode).
  type: list
  elements: str
  returned: always
lines:
  description: One line per guest.
  type: list
  elements: str
  returned: always
run:
  description: The run's record (C(report_dir), C(started), C(started_epoch), C(check_mode)).
  type: dict
  returned: when stage is plan
status:
  description: The one-line outcome (for example C(3 switched, 0 rolled back, 1 kept, 0 skipped)).
  type: str
  returned: when stage is final
counts:
  description: Guests per decision (C(switched), C(kept), C(rolled_back), C(skipped)).
  type: dict
  returned: when stage is final
guests:
  description: Per guest C(name), C(decision), C(before_model), C(after_model), C(reason) (for AWX artifacts).
  type: list
  elements: dict
  returned: when stage is final
"""
