# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of nictune.fleet.iperf_probe_results (documented in plugins/modules/iperf_probe_results.py)."""

from __future__ import annotations

import json
import os
import time

from ansible_collections.nictune.fleet.plugins.module_utils._common import report as _report
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._probe import report as _probe_report
from ansible_collections.nictune.fleet.plugins.module_utils._probe import results as _results
from ansible_collections.nictune.fleet.plugins.modules.iperf_probe_results import DOCUMENTATION
from ansible_collections.nictune.fleet.plugins.plugin_utils.action import NictuneAction


def _baseline(path):
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise NicTuneError("cannot read the baseline report: %s" % exc, path=path)


class ActionModule(NictuneAction):
    DOCUMENTATION = DOCUMENTATION

    def work(self, args, task_vars):
        plan = args["plan"]
        guests = args["guests"]
        statuses = {g: self.host_var(task_vars, g, "__iperf_probe_collected") for g in guests}
        rows = _results.all_rows(plan, statuses, guests, args["directions"])
        rows = _results.apply_endpoint_times(rows, args["logs"])
        for row in rows:
            row["line"] = _results.progress_line(row)
        by_host = {g: [r for r in rows if r["host"] == g] for g in guests}
        overlaps = _results.find_overlaps(rows)
        failed = [r for r in rows if r.get("error")]
        out = {
            "changed": False,
            "rows": rows,
            "by_host": by_host,
            "throughput": {g: _results.throughput(by_host[g]) for g in guests},
            "lines": [r["line"] for r in rows],
            "overlaps": overlaps,
        }
        if not args["report"]:
            out["summary"] = "%d test(s), %d failed" % (len(rows), len(failed))
            return out
        end = time.time()
        meta = dict(args["meta"])
        schedule = plan.get("schedule") or {}
        start = float(meta.get("probe_start") or end)
        meta.update(
            probe_end=end,
            probe_seconds=round(end - start, 1),
            tests_start=schedule.get("start"),
            setup_seconds=round(float(schedule.get("start") or end) - start, 1),
            planned_span_seconds=schedule.get("span", 0),
            test_seconds=plan.get("test_seconds"),
            busiest_endpoint_test_seconds=max([e["busy"] for e in (schedule.get("endpoints") or {}).values()] or [0]),
            overlaps=len(overlaps),
            failed_tests=len(failed),
        )
        directory = _report.report_dir(args["report_dir"])
        if args["report_subdir"]:
            directory = os.path.join(directory, args["report_subdir"])
        doc = _probe_report.build(rows, meta, _baseline(args["baseline"]), args["title"])
        written = [] if self.check_mode else _report.write(directory, "report", doc)
        out.update(
            report_dir=directory,
            written=written,
            meta=meta,
            summary="%d test(s), %d failed, %d overlap(s) on an endpoint; probe %.1f s (set-up %.1f s, tests planned "
            "over %.1f s); report: %s"
            % (
                len(rows),
                len(failed),
                len(overlaps),
                meta["probe_seconds"],
                meta["setup_seconds"],
                float(meta["planned_span_seconds"] or 0),
                "%s/report.html" % directory if written else "not written (check mode)",
            ),
        )
        return out
