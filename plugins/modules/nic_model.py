#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_model
short_description: Set the emulated NIC model of Xen, libvirt, Proxmox VE and VirtualBox guests
version_added: 0.1.0
description:
  - Sets the model of the selected NICs of one or many domains, in Xen xl.cfg/xm files, in persistent
    libvirt domain definitions (through the libvirt API; running domains live with O(apply)), in libvirt domain XML
    files, in Proxmox VE qemu-server VM configs (through C(qm set), or in the files; see O(proxmox_mode)), in
    VirtualBox machine settings files (C(.vbox)) or in VMs registered with VirtualBox (through C(VBoxManage)).
  - Only the model (and with O(pin_mac) a missing MAC, with O(xen_type) the Xen vif type) changes; every
    other byte of a file is kept, and so are MAC and PCI addresses.
  - All domains are read and planned before anything is written. If any file cannot be parsed, the task
    fails naming every bad file and line, and writes none.
  - The change takes effect at the next cold start of the guest (C(xl create), libvirt C(destroy)/C(start), the
    next start of a VirtualBox VM); the module never restarts a guest and reports RV(results[].restart_required)
    instead. A running libvirt domain gets the new NIC at once with O(apply=live) (hot-unplug, hot-plug); on Proxmox
    VE with C(qm), a running VM whose C(hotplug) includes C(network) gets it at once (Proxmox hot-swaps it).
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
      - For Proxmox VE, one of the models Proxmox accepts, as Proxmox spells them (V(virtio), V(e1000),
        V(e1000e), V(rtl8139), V(vmxnet3), the e1000 variants V(e1000-82540em), V(e1000-82544gc),
        V(e1000-82545em), and the older emulated ones); a catalogue name such as V(virtio-net) is written as
        Proxmox's name. Any other model is refused.
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
      - Not made where Proxmox writes the file itself (O(proxmox_mode=qm)); a warning says so.
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
  queues:
    description:
      - libvirt only (O(backend=libvirt) and libvirt domain XML files). Multi-queue virtio - the number of queue pairs
        of the selected virtio NICs, written as C(<driver queues='N'/>) (the attribute added to an existing
        C(<driver>), or the element added after C(<model>)).
      - V(1) means one queue - the C(queues) attribute is removed (and a C(<driver>) left without attributes).
      - Applies to NICs whose model is virtio after the change; with O(model) another model, V(1) is accepted (that
        model has no C(<driver>)) and more is refused. Without O(model), NICs of other models are skipped, with the
        reason.
      - A live swap (O(apply)) plugs the new NIC with these queues. Inside the guest, set the channels to match
        (C(ethtool -L <if> combined N)); P(nictune.fleet.guest_drivers#role) does it by MAC.
      - Omitted - the queues are left as they are.
    type: int
  proxmox_pending:
    description:
      - Proxmox VE only. What to do with a selected NIC that has a pending change (its C(netN) in the config's
        C([PENDING]) section, a change made while the VM ran and applied at its next start).
      - V(skip) leaves it alone and reports it (a pending change that already sets O(model) needs nothing more
        than the restart, and is reported so).
      - V(replace) replaces the pending change by this task's change (the NIC's current value with the new
        model); with C(qm), Proxmox replaces it itself; in files, the C(netN) line of C([PENDING]) is removed.
      - A NIC being removed (C(delete) in C([PENDING])) or existing only in C([PENDING]) is never changed.
    type: str
    choices: [skip, replace]
    default: skip
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
  - Proxmox VE configs are read by the rules of Proxmox's strict reader; a file it would refuse or only read with a
    warning (an unknown or repeated section, a line that is not a key and a value, a C(netN) value it cannot parse) is
    refused with file, line and reason. Only C(netN) lines of the current configuration change; snapshot
    sections never do. The MAC is kept; a NIC without one keeps having none (Proxmox makes up one at every
    start); with C(qm), Proxmox writes the random MAC it picks. A locked VM (C(lock:)) is left alone.
  - No Proxmox VE host runs in this collection's tests; the C(qm) commands are tested against a recording
    stand-in for C(qm) (see C(docs/proxmox.md)).
requirements:
  - libvirt-python on the hypervisor for O(backend=libvirt).
  - the C(qm) program (a Proxmox VE node) for O(proxmox_mode=qm).
  - VirtualBox (C(VBoxManage)) for O(backend=virtualbox) without O(path).
seealso:
  - module: nictune.fleet.nic_model_info
  - module: nictune.fleet.domain_restart
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

