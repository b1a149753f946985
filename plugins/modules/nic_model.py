#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model
short_description: Set the emulated NIC model of Xen, libvirt and VirtualBox guests
version_added: 0.1.0
description:
  - Sets the model of the selected NICs of one or many domains, in Xen xl.cfg/xm files, in persistent
    libvirt domain definitions (through the libvirt API), in libvirt domain XML files, in VirtualBox machine
    settings files (C(.vbox)) or in VMs registered with VirtualBox (through C(VBoxManage)).
  - Only the model (and with O(pin_mac) a missing MAC, with O(xen_type) the Xen vif type) changes; every
    other byte of a file is kept, and so are MAC and PCI addresses.
  - All domains are read and planned before anything is written. If any file cannot be parsed, the task
    fails naming every bad file and line, and writes none.
  - The change takes effect at the next cold start of the guest (C(xl create), libvirt C(destroy)/C(start), the
    next start of a VirtualBox VM); the module never restarts a guest and reports RV(results[].restart_required)
    instead.
author:
  - nictune.fleet maintainers (@nictune)
extends_documentation_fragment:
  - nictune.fleet.nic_model
  - nictune.fleet.nic_model.match
attributes:
  check_mode:
    support: full
    description: Reports exactly what a real run would change, and changes nothing.
  diff_mode:
    support: full
    description: One diff per changed file or domain definition.
