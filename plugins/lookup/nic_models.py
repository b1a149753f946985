# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nic_models
short_description: NIC model names from the collection's model catalogue
version_added: 0.2.0
author:
  - nictune.fleet maintainers (@nictune)
description:
  - Returns canonical NIC model names from the model catalogue, the one place the collection lists them (see
    C(docs/models.md)), so that surveys, inventories and checks need not copy the list.
  - Without options, every model the upgrade can switch to on some platform, best first per platform.
options:
  platform:
    description:
      - Only the models this platform offers, best first (V(kvm), V(xen_hvm), V(proxmox), V(virtualbox)).
    type: str
  every:
    description: Every model the catalogue knows, not only those the upgrade ranks.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The choices of a survey question for nic_model_target
  ansible.builtin.debug:
    msg: "{{ ['auto'] + query('nictune.fleet.nic_models') }}"

- name: What Proxmox VE offers, best first
  ansible.builtin.debug:
    msg: "{{ query('nictune.fleet.nic_models', platform='proxmox') }}"
"""

RETURN = r"""
_list:
  description: Canonical model names.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.nictune.fleet.plugins.module_utils._common import models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        platform = self.get_option("platform")
        try:
            if platform:
                ranked = models.ranking(platform)
                others = [m for m in models.platform_models(platform) if m not in ranked]
                return ranked + others if self.get_option("every") else ranked
        except NicTuneError as exc:
            raise AnsibleLookupError(str(exc))
        if self.get_option("every"):
            return list(models.MODELS)
        out = []
        for name in models.PLATFORMS:
            for model in models.ranking(name):
                if model not in out:
                    out.append(model)
        return out
