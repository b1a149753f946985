# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``qm`` side of the Proxmox backend: which way a change goes, which VMs run, and ``qm set``.

Everything here goes through the narrow host object (``which``, ``run_command``, ``warn``, ``write_file``);
no Proxmox VE host runs in this project's tests, so these few commands are tested against a recording
stand-in for ``qm`` only:

* ``qm list``: the VMs of this node and their status (one call per task);
* ``qm set <vmid> --digest <sha1> --netN <value> ...``: Proxmox takes its config lock, checks that the file
  is still the one planned from (the digest), writes the new value to ``[PENDING]`` and then applies it: at
  once for a VM that is not running, by hot-unplugging the old NIC and plugging the new one for a running VM
  whose ``hotplug`` includes ``network`` (where that fails, or network hotplug is off, the value stays in
  ``[PENDING]`` until the next start).
"""

from __future__ import annotations

import os
import re

from .._common.errors import NicTuneError
from .._common.files import read_bytes
from .backend import confirm
from .modes import MODES

_NODE_LINK_RE = re.compile(r"/nodes/([^/]+)/?$")


def local_node(root="/etc/pve"):
    """The name of this cluster node (``/etc/pve/local`` links to ``nodes/<name>``), or None off Proxmox."""
    link = os.path.join(root, "local")
    if not os.path.islink(link):
        return None
    match = _NODE_LINK_RE.search(os.path.realpath(link))
    return match.group(1) if match else None


def resolve_via(host, mode):
    """``qm`` or ``file`` for ``proxmox_mode`` ``mode``: ``auto`` uses qm where the host has it."""
    mode = mode or "auto"
    if mode not in MODES:
        raise NicTuneError("proxmox_mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if mode == "file":
        return "file"
    if host.which("qm"):
        return "qm"
    if mode == "qm":
        raise NicTuneError("proxmox_mode: qm, but this host has no qm program (is it a Proxmox VE node?)")
    return "file"


def parse_qm_list(text):
    """``qm list`` output -> {vmid: status}. Columns VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID; a name may hold
    blanks (Proxmox shows ``VM <vmid>`` for a VM without one), so the status is read from the right."""
    out = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 6 and words[0].isdigit():
            out[words[0]] = words[-4]
    return out


def vm_states(host):
    """{vmid: status} of the VMs of this node, from one ``qm list``."""
    rc, out, err = host.run_command(["qm", "list"])
    if rc != 0:
        raise NicTuneError("qm list failed (rc %d): %s" % (rc, (err or out).strip()))
    return parse_qm_list(out)


def vm_status(host, vmid):
    """The status of one VM (``running``, ``stopped``) from ``qm status <vmid>``."""
    rc, out, err = host.run_command(["qm", "status", str(vmid)])
    if rc != 0:
        raise NicTuneError("qm status %s failed (rc %d): %s" % (vmid, rc, (err or out).strip()))
    match = re.search(r"^status:\s*(\S+)", out, re.MULTILINE)
    if not match:
        raise NicTuneError("qm status %s: unexpected answer %r" % (vmid, out.strip()))
    return match.group(1)


def writer(host):
    """The write step of the shared file workflow for the Proxmox backend: ``qm set`` for a change planned
    ``via: qm``, the atomic file write otherwise. Returns ``write(path, new_data, backup, result)``."""

    def write(path, new_data, backup, result):
        if result.get("via") != "qm":
            return host.write_file(path, new_data, backup=backup)
        if backup:
            host.warn("%s: no backup is made with qm (Proxmox writes the file itself); use proxmox_mode: file" % path)
        argv = result["qm_command"]
        rc, out, err = host.run_command(argv)
        try:
            states = confirm(path, read_bytes(path), result)
        except NicTuneError as exc:  # qm changed the file: what it holds now does not alter that
            host.warn("VM %s: cannot read %s after qm set: %s" % (result["vmid"], path, exc))
            states = dict.fromkeys((e["key"] for e in result["nics"] if e["changed"]), "unknown")
        for entry in result["nics"]:
            if entry["key"] in states:
                entry["qm"] = states[entry["key"]]
        pending = sorted(k for k, state in states.items() if state == "pending")
        message = (err or out or "").strip()
        if rc != 0 and not pending:
            raise NicTuneError("qm set %s failed (rc %d): %s" % (result["vmid"], rc, message), path=path)
        if pending and result["live"]:
            host.warn(
                "VM %s: Proxmox could not hot-swap %s (%s); the change is pending until the VM restarts"
                % (result["vmid"], ", ".join(pending), message or "the guest did not release the old NIC")
            )
        if pending:
            result.update(live=False, restart_required=True)
        unknown = sorted(k for k, state in states.items() if state == "unknown")
        if unknown:
            host.warn(
                "VM %s: qm set answered %d, but %s does not show the new %s; the result says what Proxmox "
                "was expected to do" % (result["vmid"], rc, path, ", ".join(unknown))
            )
        return None

    return write
