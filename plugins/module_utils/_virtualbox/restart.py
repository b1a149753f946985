# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop and start one VirtualBox VM with VBoxManage: ACPI power button with a timeout, then power off, then
``startvm --type headless`` (no Ansible imports).

VirtualBox lets the adapter type change only while a VM is powered off, so for a running VM the change is made
between :func:`stop_virtualbox` and :func:`start_virtualbox` (``domain_restart`` with ``state: stopped``, then
``nic_model``, then ``state: started``); :func:`restart_virtualbox` does both for a change already made.
Deliberately small (four VBoxManage commands through the host object); no VirtualBox runs in the tests, so it
is tested against a recording stand-in for ``VBoxManage``.
"""

from __future__ import annotations

import time

from .._common.errors import NicTuneError
from .._common.wait import wait_until
from . import manage as _manage

#: States in which a VM is not running and ``startvm`` starts it (a saved one is restored).
STARTABLE_STATES = (*_manage.EDITABLE_STATES, *_manage.SAVED_STATES)


def _state(host, vm):
    return _manage.vm_info(host, vm).get("VMState")


def _vboxmanage(host, argv, vm):
    rc, out, err = host.run_command([_manage.PROGRAM, *argv])
    if rc != 0:
        raise NicTuneError(
            "VBoxManage %s failed for VM %s: %s" % (" ".join(argv[:1] + argv[2:]), vm, (err or out).strip())
        )


def stop_virtualbox(host, vm, timeout, sleep=time.sleep, clock=time.monotonic):
    """Stop VM ``vm`` (name or UUID); returns {changed, was_running, method, state}."""
    if not _manage.present(host):
        raise NicTuneError(_manage.NOT_INSTALLED)
    state = _state(host, vm)
    if state in STARTABLE_STATES:
        return {"changed": False, "was_running": False, "method": "none", "state": state}
    if host.check_mode:
        return {"changed": True, "was_running": True, "method": "shutdown", "state": state}
    method = "shutdown"
    if state == "paused":  # a paused guest cannot see the power button
        method = "destroy"
    else:
        try:
            _vboxmanage(host, ["controlvm", vm, "acpipowerbutton"], vm)
        except NicTuneError:
            method = "destroy"
    if method == "destroy" or not wait_until(lambda: _state(host, vm) in STARTABLE_STATES, timeout, sleep, clock):
        method = "destroy"
        _vboxmanage(host, ["controlvm", vm, "poweroff"], vm)
    return {"changed": True, "was_running": True, "method": method, "state": _state(host, vm)}


def start_virtualbox(host, vm):
    """Start VM ``vm`` headless unless it runs; returns {changed, was_running, method}."""
    if not _manage.present(host):
        raise NicTuneError(_manage.NOT_INSTALLED)
    state = _state(host, vm)
    if state not in STARTABLE_STATES:
        return {"changed": False, "was_running": True, "method": "none"}
    if not host.check_mode:
        _vboxmanage(host, ["startvm", vm, "--type", "headless"], vm)
    return {"changed": True, "was_running": False, "method": "start"}


def restart_virtualbox(host, vm, timeout, sleep=time.sleep, clock=time.monotonic):
    """Cold-restart VM ``vm``: stop it (gracefully, then hard after ``timeout`` s) if it runs, then start it."""
    stopped = stop_virtualbox(host, vm, timeout, sleep, clock)
    if not host.check_mode:
        start_virtualbox(host, vm)
    method = stopped["method"] if stopped["was_running"] else "start"
    return {"changed": True, "was_running": stopped["was_running"], "method": method}