- name: A running two-vCPU guest's virtio NIC gets two queue pairs, swapped live
  nictune.fleet.nic_model:
    backend: libvirt
    domains: [web01]
    model: virtio
    queues: 2
    apply: auto

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

- name: Every e1000 NIC of every VM of this Proxmox VE node becomes virtio (qm set; running VMs hot-swap)
  nictune.fleet.nic_model:
    backend: proxmox
    model: virtio
    match:
      model: e1000
  register: proxmox_switch

- name: Two VMs of node pve2, from a copy of its configs on a host without Proxmox
  nictune.fleet.nic_model:
    backend: proxmox
    proxmox_mode: file
    path:
      - /srv/pve-backup/nodes/pve2/qemu-server/101.conf
      - /srv/pve-backup/nodes/pve2/qemu-server/102.conf
    model: e1000e
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
      description: Domain name (Xen C(name=), libvirt C(<name>), Proxmox C(name:)); null when the file has none.
      type: str
      sample: web01
    vmid:
      description: Proxmox VE VM id (from the file name C(<vmid>.conf)).
      type: str
      returned: backend proxmox
      sample: "100"
    node:
      description: Proxmox VE cluster node, where the config's location (C(/etc/pve/nodes/<node>/)) says it.
      type: str
      returned: backend proxmox
    via:
      description: How the change reaches Proxmox VE, V(qm) or V(file).
      type: str
      returned: backend proxmox
    qm_command:
      description: The C(qm set) command line run (or, in check mode, that would run).
      type: list
      elements: str
      returned: backend proxmox, changed through qm
      sample:
        - qm
        - set
        - "100"
        - --digest
        - 3f786850e387550fdab836ed7e6dc881de23001b
        - --net0
        - virtio=BC:24:11:2C:69:EC,bridge=vmbr0
    live:
      description:
        - Proxmox VE with C(qm), a running VM whose C(hotplug) includes C(network) - the NIC is hot-swapped
          (predicted in check mode; false where Proxmox left the change pending).
      type: bool
      returned: backend proxmox
    hotplug:
      description: The VM's C(hotplug) setting as written (null when absent; Proxmox then reads V(network,disk,usb)).
      type: str
      returned: backend proxmox
    ostype:
      description: The VM's C(ostype) (V(l26), V(win10) ...), a hint for the guest driver check.
      type: str
      returned: backend proxmox
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
        - For Proxmox VE, also where a pending change already sets the model; false where C(qm) hot-swapped the NIC.
      type: bool
    state:
      description:
        - libvirt domain state (V(running), V(shut off), ...).
        - VirtualBox VM state as C(VBoxManage) names it (V(poweroff), V(running), V(saved) ...); for C(.vbox) files
          V(running) or V(saved) where known, else null.
        - Proxmox VE VM status from C(qm list) (V(running), V(stopped)); null in O(proxmox_mode=file) or for another
          node's VM.
      type: str
      returned: backends libvirt, proxmox and virtualbox
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
        key:
          description: Proxmox VE C(netN) key.
          type: str
          returned: backend proxmox
        mac:
          description: MAC after the change (null when the NIC has none written).
          type: str
        model_before:
          description: Model in force before.
          type: str
        model_after:
          description: Model in force after.
          type: str
        queues_before:
          description: libvirt - the virtio queue pairs written before (C(<driver queues>)); null for one.
          type: int
          returned: backends libvirt and libvirt_xml
        queues_after:
          description: libvirt - the virtio queue pairs written after; null for one.
          type: int
          returned: backends libvirt and libvirt_xml
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
        pending:
          description:
            - VirtualBox - a boolean, true when this adapter would change once the VM is powered off.
            - Proxmox VE - the NIC's change waiting in C([PENDING]) as a dict, or null. Keys C(delete), C(force),
              C(value), and for a pending value C(model), C(mac), C(bridge) ... as in nic_model_info.
          type: raw
          returned: backends virtualbox and proxmox
        qm:
          description:
            - After C(qm set), where the change stands in the config Proxmox wrote - V(applied), V(pending) or
              V(unknown).
          type: str
          returned: backend proxmox, changed through qm
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.host import ModuleHost
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model.spec import apply_spec


def main():
    module = AnsibleModule(argument_spec=apply_spec(), supports_check_mode=True)
    params = module.params
    if not (params["model"] or params["xen_type"] or params["pin_mac"] or params["queues"] is not None):
        module.fail_json(msg="nothing to do: give model, xen_type, pin_mac or queues")
    try:
        result = run.apply(ModuleHost(module), module.params)
    except NicTuneError as exc:
        module.fail_json(**run.failure(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
