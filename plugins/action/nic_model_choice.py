# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.nic_model_choice (documented in plugins/modules/nic_model_choice.py)."""

from __future__ import annotations

import os
import time

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as _report
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import choice as _choice
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import memory as _memory
from ansible_collections.nictune.fleet.plugins.modules.nic_model_choice import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


def _memory_path(given):
    return os.path.expanduser(given) if given else None


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        return getattr(self, "_" + args["stage"])(args, task_vars)

    def _records(self, args, task_vars):
        return {g: self.host_var(task_vars, g, "nic_model_guest") for g in args["guests"]}

    def _classes(self, args, task_vars):
        if args["max_queues"] < 1:
            raise NicTuneError("nic_model_max_queues must be 1 or more, got %d" % args["max_queues"])
        records = self._records(args, task_vars)
        overrides = {
            name: {"class": given.get("class"), "trial_guest": given.get("trial_guest")}
            for name, given in ((n, (r or {}).get("choice") or {}) for n, r in records.items())
            if given
        }
        path = _memory_path(args["memory"])
        remembered = _memory.load(path) if path else {}
        plan = _choice.trial_plan(records, overrides, remembered, args["max_queues"], args["refresh"])
        return {"changed": False, "choice": plan, "lines": plan["lines"]}

    def _entry(self, args, task_vars):
        name = task_vars.get("inventory_hostname")
        key = (args["plan"].get("guests") or {}).get(name)
        entry = (args["plan"].get("classes") or {}).get(key) if key else None
        if not entry or entry.get("sample") != name:
            raise NicTuneError("%s is the sample guest of no class in plan (run stage classes first)" % name)
        return entry

    def _decide(self, args, task_vars):
        if args["rounds"] < 1:
            raise NicTuneError("nic_model_trial_rounds must be 1 or more, got %d" % args["rounds"])
        found = _choice.trial(self._entry(args, task_vars), args["trials"], args["rounds"], args["threshold"])
        return {"changed": False, "trial": found, "lines": _choice.trial_lines(found)}

    def _settle(self, args, task_vars):
        records = self._records(args, task_vars)
        path = _memory_path(args["memory"])
        remembered = _memory.load(path) if path else {}
        out = _choice.settle(
            records,
            args["plan"],
            remembered,
            check_mode=self.check_mode,
            decided=_report.iso_time(time.time()),
            report_dir=(args["run"] or {}).get("report_dir"),
        )
        written = None
        if path and not self.check_mode and out["memory"] != remembered:
            _memory.save(path, out["memory"])
            written = path
        return {"changed": False, "guests": out["guests"], "memory_written": written, "lines": out["lines"]}
