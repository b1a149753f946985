#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: domain_restart
short_description: Cold-restart a Xen, libvirt, Proxmox VE or VirtualBox guest so a new NIC model takes effect
version_added: 0.1.0
description:
  - Graceful shutdown with a timeout, then a hard stop if the guest did not stop in time, then start.
  - A domain that is not running is just started.
  - A cold restart is what makes a changed NIC model take effect; a reboot from inside the guest is not
    enough (the emulator keeps its devices). Proxmox VE applies a VM's C([PENDING]) changes when it starts it.
  - VirtualBox changes an adapter type only while the VM is powered off, so for a running VirtualBox VM the
    change is made between O(state=stopped) and O(state=started) (see the examples).
author:
  - nictune.fleet maintainers (@nictune)
attributes:
  check_mode:
    support: full
    description: Reports the restart it would do, and does nothing.
  diff_mode:
    support: none
    description: Nothing to compare.
options:
  backend:
    description:
      - V(libvirt) uses the libvirt API at O(uri); V(xen) runs C(xl shutdown), C(xl destroy) and C(xl create);
        V(proxmox) runs C(qm shutdown <vmid> --timeout), C(qm stop) when that fails, and C(qm start) on the Proxmox VE
        node the VM lives on.
      - V(virtualbox) runs C(VBoxManage controlvm <vm> acpipowerbutton), C(VBoxManage controlvm <vm> poweroff)
        when the VM has not stopped after O(shutdown_timeout) seconds, and C(VBoxManage startvm <vm> --type headless).
    type: str
    choices: [libvirt, xen, proxmox, virtualbox]
    default: libvirt
  uri:
    description: libvirt connection URI.
    type: str
    default: qemu:///system
  domain:
    description:
      - Domain name (required for backends V(libvirt), V(xen) and V(virtualbox); for VirtualBox the VM name or
        UUID).
    type: str
  vmid:
    description: Proxmox VE VM id (backend V(proxmox)).
    type: int
  config_path:
    description: The domain's xl config file, for C(xl create) (backend V(xen)).
    type: path
  shutdown_timeout:
    description: Seconds to wait for a graceful shutdown before the domain is stopped hard.
    type: int
    default: 60
  state:
    description:
      - V(restarted) stops the domain if it runs, then starts it.
      - V(stopped) and V(started) only stop or only start it (backend V(virtualbox) only).
    type: str
    choices: [restarted, stopped, started]
    default: restarted
requirements:
  - libvirt-python on the hypervisor for O(backend=libvirt).
  - the C(xl) toolstack for O(backend=xen).
  - the C(qm) program (a Proxmox VE node) for O(backend=proxmox).
  - VirtualBox (C(VBoxManage)) for O(backend=virtualbox).
notes:
  - The Xen path could not be run against a real Xen hypervisor when this collection was tested; it is kept to
    three C(xl) commands.
  - Likewise no Proxmox VE host runs in the tests; the Proxmox path is four C(qm) commands, tested against a
    recording stand-in for C(qm).
  - The VirtualBox path could not be run against a real VirtualBox when this collection was tested (only against a
    recording stand-in for C(VBoxManage)); it is kept to four C(VBoxManage) commands.
seealso:
  - module: nictune.fleet.nic_model
"""

EXAMPLES = r"""
- name: Cold-restart a guest after its NIC model changed
  nictune.fleet.domain_restart:
    uri: qemu:///system
    domain: web01
    shutdown_timeout: 90
  when: switched.results | selectattr('restart_required') | list | length > 0

- name: Stop a running VirtualBox VM whose adapter change is pending
  nictune.fleet.domain_restart:
    backend: virtualbox
    domain: web01
    state: stopped

- name: Change the adapter type while the VM is powered off
  nictune.fleet.nic_model:
    backend: virtualbox
    vms: [web01]
    model: virtio

- name: Start it again
  nictune.fleet.domain_restart:
    backend: virtualbox
    domain: web01
    state: started

- name: Cold-restart a Proxmox VE VM whose NIC change is pending
  nictune.fleet.domain_restart:
    backend: proxmox
    vmid: 100
    shutdown_timeout: 120
"""

RETURN = r"""
was_running:
  description: Whether the domain was running before.
  returned: always
  type: bool
method:
  description:
    - How the domain was stopped (V(shutdown), V(destroy); for Proxmox VE V(stop), a C(qm stop)) or V(start) when it
      was not running.
    - V(none) when O(state=stopped) or O(state=started) found nothing to do.
  returned: always
  type: str
state:
  description: The VirtualBox VM state after O(state=stopped) (V(poweroff) once it has stopped).
  returned: backend virtualbox with O(state=stopped)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.host import ModuleHost
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt.connection import load_binding
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt.restart import restart_libvirt
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.restart import restart_proxmox
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox import restart as _virtualbox
from ansible_collections.nictune.fleet.plugins.module_utils._xen.restart import restart_xen


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backend=dict(type="str", default="libvirt", choices=["libvirt", "xen", "proxmox", "virtualbox"]),
            uri=dict(type="str", default="qemu:///system"),
            domain=dict(type="str"),
            vmid=dict(type="int"),
            config_path=dict(type="path"),
            shutdown_timeout=dict(type="int", default=60),
            state=dict(type="str", default="restarted", choices=["restarted", "stopped", "started"]),
        ),
        required_if=[
            ("backend", "xen", ["config_path", "domain"]),
            ("backend", "libvirt", ["domain"]),
            ("backend", "proxmox", ["vmid"]),
            ("backend", "virtualbox", ["domain"]),
        ],
        supports_check_mode=True,
    )
    p = module.params
    host = ModuleHost(module)
    if p["state"] != "restarted" and p["backend"] != "virtualbox":
        module.fail_json(msg="state %s is only supported with backend virtualbox" % p["state"])
    try:
        if p["backend"] == "virtualbox":
            result = _virtualbox_action(host, p)
        elif p["backend"] == "xen":
            result = restart_xen(host, p["domain"], p["config_path"], p["shutdown_timeout"])
        elif p["backend"] == "proxmox":
            result = restart_proxmox(host, p["vmid"], p["shutdown_timeout"])
        else:
            result = restart_libvirt(host, load_binding(), p["uri"], p["domain"], p["shutdown_timeout"])
    except NicTuneError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


def _virtualbox_action(host, p):
    if p["state"] == "stopped":
        return _virtualbox.stop_virtualbox(host, p["domain"], p["shutdown_timeout"])
    if p["state"] == "started":
        return _virtualbox.start_virtualbox(host, p["domain"])
    return _virtualbox.restart_virtualbox(host, p["domain"], p["shutdown_timeout"])


if __name__ == "__main__":
    main()
