# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.iperf_probe_plan (documented in plugins/modules/iperf_probe_plan.py)."""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import time

from ansible_collections.nictune.fleet.plugins.module_utils._probe import lease as _lease
from ansible_collections.nictune.fleet.plugins.module_utils._probe import plan as _plan
from ansible_collections.nictune.fleet.plugins.modules.iperf_probe_plan import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


def _user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry
        return None


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        if args["guests"] is None:
            checked = _plan.check_settings(args["settings"], args["directions"], args["endpoints"])
            lease = _lease.lease(
                checked,
                args["guest_count"],
                len(args["directions"]),
                len(args["endpoints"]),
                now=time.time(),
                token=secrets.token_hex(4),
                who=_lease.owner(
                    _user(),
                    socket.gethostname(),
                    os.getppid(),  # ansible-playbook: action plugins run in a worker it forked
                    task_vars.get("awx_job_id") or task_vars.get("tower_job_id"),
                ),
            )
            return {"changed": False, "settings": checked, "lease": lease}
        guests = args["guests"]
        records = {g: self.host_var(task_vars, g, "__iperf_probe_guest", {}) for g in guests}
        addresses = {}
        for endpoint in args["endpoints"]:
            address = self.host_var(task_vars, endpoint, "iperf_probe_endpoint_address")
            addresses[endpoint] = address or self.host_var(task_vars, endpoint, "ansible_host") or endpoint
        planned = _plan.plan(
            guests,
            args["endpoints"],
            args["directions"],
            args["settings"],
            now=time.time(),
            addresses=addresses,
            pinned={g: self.host_var(task_vars, g, "iperf_probe_endpoint", "") for g in guests},
            ready=[g for g in guests if records[g].get("ready")],
            down=args["down"],
            offsets={g: _plan.clock_offset(records[g].get("clock")) for g in guests},
            progress=args["progress"],
        )
        return dict(planned, changed=False)