options:
  model:
    description:
      - The NIC model to set, for example V(e1000), V(rtl8139), V(virtio) (libvirt), V(e1000e).
      - For Xen HVM guests, V(rtl8139) (Xen's default) and V(e1000) are documented by Xen, and QEMU's V(e1000e),
        V(ne2k_pci), V(pcnet), V(i82551), V(i82557b), V(i82559er) and V(virtio-net-pci) are known; other names are
        written with a warning (libxl passes them to QEMU, which may refuse them at C(xl create)).
      - For libvirt, the model must be one the domain's emulator offers; otherwise nothing is defined.
      - For VirtualBox, V(virtio), V(e1000) (written as VirtualBox's Intel PRO/1000 MT Desktop, 82540EM; an adapter
        that already is one of VirtualBox's three Intel types keeps its type) and V(pcnet) (written as the
        PCnet-FAST III, Am79C973); or one of VirtualBox's own adapter type names, for exactly that type.
      - May be omitted when only O(xen_type) or O(pin_mac) is wanted.
    type: str
  xen_type:
    description:
      - Xen only. Set the vif C(type=) of the selected NICs of HVM guests.
      - V(ioemu) (the default when C(type=) is absent) gives an emulated NIC whose model is O(model).
      - V(vif) makes the NIC paravirtual only (netfront); such a NIC has no model, and without this option
        a C(type=vif) NIC is left alone and reported as skipped.
    type: str
    choices: [ioemu, vif]
  pin_mac:
    description:
      - Xen only. Where a selected vif has no C(mac=), write a stable MAC in Xen's 00:16:3e range derived from
        the domain name and the NIC index (the same value as the P(nictune.fleet.xen_mac#filter) filter), so
        the guest stops getting a new random MAC at every C(xl create).
      - Not applied to PV/PVH guests, nor to C(type=vif) NICs unless O(xen_type) is set.
    type: bool
    default: false
  backup:
    description:
      - Files only. Keep a timestamped copy of each file that changes, next to it, named
        C(<file>.<pid>.<YYYY-MM-DD@HH:MM:SS>~) (with C(.<n>) before the C(~) when that name exists).
      - The copy is created exclusively, never through a symlink, with the file's own mode from its first byte
        (and, run as root, its owner), and gets its name only when it is complete.
      - Refused (before any file is written) when the file's directory may be written by others than its owner
        (group- or world-writable) and has no sticky bit.
    type: bool
    default: false
  apply:
    description:
      - libvirt only (O(backend=libvirt)). How the change reaches a running domain.
      - V(config) changes the persistent definition only; the new model takes effect at the next cold start.
      - V(live) also swaps the selected NICs of the running domain - each is hot-unplugged and a NIC of the new model
        with the same MAC, source, target and user alias, bandwidth, VLAN, filterref, link state and (the slot being
        free again) PCI address is hot-plugged - so no restart is needed. Fails, before anything changes, for a domain
        that is not running or whose machine type or bus has no hot-plug.
      - V(auto) swaps live where the domain runs and its machine type and bus allow it, and changes the persistent
        definition only elsewhere, with the reason in RV(results[].apply_reason).
      - The unplug needs the guest's cooperation (ACPI hot-unplug). When it is not acknowledged within
        O(detach_timeout), nothing else is done to the running domain; the result says so
        (RV(results[].live_pending)) and the new model waits for a restart. When the new NIC cannot be plugged, the
        old one is plugged back at once and the persistent definition put back; the task fails.
      - Files (every other backend) are changed for the next start only; V(live) and V(auto) are refused there.
    type: str
    choices: [config, live, auto]
    default: config
  detach_timeout:
    description: Seconds to wait for the guest to acknowledge the hot-unplug of a NIC (O(apply=live) or V(auto)).
    type: int
    default: 20
notes:
  - Xen PV and PVH guests use netfront and have no emulated NIC model; their vifs are reported as skipped.
  - A Xen config that xl itself would reject (CRLF line endings, a comment on the last line without a newline,
    Python code in a legacy xm file) is refused with file, line and reason; it is never executed or evaluated.
  - A file without any write bit is treated as "do not edit" and refused, also for root.
  - VirtualBox changes the adapter type of a registered VM only while it is powered off (or aborted). A VM in another
    state is reported with RV(results[].pending=true) and left alone (VirtualBox keeps a running VM's settings in
    memory and writes them over the file when it stops); stop it, run the task, start it
    (M(nictune.fleet.domain_restart) with O(nictune.fleet.domain_restart#module:state=stopped) and
    O(nictune.fleet.domain_restart#module:state=started)).
  - VirtualBox files (O(path)) are edited only where VirtualBox does not hold the machine. When C(VBoxManage) is
    installed, a file whose machine is registered on the host is left alone with a reason naming O(vms), a running one
    is pending; a file with a saved machine state (C(stateFile)) is pending too. Disabled adapters are never changed.
  - The VirtualBox paths were tested against a recording stand-in for C(VBoxManage) only, no real VirtualBox.
  - Concurrent runs on one host lose no change - a run that writes locks each file (C(flock)) and each libvirt domain
    (a lock file per UUID) from before it reads it until after it is written, and waits up to 120 s for a lock
    another run holds. The lock binds only runs of this collection.
  - Temporary files are C(.<file>.<8 characters>.nictune) beside the file; a run removes those of its own user
    that interrupted runs left beside the files it writes.
  - A file with other hard links is replaced under the name given only (the atomic rename); the module warns.
  - Results, diffs and messages are valid UTF-8 whatever bytes a file holds (undecodable bytes are shown as
    C(\xNN)); files are written from their own bytes.
requirements:
  - libvirt-python on the hypervisor for O(backend=libvirt).
  - VirtualBox (C(VBoxManage)) for O(backend=virtualbox) without O(path).
seealso:
  - module: nictune.fleet.nic_model_info
"""

EXAMPLES = r"""
- name: Every emulated NIC of every HVM guest of this Xen host becomes e1000
  nictune.fleet.nic_model:
    path: /etc/xen/*.cfg
    model: e1000
    backup: true

- name: Only the NIC on xenbr1 of one guest, and pin its MAC
  nictune.fleet.nic_model:
    path: /etc/xen/web01.cfg
    model: e1000
    pin_mac: true
    match:
      bridge: xenbr1

- name: Switch the rtl8139 NICs of two libvirt guests to virtio
  nictune.fleet.nic_model:
    backend: libvirt
    uri: qemu:///system
    domains: [web01, db01]
    model: virtio
    match:
      model: rtl8139
  register: switched

- name: Domain XML kept in git
  nictune.fleet.nic_model:
    path: "{{ playbook_dir }}/domains/*.xml"
    model: virtio

- name: The bridged adapters of two VirtualBox VMs become virtio (VMs that run are reported as pending)
  nictune.fleet.nic_model:
    backend: virtualbox
    vms: [web01, db01]
    model: virtio
    match:
      attachment: bridged

- name: VirtualBox machine files that VirtualBox does not hold (templates, copies)
  nictune.fleet.nic_model:
    path: "{{ playbook_dir }}/vbox/*/*.vbox"
    model: virtio
    backup: true
"""

RETURN = r"""
results:
  description: One entry per domain (per file for file backends).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file (file backends; for VirtualBox VMs the settings file VirtualBox names).
      type: str
      returned: file backends and backend virtualbox
      sample: /etc/xen/web01.cfg
    domain:
      description: Domain name (Xen C(name=), libvirt C(<name>)); null when the file has none.
      type: str
      sample: web01
    backend:
      description: The backend that handled the domain.
      type: str
      sample: xen
    changed:
      description: Whether this domain's definition changed (or would, in check mode).
      type: bool
    restart_required:
      description:
        - True where the change takes effect only at the next cold start (files; a running libvirt domain whose NICs
          were not swapped live).
      type: bool
    state:
      description:
        - libvirt domain state (V(running), V(shut off), ...).
        - VirtualBox VM state as C(VBoxManage) names it (V(poweroff), V(running), V(saved) ...); for C(.vbox) files
          V(running) or V(saved) where known, else null.
      type: str
      returned: backends libvirt and virtualbox
    uuid:
      description: Domain UUID (VirtualBox machine UUID, without braces).
      type: str
      returned: backends libvirt and virtualbox
    pending:
      description:
        - VirtualBox. True when adapters should change but the VM is not powered off (or has a saved state), so
          nothing was changed; run again once it is powered off.
      type: bool
      returned: backend virtualbox
    os_type:
      description: VirtualBox guest OS type (C(OSType)).
      type: str
      returned: backend virtualbox
    settings_version:
      description: The settings version of a C(.vbox) file (C(version) of C(<VirtualBox>)).
      type: str
      returned: backend virtualbox with path
    skipped:
      description: True when nothing in this domain applies (PV guest, no NIC, no NIC selected).
      type: bool
    reason:
      description: Why the domain was skipped, or null.
      type: str
      sample: 'PV guest (type = "pv"): its vifs use netfront and have no model'
    backup_file:
      description: The backup made, when O(backup=true) and the file changed.
      type: str
      returned: changed and backup requested
    apply_method:
      description:
        - libvirt - V(live) when the running domain's NICs were swapped (or would be, in check mode), V(config) when
          only the persistent definition changed.
      type: str
      returned: backend libvirt
    apply_reason:
      description: libvirt - why that path was taken.
      type: str
      returned: backend libvirt
    live_pending:
      description:
        - libvirt - true when the guest did not acknowledge an unplug in time; the new model waits for a restart.
      type: bool
      returned: backend libvirt
    nics:
      description: Every NIC of the domain.
      type: list
      elements: dict
      contains:
        index:
          description: Position of the NIC (VirtualBox adapter slot, counted from 0).
          type: int
        vboxmanage_index:
          description: VirtualBox adapter number as C(VBoxManage) counts it (C(--nictype<N>)), slot + 1.
          type: int
          returned: backend virtualbox
        enabled:
          description: Whether the VirtualBox adapter is enabled (disabled adapters are never changed).
          type: bool
          returned: backend virtualbox
        attachment:
          description:
            - The VirtualBox attachment type, as RV(nictune.fleet.nic_model_info#module:domains[].nics[].attachment).
          type: str
          returned: backend virtualbox
        type_before:
          description: VirtualBox adapter type before.
          type: str
          returned: backend virtualbox
        type_after:
          description: VirtualBox adapter type after.
          type: str
          returned: backend virtualbox
        pending:
          description: VirtualBox. True when this adapter would change once the VM is powered off.
          type: bool
          returned: backend virtualbox
        mac:
          description: MAC after the change (null when the NIC has none written).
          type: str
        model_before:
          description: Model in force before.
          type: str
        model_after:
          description: Model in force after.
          type: str
        selected:
          description: Whether O(match) selected this NIC.
          type: bool
        changed:
          description: Whether this NIC changed.
          type: bool
        skipped:
          description: True when the NIC was selected but left alone.
          type: bool
        reason:
          description: Why the NIC was left alone.
          type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.host import ModuleHost
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model.spec import apply_spec


def main():
    module = AnsibleModule(argument_spec=apply_spec(), supports_check_mode=True)
    if not (module.params["model"] or module.params["xen_type"] or module.params["pin_mac"]):
        module.fail_json(msg="nothing to do: give model, xen_type or pin_mac")
    try:
        result = run.apply(ModuleHost(module), module.params)
    except NicTuneError as exc:
        module.fail_json(**run.failure(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
