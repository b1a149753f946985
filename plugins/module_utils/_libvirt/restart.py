# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cold restart of one libvirt domain: graceful shutdown with a timeout, then a hard stop, then start.

A cold restart is what makes a new NIC model take effect (libvirt refuses a live model change of an
existing device). No Ansible imports: the binding comes in as a parameter, check mode from the host.
"""

from __future__ import annotations

import time

from .._common.errors import NicTuneError
from .._common.wait import wait_until
from .connection import connect, message


def restart_libvirt(host, libvirt, uri, name, timeout, sleep=time.sleep, clock=time.monotonic):
    """Restart libvirt domain ``name``; returns {changed, was_running, method}."""
    conn = connect(libvirt, uri)
    try:
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            raise NicTuneError("domain %s not found at %s" % (name, uri))
        was_running = bool(dom.isActive())
        method = "start"
        if host.check_mode:
            return {"changed": True, "was_running": was_running, "method": "shutdown" if was_running else method}
        try:
            if was_running:
                method = "shutdown"
                try:
                    dom.shutdown()
                except libvirt.libvirtError:
                    method = "destroy"
                if method == "shutdown" and not wait_until(lambda: not dom.isActive(), timeout, sleep, clock):
                    method = "destroy"
                if dom.isActive():
                    dom.destroy()
            dom.create()
        except libvirt.libvirtError as exc:
            raise NicTuneError("restarting domain %s at %s failed: %s" % (name, uri, message(exc)))
        return {"changed": True, "was_running": was_running, "method": method}
    finally:
        conn.close()
