# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.nic_model_audit (documented in plugins/modules/nic_model_audit.py)."""

from __future__ import annotations

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as _report
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import audit as _audit
from ansible_collections.nictune.fleet.plugins.modules.nic_model_audit import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        results = {h: self.host_var(task_vars, h, "nic_model_audit") or {} for h in args["hypervisors"]}
        directory = _report.report_dir(args["report_dir"])
        written = (
            []
            if self.check_mode
            else _report.write(directory, "audit", _audit.report(results, args["failed"], args["title"]))
        )
        fleet = _audit.counts(results, args["failed"])
        return {
            "changed": False,
            "counts": fleet,
            "status": _audit.status(fleet),
            "lines": _audit.summary_lines(results, directory if written else None, args["failed"]),
            "report_dir": directory,
            "written": written,
        }
