# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cold restart of one domain: graceful shutdown with a timeout, then a hard stop, then start.

A cold restart is what makes a new NIC model take effect (libvirt refuses a live model change; xl
reads its config only at ``xl create``). No Ansible imports: libvirt's Python module and the
command runner come in as parameters. The Xen part is deliberately small: three ``xl`` commands.
"""

from __future__ import annotations

import time

from .errors import NicTuneError

_POLL = 0.5


def _wait(predicate, timeout, sleep, clock):
    deadline = clock() + timeout
    while clock() < deadline:
        if predicate():
            return True
        sleep(_POLL)
    return predicate()


def restart_libvirt(libvirt, uri, name, timeout, check_mode, sleep=time.sleep, clock=time.monotonic):
    """Restart libvirt domain ``name``; returns {changed, was_running, method}."""
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as exc:
        raise NicTuneError("cannot connect to libvirt at %s: %s" % (uri, exc.get_error_message()))
    try:
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            raise NicTuneError("domain %s not found at %s" % (name, uri))
        was_running = bool(dom.isActive())
        method = "start"
        if check_mode:
            return {"changed": True, "was_running": was_running, "method": "shutdown" if was_running else method}
        try:
            if was_running:
                method = "shutdown"
                try:
                    dom.shutdown()
                except libvirt.libvirtError:
                    method = "destroy"
                if method == "shutdown" and not _wait(lambda: not dom.isActive(), timeout, sleep, clock):
                    method = "destroy"
                if dom.isActive():
                    dom.destroy()
            dom.create()
        except libvirt.libvirtError as exc:
            raise NicTuneError("restarting domain %s at %s failed: %s" % (name, uri, exc.get_error_message()))
        return {"changed": True, "was_running": was_running, "method": method}
    finally:
        conn.close()


def restart_xen(run_command, name, config_path, timeout, check_mode, sleep=time.sleep, clock=time.monotonic):
    """Restart Xen domain ``name`` from ``config_path`` with xl; returns {changed, was_running, method}.

    ``run_command(argv)`` returns (rc, stdout, stderr), like AnsibleModule.run_command.
    """

    def running():
        return run_command(["xl", "domid", name])[0] == 0

    was_running = running()
    if check_mode:
        return {"changed": True, "was_running": was_running, "method": "shutdown" if was_running else "start"}
    method = "start"
    if was_running:
        method = "shutdown"
        run_command(["xl", "shutdown", name])
        if not _wait(lambda: not running(), timeout, sleep, clock):
            method = "destroy"
            rc, _out, err = run_command(["xl", "destroy", name])
            if rc != 0 and running():
                raise NicTuneError("xl destroy %s failed: %s" % (name, err.strip()))
    rc, _out, err = run_command(["xl", "create", config_path])
    if rc != 0:
        raise NicTuneError("xl create %s failed: %s" % (config_path, err.strip()), path=config_path)
    return {"changed": True, "was_running": was_running, "method": method}
