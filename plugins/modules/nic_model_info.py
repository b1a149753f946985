#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model_info
short_description: Audit the NICs of Xen, libvirt, Proxmox VE and VirtualBox guests
version_added: 0.1.0
description:
  - For every domain found (Xen xl.cfg/xm files, persistent libvirt domains, libvirt domain XML files, Proxmox VE
    qemu-server VM configs, VirtualBox C(.vbox) files or VMs registered with VirtualBox), reports the guest type and
    every NIC with its model in force, MAC, bridge or network, and backend details.
  - For Proxmox VE, every C(netN) of the current configuration and of C([PENDING]) with its pending change, and
    the VM's C(hotplug) and C(ostype); the VM's state comes from one C(qm list) where the host has C(qm).
  - For VirtualBox every adapter slot is listed, disabled ones with RV(domains[].nics[].enabled=false); for VMs read
    through C(VBoxManage) a disabled adapter shows only that (C(VBoxManage) reports nothing else of it).
  - Where a file does not set a model, the hypervisor's default is reported (V(rtl8139) for Xen HVM and
    for libvirt/QEMU on x86 C(pc)/C(q35) machines; for a VirtualBox adapter without C(type), the type VirtualBox
    reads for it, the PCnet-FAST III from settings version 1.16 on and the PCnet-PCI II before).
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
  - VirtualBox (C(VBoxManage)) for O(backend=virtualbox) without O(path).
notes:
  - A Proxmox VE config that Proxmox's strict reader would refuse is refused with file, line and reason.
  - The VirtualBox path through C(VBoxManage) was tested against a recording stand-in only, no real VirtualBox.
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

- name: Audit every VM registered with VirtualBox on this host
  nictune.fleet.nic_model_info:
    backend: virtualbox
  register: vbox_audit

