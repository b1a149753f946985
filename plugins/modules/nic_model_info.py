#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_info
short_description: Audit the NICs of Xen and libvirt guests
version_added: 0.1.0
description:
  - For every domain found (Xen xl.cfg/xm files, persistent libvirt domains, or libvirt domain XML files),
    reports the guest type and every NIC with its model in force, MAC, bridge or network, and backend details.
  - Where a file does not set a model, the hypervisor's default is reported (V(rtl8139) for Xen HVM and
    for libvirt/QEMU on x86 C(pc)/C(q35) machines).
  - Reads only; never changes anything.
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - nictune.fleet.nic_model
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module only reads.
requirements:
  - libvirt-python on the hypervisor for O(backend=libvirt).
seealso:
  - module: nictune.fleet.nic_model
"""

EXAMPLES = r"""
- name: Audit every Xen guest of this host
  nictune.fleet.nic_model_info:
    path: /etc/xen/*.cfg
  register: audit

- name: Guests still on rtl8139
  ansible.builtin.debug:
    msg: "{{ audit.domains | selectattr('nics', 'defined') | map(attribute='domain') | list }}"

- name: Audit every persistent libvirt domain
  nictune.fleet.nic_model_info:
    backend: libvirt
    uri: qemu:///system
  register: libvirt_audit
"""

RETURN = r"""
domains:
  description: One entry per domain.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file (file backends).
      type: str
      returned: file backends
    backend:
      description: The backend that read the domain.
      type: str
      sample: xen
    domain:
      description: Domain name; null when a Xen file has no C(name=).
      type: str
    guest_type:
      description: Xen guest type (V(hvm), V(pv), V(pvh)); for libvirt the domain's C(<os><type>) (V(hvm)).
      type: str
      sample: hvm
    uuid:
      description: Domain UUID (libvirt).
      type: str
      returned: libvirt backends
    state:
      description: Domain state (backend V(libvirt)).
      type: str
      returned: backend libvirt
    domain_type:
      description: libvirt domain type (V(kvm), V(qemu), V(xen) ...).
      type: str
      returned: libvirt backends
    machine:
      description: Machine type (libvirt).
      type: str
      returned: libvirt backends
    arch:
      description: Architecture from C(<os><type arch>) (libvirt).
      type: str
      returned: libvirt backends
    persistent:
      description: Whether the domain has a persistent definition.
      type: bool
      returned: backend libvirt
    offered_models:
      description:
        - libvirt model names of the NIC devices the domain's emulator offers (asked from the emulator, cached);
          null where the emulator cannot be asked (remote URI, test driver).
      type: list
      elements: str
      returned: backend libvirt
      sample: [e1000, e1000e, rtl8139, virtio, vmxnet3]
    emulator:
      description: Emulator binary (libvirt).
      type: str
      returned: libvirt backends
    restart_required:
      description: True where the live and the persistent definition differ in NIC models (backend V(libvirt)).
      type: bool
      returned: backend libvirt
    nics:
      description: Every NIC.
      type: list
      elements: dict
      contains:
        index:
          description: Position of the NIC.
          type: int
        mac:
          description: MAC address, or null when none is written (Xen then makes a random one at every start).
          type: str
        bridge:
          description: Bridge (Xen), or libvirt source bridge/network/device.
          type: str
        model:
          description: Model in force (the hypervisor's default where none is written); null for PV-only NICs.
          type: str
        model_explicit:
          description: Whether the model is written in the definition.
          type: bool
        type:
          description: Xen vif C(type) (V(ioemu) or V(vif)), or libvirt interface type (V(bridge), V(network) ...).
          type: str
        vifname:
          description: Xen backend interface name, when set.
          type: str
          returned: backend xen
        pci_address:
          description: libvirt PCI address as C(domain:bus:slot.function), when set.
          type: str
          returned: libvirt backends
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.host import ModuleHost
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model.spec import info_spec


def main():
    module = AnsibleModule(argument_spec=info_spec(), supports_check_mode=True)
    try:
        result = run.info(ModuleHost(module), module.params)
    except NicTuneError as exc:
        module.fail_json(**run.failure(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
