# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cold restart of one Proxmox VE VM with qm: ``qm shutdown`` with a timeout, ``qm stop``, ``qm start``.

Proxmox applies a VM's ``[PENDING]`` changes (a NIC model that could not be hot-swapped) when it starts the
VM, so this is what makes such a change take effect. Deliberately small (four qm commands through the host
object); no Proxmox VE host runs in the tests, so it is tested against a recording stand-in for ``qm``.
"""

from __future__ import annotations

from .._common.errors import NicTuneError
from .backend import vmid_number
from .qm import vm_status


def restart_proxmox(host, vmid, timeout):
    """Restart VM ``vmid`` with qm; returns {changed, was_running, method} (method: shutdown, stop or start)."""
    vmid = str(vmid_number(vmid, "vmid"))
    was_running = vm_status(host, vmid) == "running"
    if host.check_mode:
        return {"changed": True, "was_running": was_running, "method": "shutdown" if was_running else "start"}
    method = "start"
    if was_running:
        method = "shutdown"
        # qm shutdown waits up to --timeout seconds for the guest to power off, and fails if it did not
        rc, _out, _err = host.run_command(["qm", "shutdown", vmid, "--timeout", str(int(timeout))])
        if rc != 0:
            method = "stop"
            rc, out, err = host.run_command(["qm", "stop", vmid])
            if rc != 0 and vm_status(host, vmid) == "running":
                raise NicTuneError("qm stop %s failed: %s" % (vmid, (err or out).strip()))
    rc, out, err = host.run_command(["qm", "start", vmid])
    if rc != 0:
        raise NicTuneError("qm start %s failed: %s" % (vmid, (err or out).strip()))
    return {"changed": True, "was_running": was_running, "method": method}
