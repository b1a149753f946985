#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_plan
short_description: Plan one guest's NIC model switch from its hypervisor's audit (controller-side step)
version_added: 0.2.0
description:
  - The planning step of the P(nictune.fleet.nic_model#role) role, run per guest on the controller.
  - Finds the guest's domain in the audit its hypervisor left (C(nic_model_audit) of O(hypervisor)) - by its config
    path as the hypervisor resolved it when O(config_path) is given, else by O(domain).
  - Chooses the target model (the best the platform offers and the guest can drive, unless O(pinned)) from the
    model catalogue's ranking for the domain's platform, and records everything the switch needs (backend, URI or
    config path, domain, NICs) in the guest's record, the fact C(nic_model_guest).
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - nictune.fleet.controller_step
attributes:
  check_mode:
    description: Plans only; changes nothing in any mode.
options:
  hypervisor:
    description: The inventory host whose domains were audited (C(nic_model_hypervisor)).
    type: str
    required: true
  domain:
    description: The guest's domain name there (C(nic_model_domain)).
    type: str
    required: true
  config_path:
    description: Xen only, optional - the guest's config file on the hypervisor, when the domain name is not unique.
    type: str
  supported:
    description: The models the guest can drive (from P(nictune.fleet.guest_drivers#role)); null when unknown.
    type: list
    elements: str
  pinned:
    description: A model to switch to instead of the best one (C(nic_model_target)); empty or V(auto) for none.
    type: str
  ranking:
    description: Models best first, instead of the catalogue's ranking for the platform (C(nic_model_ranking)).
    type: list
    elements: str
    default: []
  readiness_gate:
    description: Whether the guest must be able to drive the target (C(nic_model_readiness_gate)).
    type: bool
    default: true
  switch:
    description:
      - How the switch may reach the running guest (C(nic_model_switch)) - V(cold) (a restart), V(live) (libvirt -
        unplug the old NIC, plug the new model with the same MAC; no restart) or V(auto) (live where the guest is
        ready for it, see O(hotplug), cold otherwise).
      - The record gets C(apply) (the O(nictune.fleet.nic_model#module:apply) option of the switch) and
        C(apply_reason). Where V(live) cannot be done (another backend, a guest not ready) the guest is skipped, with
        the reason.
    type: str
    choices: [cold, live, auto]
    default: cold
  hotplug:
    description:
      - Whether the guest brings a plugged NIC up by itself (C(guest_drivers_result.hotplug) - C(ready), C(reason));
        null when unknown (readiness gate off).
    type: dict
  guest_os:
    description:
      - The guest's operating system as C({family, release}) (for example V(Linux) and its kernel release, from
        P(nictune.fleet.guest_drivers#role)), kept in the record; the choice by measuring groups guests by it.
    type: dict
  choice:
    description:
      - How the target is chosen (C(nic_model_choice)) - V(ranked) by the ranking, V(measured) by measuring (see
        M(nictune.fleet.nic_model_choice)). With V(measured) the record gets C(choice) (C(mode), C(class),
        C(trial_guest)), a guest the plan keeps gets C(apply) too, and a guest that can be in a class gets the group
        V(choose) instead of its action.
    type: str
    choices: [ranked, measured]
    default: ranked
  class_name:
    description: C(nic_model_class) - the class this guest is put in by name instead of its own.
    type: str
  trial_guest:
    description: C(nic_model_trial_guest) - the sample guest of this guest's class (a guest name), or V(true) on it.
    type: raw
"""

EXAMPLES = r"""
- name: Plan this guest
  nictune.fleet.nic_model_plan:
    hypervisor: "{{ nic_model_hypervisor }}"
    domain: "{{ nic_model_domain }}"
    supported: "{{ guest_drivers_result.supported_models }}"
"""

RETURN = r"""
group:
  description:
    - The group the role puts the guest in, C(nictune_<group>) - its action (V(switch), V(keep), V(skip)), or
      V(choose) where the choice by measuring decides it.
  type: str
  returned: always
ansible_facts:
  description: The guest's record.
  type: dict
  returned: always
  contains:
    nic_model_guest:
      description:
        - C(name), C(hypervisor), C(domain), C(platform), C(backend), C(uri) or C(path), C(nics),
          C(current_model), C(target_model), C(action) (V(switch), V(keep) or V(skip)) and C(reason).
        - What the choice by measuring groups guests by - C(domain_type), C(machine), C(vcpus), C(offered_models),
          C(supported_models), C(guest_os) and C(pinned).
        - C(findings), a list of C({kind, what, fix}) - what keeps the guest's virtio NICs (current or planned) off
          the in-kernel vhost-net back end (the module not loaded or C(/dev/vhost-net) missing on a KVM host,
          C(<driver name='qemu'/>) on the NIC, a software-emulated domain); empty when nothing does.
      type: dict
"""
