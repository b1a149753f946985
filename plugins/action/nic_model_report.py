# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.nic_model_report (documented in plugins/modules/nic_model_report.py)."""

from __future__ import annotations

import os
import time

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as _report
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import report as _upgrade_report
from ansible_collections.nictune.fleet.plugins.modules.nic_model_report import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        records = {g: self.host_var(task_vars, g, "nic_model_guest") for g in args["guests"]}
        if args["stage"] == "plan":
            return self._plan(args, records)
        return self._final(args, records)

    def _write(self, directory, name, doc):
        return [] if self.check_mode else _report.write(directory, name, doc)

    def _plan(self, args, records):
        now = time.time()
        directory = _report.report_dir(args["report_dir"])
        run = dict(
            args["run"],
            report_dir=directory,
            started_epoch=now,
            started=_report.iso_time(now),
            check_mode=self.check_mode,
        )
        written = self._write(directory, "plan", _upgrade_report.plan_report(records, run, args["title"] + " plan"))
        return {
            "changed": False,
            "report_dir": directory,
            "written": written,
            "run": run,
            "lines": _upgrade_report.plan_lines(records, run.get("choice")),
        }

    def _final(self, args, records):
        run = dict(args["run"])
        directory = run.get("report_dir") or _report.report_dir(args["report_dir"])
        now = time.time()
        run.update(finished=_report.iso_time(now), check_mode=self.check_mode)
        if run.get("started_epoch"):
            run["duration_s"] = round(now - float(run["started_epoch"]), 1)
        run["links"] = [
            (label, "%s/report.html" % sub)
            for label, sub in (("probe before the switch", "probe-before"), ("probe after the switch", "probe-after"))
            if os.path.exists(os.path.join(directory, sub, "report.html"))
        ]
        guests = _upgrade_report.entries(records, self.check_mode)
        state = _upgrade_report.summary(guests)
        trials = _upgrade_report.trials_of({g: r for g, r in records.items() if r})
        written = self._write(directory, "report", _upgrade_report.final_report(guests, run, args["title"], trials))
        return {
            "changed": False,
            "report_dir": directory,
            "written": written,
            "status": state["status"],
            "counts": state["counts"],
            "lines": [_upgrade_report.guest_line(g) for g in guests],
            "guests": [
                {k: g[k] for k in ("name", "decision", "before_model", "after_model", "reason")} for g in guests
            ],
        }
