# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a KVM host can give virtio NICs the in-kernel vhost-net back end (no Ansible imports, no libvirt import).

libvirt opens ``/dev/vhost-net`` for a virtio NIC of a ``<domain type='kvm'>`` when the device exists and the NIC
does not ask for QEMU's userspace back end (``<driver name='qemu'/>``); without it virtio-net runs in QEMU's
userspace, at a fraction of the speed. libvirt never uses vhost-net for a plain QEMU (software emulation,
``<domain type='qemu'>``) domain.

The host readings are three plain file checks, relative to ``root`` so tests can point them at a directory of
their own:

* ``/proc/modules`` lists ``vhost_net`` when the module is loaded (None when the file cannot be read);
* ``/sys/module/vhost_net`` exists when it is loaded or built into the kernel (the module has parameters, so a
  built-in one is listed there too): where ``/sys/module`` can be read and has no ``vhost_net``, the module is not
  loaded, whatever ``/proc/modules`` says or whether it exists (containers often lack it, and ``lsmod`` fails);
* ``/dev/vhost-net`` exists.
"""

from __future__ import annotations

import os

MODULE = "vhost_net"
DEVICE = "/dev/vhost-net"
PROC_MODULES = "/proc/modules"
SYS_MODULE = "/sys/module/" + MODULE

# <driver name=...> of a libvirt <interface>: the back end of a virtio NIC.
BACKEND_VHOST = "vhost"
BACKEND_QEMU = "qemu"


def module_listed(proc_modules):
    """True when the text of ``/proc/modules`` lists vhost_net, None when the text is None (not readable)."""
    if proc_modules is None:
        return None
    return any(line.split(" ", 1)[0] == MODULE for line in proc_modules.splitlines())


def facts(proc_modules, sys_module, device):
    """``{"loaded", "device"}`` from the readings: ``proc_modules`` (text or None), ``sys_module`` (whether
    ``/sys/module/vhost_net`` exists; None when ``/sys/module`` cannot be read) and ``device`` (whether
    ``/dev/vhost-net`` exists).

    ``loaded`` is True when either source shows the module (built-in modules are not in ``/proc/modules``), False
    when a source that could be read does not show it, None when neither could be read.
    """
    listed = module_listed(proc_modules)
    if listed or sys_module:
        loaded = True
    elif listed is False or sys_module is False:
        loaded = False
    else:
        loaded = None
    return {"loaded": loaded, "device": bool(device)}


def _path(root, path):
    return os.path.join(root, path.lstrip("/"))


def read(root="/"):
    """The vhost-net facts of the host whose filesystem is at ``root`` (``/``: this host)."""
    try:
        with open(_path(root, PROC_MODULES), encoding="utf-8", errors="replace") as handle:
            proc_modules = handle.read()
    except OSError:
        proc_modules = None
    sys_module = os.path.isdir(_path(root, SYS_MODULE)) if os.path.isdir(_path(root, "/sys/module")) else None
    return facts(proc_modules, sys_module, os.path.exists(_path(root, DEVICE)))
