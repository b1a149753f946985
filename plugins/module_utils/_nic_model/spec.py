# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of nic_model and nic_model_info (no Ansible imports)."""

from __future__ import annotations

from .._proxmox.modes import MODES as PROXMOX_MODES
from .._proxmox.modes import PENDING_MODES
from .backends import CHOICES


def _where():
    return dict(
        backend=dict(type="str", default="auto", choices=list(CHOICES)),
        path=dict(type="list", elements="path"),
        uri=dict(type="str", default="qemu:///system"),
        domains=dict(type="list", elements="str"),
        vmids=dict(type="list", elements="int"),
        node=dict(type="str"),
        proxmox_mode=dict(type="str", default="auto", choices=list(PROXMOX_MODES)),
    )


# VirtualBox (backend virtualbox): registered VMs by name or UUID, reached through VBoxManage.
_VIRTUALBOX = dict(vms=dict(type="list", elements="str"))


def info_spec():
    return dict(_where(), **_VIRTUALBOX)


def apply_spec():
    spec = dict(_where(), **_VIRTUALBOX)
    spec.update(
        model=dict(type="str"),
        xen_type=dict(type="str", choices=["ioemu", "vif"]),
        pin_mac=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        apply=dict(type="str", default="config", choices=["config", "live", "auto"]),
        detach_timeout=dict(type="int", default=20),
        queues=dict(type="int"),
        proxmox_pending=dict(type="str", default="skip", choices=list(PENDING_MODES)),
        match=dict(
            type="dict",
            options=dict(
                index=dict(type="list", elements="int"),
                mac=dict(type="list", elements="str"),
                bridge=dict(type="list", elements="str"),
                model=dict(type="list", elements="str"),
                attachment=dict(type="list", elements="str"),
            ),
        ),
    )
    return spec