- name: Audit every VM of a Proxmox VE cluster (run on one node)
  nictune.fleet.nic_model_info:
    backend: proxmox
    path: /etc/pve/nodes/*/qemu-server/*.conf
  register: proxmox_audit
"""

RETURN = r"""
backend:
  description: The O(backend) option as given (each domain says which backend read it).
  returned: always
  type: str
  sample: auto
uri:
  description: The O(uri) option as given.
  returned: always
  type: str
path:
  description: The O(path) option as given (null for the API backends).
  returned: always
  type: list
  elements: str
domains:
  description: One entry per domain.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file (file backends; for VirtualBox VMs the settings file VirtualBox names).
      type: str
      returned: file backends and backend virtualbox
    backend:
      description: The backend that read the domain.
      type: str
      sample: xen
    domain:
      description: Domain name; null when a Xen file has no C(name=) (or a Proxmox config no C(name:)).
      type: str
    platform:
      description:
        - The platform whose model names and ranking apply (V(kvm), V(xen_hvm), V(xen_pv), V(proxmox), V(virtualbox);
          see C(docs/models.md)).
      type: str
      returned: always
    vmid:
      description: Proxmox VE VM id (from the file name C(<vmid>.conf)); null for another file name.
      type: str
      returned: backend proxmox
    node:
      description: Proxmox VE cluster node, where the config's location (C(/etc/pve/nodes/<node>/)) says it.
      type: str
      returned: backend proxmox
    hotplug:
      description: The VM's C(hotplug) as written; null when absent (Proxmox then hot-plugs network, disk and USB).
      type: str
      returned: backend proxmox
    hotplug_network:
      description: Whether Proxmox hot-plugs this VM's NICs (so C(qm set) can swap a model without a restart).
      type: bool
      returned: backend proxmox
    ostype:
      description: The VM's C(ostype) (V(l26), V(win10), V(win11), V(other) ...), a hint for the guest driver check.
      type: str
      returned: backend proxmox
    lock:
      description: The VM's C(lock) (V(backup), V(migrate), V(snapshot) ...), or null.
      type: str
      returned: backend proxmox
    template:
      description: Whether the VM is a template.
      type: bool
      returned: backend proxmox
    pending_keys:
      description: The keys changed in C([PENDING]) (applied at the VM's next start).
      type: list
      elements: str
      returned: backend proxmox
    snapshots:
      description: Names of the VM's snapshot sections (copies of older configurations; never edited).
      type: list
      elements: str
      returned: backend proxmox
    guest_type:
      description: Xen guest type (V(hvm), V(pv), V(pvh)); for libvirt the domain's C(<os><type>) (V(hvm)).
      type: str
      sample: hvm
    uuid:
      description: Domain UUID (libvirt; VirtualBox machine UUID without braces).
      type: str
      returned: libvirt and virtualbox backends
    state:
      description:
        - Domain state (backend V(libvirt)).
        - VirtualBox VM state as C(VBoxManage) names it (V(poweroff), V(running), V(saved) ...); null for C(.vbox)
          files.
        - Proxmox VE VM status from C(qm list) (V(running), V(stopped)); null without C(qm) or for another node's VM.
      type: str
      returned: backends libvirt, proxmox and virtualbox
    os_type:
      description: VirtualBox guest OS type.
      type: str
      returned: backend virtualbox
    saved_state:
      description: Whether a C(.vbox) file's machine has a saved state (C(stateFile)).
      type: bool
      returned: backend virtualbox with path
    settings_version:
      description: The settings version of a C(.vbox) file.
      type: str
      returned: backend virtualbox with path
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
    vcpus:
      description: vCPUs the domain starts with (C(<vcpu current=>) where set, else C(<vcpu>)); null when not written.
      type: int
      returned: libvirt backends
    host_vhost_net:
      description:
        - Whether this host can give the domain's virtio NICs the in-kernel vhost-net back end, read once per task
          (the same facts on every domain). libvirt uses vhost-net for a virtio NIC of a C(kvm) domain when the
          device exists and the NIC does not ask for C(<driver name='qemu'/>); never for a C(qemu) (software
          emulation) domain; without it virtio-net runs in QEMU's userspace.
        - Null where libvirt is not a QEMU driver on this host (remote URI, test driver) or the domain is not a
          QEMU/KVM domain.
      type: dict
      returned: backend libvirt
      contains:
        loaded:
          description:
            - Whether the C(vhost_net) module is loaded (listed in C(/proc/modules)) or built in
              (C(/sys/module/vhost_net)); false when a readable source does not show it (C(/sys/module) answers where
              C(/proc/modules) is missing, as in many containers); null when neither can be read.
          type: bool
        device:
          description: Whether C(/dev/vhost-net) exists.
          type: bool
      sample: {loaded: false, device: false}
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
          description: Position of the NIC (for Proxmox VE the N of C(netN); VirtualBox adapter slot, counted from 0).
          type: int
        slot:
          description: VirtualBox adapter slot (as in the C(.vbox) file, from 0).
          type: int
          returned: backend virtualbox
        vboxmanage_index:
          description: VirtualBox adapter number as C(VBoxManage) counts it (C(--nictype<N>)), slot + 1.
          type: int
          returned: backend virtualbox
        enabled:
          description: Whether the VirtualBox adapter is enabled.
          type: bool
          returned: backend virtualbox
        attachment:
          description: VirtualBox attachment type (V(nat), V(bridged), V(hostonly), V(intnet), V(null) ...).
          type: str
          returned: backend virtualbox
        cable_connected:
          description: Whether the VirtualBox adapter's virtual cable is connected.
          type: bool
          returned: backend virtualbox
        type_explicit:
          description: Whether a C(.vbox) file writes the adapter type (null for VMs read through C(VBoxManage)).
          type: bool
          returned: backend virtualbox
        key:
          description: Proxmox VE C(netN) key.
          type: str
          returned: backend proxmox
        in_config:
          description: False for a Proxmox VE NIC that exists only in C([PENDING]) (its fields are then null).
          type: bool
          returned: backend proxmox
        mac:
          description:
            - MAC address, or null when none is written (Xen and Proxmox VE then make a random one at every start).
          type: str
        bridge:
          description: Bridge (Xen), libvirt source bridge/network/device, or what a VirtualBox adapter is attached to.
          type: str
        model:
          description: Model in force (the hypervisor's default where none is written); null for PV-only NICs.
          type: str
        model_explicit:
          description: Whether the model is written in the definition.
          type: bool
        type:
          description:
            - Xen vif C(type) (V(ioemu) or V(vif)), or libvirt interface type (V(bridge), V(network) ...).
            - For VirtualBox the adapter type as VirtualBox names it (its model in the catalogue is
              RV(domains[].nics[].model)).
          type: str
        vifname:
          description: Xen backend interface name, when set.
          type: str
          returned: backend xen
        pci_address:
          description: libvirt PCI address as C(domain:bus:slot.function), when set.
          type: str
          returned: libvirt backends
        tag:
          description: Proxmox VE VLAN tag.
          type: int
          returned: backend proxmox
        trunks:
          description: Proxmox VE VLAN trunks (C(10;20-30)).
          type: str
          returned: backend proxmox
        firewall:
          description: Whether Proxmox's firewall protects the NIC.
          type: bool
          returned: backend proxmox
        queues:
          description:
            - Number of packet queues (multiqueue virtio); Proxmox VE's C(queues=), libvirt's C(<driver queues=>).
              Null when not written (one queue).
          type: int
          returned: backends proxmox and libvirt
        backend_driver:
          description:
            - The back end a libvirt virtio NIC asks for in C(<driver name=>), in lower case - V(vhost) (the in-kernel
              vhost-net) or V(qemu) (QEMU's userspace back end); null when not written, and then libvirt uses
              vhost-net where the host offers it (see RV(domains[].host_vhost_net)).
          type: str
          returned: libvirt backends
        link_down:
          description: Whether the NIC's link is set down.
          type: bool
          returned: backend proxmox
        rate:
          description: Rate limit in MB/s.
          type: float
          returned: backend proxmox
        mtu:
          description: MTU (virtio only).
          type: int
          returned: backend proxmox
        value:
          description: The C(netN) value as written.
          type: str
          returned: backend proxmox
        pending:
          description:
            - The NIC's change waiting in C([PENDING]), applied at the next start, or null. C(delete) (removed then;
              C(force) for C(!netN)), C(value) (the next value) and, for a value, C(model), C(mac), C(bridge), C(tag)
              ... as above.
          type: dict
          returned: backend proxmox
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
