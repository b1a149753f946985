#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_choice
short_description: Choose each class of guests' NIC model by measuring (controller-side step)
version_added: 0.3.0
description:
  - The steps of the P(nictune.fleet.nic_model#role) role's choice by measuring (C(nic_model_choice=measured)), run
    on the controller. Each reads the guests' records (C(nic_model_guest)) and leaves its result to the role.
  - O(stage=classes), once after the plan - groups the guests into classes (same platform and machine type, same
    guest OS family and release, same models to try, same vCPUs, or the class C(nic_model_class) names), picks each
    class's sample guest and its candidates (multi-queue virtio among them where the guest has more than one vCPU),
    and says per class what the run does - V(try) the candidates on the sample, V(recall) the choice remembered from
    an earlier run (O(memory)), V(in_place) (every guest runs the same model and its plan keeps it), or V(none)
    (nothing to choose).
  - O(stage=decide), on each sample after its trials - the choice from the measurements (the rule is in the role's
    README), the trial record the report shows, and the figures before (current model) and after (the choice).
  - O(stage=settle), once after the trials - what the other guests of each class do with its choice (switch, keep,
    or skip with the reason) and, not in check mode, the choices written to O(memory).
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Decides as in a real run; O(stage=settle) writes no memory and keeps the guests of a class to try.
options:
  stage:
    description: Which step.
    type: str
    choices: [classes, decide, settle]
    required: true
  guests:
    description: The guests of the run (O(stage=classes) and O(stage=settle)); their records are read by name.
    type: list
    elements: str
    default: []
  max_queues:
    description:
      - The most queue pairs of the multi-queue candidate - C(min(vCPUs, max_queues)) (C(nic_model_max_queues)).
    type: int
    default: 4
  memory:
    description:
      - The controller's file of remembered choices (C(nic_model_choice_memory)), JSON, keyed by class; empty for
        none. Read by O(stage=classes), updated by O(stage=settle).
    type: str
    default: ""
  refresh:
    description:
      - Try every class again, even where a choice is remembered or found in place (C(nic_model_choice_refresh)).
    type: bool
    default: false
  plan:
    description: The result of O(stage=classes) (C(nic_model_run.choice)), for O(stage=decide) and O(stage=settle).
    type: dict
    default: {}
  trials:
    description:
      - O(stage=decide). Per candidate name, C(send) and C(receive) - lists of bits per second, one per round (a
        failed round left out) - and C(error).
    type: dict
    default: {}
  rounds:
    description: O(stage=decide). Rounds per candidate and direction (C(nic_model_trial_rounds)).
    type: int
    default: 2
  threshold:
    description: O(stage=decide). C(nic_model_rollback_threshold).
    type: float
    default: 0.1
  run:
    description: O(stage=settle). The run's record (C(nic_model_run)); its C(report_dir) is remembered with each choice.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Group the guests into classes
  nictune.fleet.nic_model_choice:
    stage: classes
    guests: "{{ groups['nictune_run'] }}"
    memory: ~/.cache/nictune/choices.json
  register: __classes
"""

RETURN = r"""
choice:
  description:
    - O(stage=classes). C(guests) (class key per guest, null outside any class), C(outside) (why), C(classes) (per key
      C(key), C(members), C(sample), C(step), C(why), C(current), C(candidates), C(order), C(choice)),
      C(trial_guests) and C(lines).
  type: dict
  returned: when stage is classes
trial:
  description:
    - O(stage=decide). C(class), C(sample), C(members), C(current), C(candidates), C(rounds), C(tests),
      C(planned_tests), C(decision) (C(choice), C(kept), C(reason), C(table), C(candidates)), C(choice) (C(name),
      C(model), C(queues), C(set_queues)), C(before) and C(after) (C(send_bps), C(receive_bps)).
  type: dict
  returned: when stage is decide
guests:
  description: O(stage=settle). Per guest of a class, the fields its record gets.
  type: dict
  returned: when stage is settle
memory_written:
  description: O(stage=settle). The memory file written, or null.
  type: str
  returned: when stage is settle
lines:
  description: Console lines.
  type: list
  elements: str
  returned: always
"""
