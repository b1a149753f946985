# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cold restart of one Xen domain with xl: ``xl shutdown`` with a timeout, ``xl destroy``, ``xl create``.

xl reads a domain's config only at ``xl create``, so this is what makes a new NIC model take effect.
Deliberately small (three xl commands through the host object); no Xen hypervisor runs in the tests,
so it is tested against a recording stand-in for ``xl``.
"""

from __future__ import annotations

import time

from .._common.errors import NicTuneError
from .._common.wait import wait_until


def restart_xen(host, name, config_path, timeout, sleep=time.sleep, clock=time.monotonic):
    """Restart Xen domain ``name`` from ``config_path`` with xl; returns {changed, was_running, method}."""

    def running():
        return host.run_command(["xl", "domid", name])[0] == 0

    was_running = running()
    if host.check_mode:
        return {"changed": True, "was_running": was_running, "method": "shutdown" if was_running else "start"}
    method = "start"
    if was_running:
        method = "shutdown"
        host.run_command(["xl", "shutdown", name])
        if not wait_until(lambda: not running(), timeout, sleep, clock):
            method = "destroy"
            rc, _out, err = host.run_command(["xl", "destroy", name])
            if rc != 0 and running():
                raise NicTuneError("xl destroy %s failed: %s" % (name, err.strip()))
    rc, _out, err = host.run_command(["xl", "create", config_path])
    if rc != 0:
        raise NicTuneError("xl create %s failed: %s" % (config_path, err.strip()), path=config_path)
    return {"changed": True, "was_running": was_running, "method": method}
