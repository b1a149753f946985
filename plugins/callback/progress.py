# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: progress
type: stdout
short_description: A readable progress of the collection's playbooks, with the full log kept beside the report
version_added: 0.2.0
author:
  - nictune.fleet maintainers (@nictune)
description:
  - Prints one line per phase (play), one line per host when it has finished a phase (ok, changed, failed with the
    reason, unreachable), failures and warnings as they happen, and what the collection's roles show to people (the
    plan, one line per finished iperf3 test, the final table, the report's path; tasks tagged C(nictune_show)).
  - Keeps the full log - every task and every host's result - and writes it to C(ansible.log) in the run's report
    directory (the one the collection's reports name), or to O(log_file) when set.
  - Set it as the stdout callback, for example in C(ansible.cfg) - C(stdout_callback = nictune.fleet.progress).
options:
  log_file:
    description: Where to write the full log instead of the report directory's C(ansible.log).
    type: path
    env:
      - name: NICTUNE_PROGRESS_LOG
    ini:
      - section: nictune_progress
        key: log_file
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

SHOW_TAG = "nictune_show"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "nictune.fleet.progress"

    def __init__(self):
        super().__init__()
        self._log = []
        self._hosts = {}
        self._play = None
        self._task = None
        self._started = time.time()
        self._report_dir = None

    # --- what people read -------------------------------------------------------------------------------------

    def _say(self, text, color=None):
        self._display.display(text, color=color)
        self._log.append(text)

    def _host_state(self, host):
        return self._hosts.setdefault(host, {"ok": 0, "changed": 0, "failed": None, "unreachable": None})

    def _close_play(self):
        if self._play is None:
            return
        for host, state in sorted(self._hosts.items()):
            if host in ("localhost", "127.0.0.1") and not (state["failed"] or state["unreachable"]):
                continue  # the controller's own steps: what they show is printed already
            if state["unreachable"]:
                line, color = "unreachable: %s" % state["unreachable"], "red"
            elif state["failed"]:
                line, color = "FAILED: %s" % state["failed"], "red"
            elif state["changed"]:
                line, color = "done, %d change(s)" % state["changed"], "yellow"
            else:
                line, color = "done, no change", None
            self._say("  %s: %s" % (host, line), color=color)
        self._hosts = {}
        self._play = None

    def v2_playbook_on_start(self, playbook):
        self._say("nictune.fleet: %s" % os.path.basename(playbook._file_name))

    def v2_playbook_on_play_start(self, play):
        self._close_play()
        self._play = play.get_name().strip() or "play"
        self._say("== %s" % self._play, color="bright blue")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task = task
        self._log.append("TASK [%s]" % task.get_name().strip())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, status, result):
        host = result._host.get_name()
        self._log.append("%s: [%s] => %s" % (status, host, self._dump_results(result._result, indent=None)))
        found = result._result.get("report_dir")
        if isinstance(found, str) and found and self._report_dir is None and "/probe-" not in found:
            self._report_dir = found
        return host

    def _shown(self, result):
        task = result._task
        return SHOW_TAG in (task.tags or []) and "msg" in result._result

    def v2_runner_on_ok(self, result):
        host = self._record("ok", result)
        state = self._host_state(host)
        state["ok"] += 1
        if result._result.get("changed"):
            state["changed"] += 1
        self._handle_warnings(result._result)
        if self._shown(result):
            msg = result._result["msg"]
            for line in msg if isinstance(msg, list) else str(msg).splitlines():
                self._say("  %s" % line)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        host = self._record("failed", result)
        if ignore_errors:
            return
        message = str(result._result.get("msg") or result._result.get("stderr") or "failed").strip()
        task = result._task.get_name().strip()
        self._host_state(host)["failed"] = "%s: %s" % (task, message.splitlines()[0] if message else "")
        self._say("  ! %s: %s: %s" % (host, task, message), color="red")

    def v2_runner_on_unreachable(self, result):
        host = self._record("unreachable", result)
        if result._task.ignore_unreachable:
            return
        message = str(result._result.get("msg") or "unreachable").strip()
        self._host_state(host)["unreachable"] = message.splitlines()[0]
        self._say("  ! %s: unreachable: %s" % (host, message), color="red")

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)
        self._host_state(result._host.get_name())

    def v2_runner_item_on_ok(self, result):
        self._record("ok (item)", result)

    def v2_runner_item_on_failed(self, result):
        self._record("failed (item)", result)

    def v2_runner_item_on_skipped(self, result):
        self._record("skipped (item)", result)

    def v2_playbook_on_stats(self, stats):
        self._close_play()
        custom = (stats.custom or {}).get("_run", {}) if hasattr(stats, "custom") else {}
        report = custom.get("nictune_report") or {}
        if isinstance(report, dict) and report.get("report_dir"):
            self._report_dir = report["report_dir"]
        failed = sorted(h for h in stats.processed if stats.failures.get(h) or stats.dark.get(h))
        self._say(
            "finished in %.0f s: %d host(s)%s"
            % (time.time() - self._started, len(stats.processed), ", FAILED: " + ", ".join(failed) if failed else "")
        )
        path = self.get_option("log_file") or (
            os.path.join(self._report_dir, "ansible.log")
            if self._report_dir and os.path.isdir(self._report_dir)
            else None
        )
        if path:
            try:
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write("\n".join(self._log) + "\n")
                self._display.display("full log: %s" % path)
            except OSError as exc:
                self._display.warning("cannot write the full log to %s: %s" % (path, exc))

    def v2_on_file_diff(self, result):
        self._log.append(json.dumps(result._result.get("diff"), default=str))
