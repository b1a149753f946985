# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks run the way AWX runs a job: ansible-runner, a private data directory, survey answers as extra vars.

* ``test_runner_mechanics_audit``: the audit on docs/examples/inventory-sample.yml (Xen files, no lab needed).
* ``test_upgrade_on_lab``: the upgrade on the lab (~/.cache/nictune/lab/inventory.yml) with the default answers of
  the "NIC upgrade" survey (extensions/awx/objects.yml); skipped without the lab or when its hosts do not answer.
  It switches the lab's guests for real on a fresh lab (in the lab stage it runs after the choice test, whose guests
  are on their best models already: nothing to change); NICTUNE_AWX_RUNNER_CHECK=1 runs it in check mode.

Each asserts what AWX relies on: status ``successful``, job events written, and the report's summary
(``nictune_report``, published with set_stats) in the ``artifact_data`` of the ``playbook_on_stats`` event.
Run from the repository root:
    .venv/bin/pytest -q tests/lab/test_awx_runner.py
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
RUNNER = shutil.which("ansible-runner", path=BIN + os.pathsep + os.environ.get("PATH", ""))
LAB_INVENTORY = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
SAMPLE_INVENTORY = os.path.join(ROOT, "docs", "examples", "inventory-sample.yml")
OBJECTS = os.path.join(ROOT, "extensions", "awx", "objects.yml")
COLLECTIONS_PATH = os.pathsep.join(
    p for p in (os.path.join(ROOT, ".build", d) for d in ("collections", "ansible-pkg")) if os.path.isdir(p)
)

pytestmark = pytest.mark.skipif(RUNNER is None, reason="ansible-runner is not installed (pip install ansible-runner)")


def survey_defaults(template_name):
    """The extra vars AWX passes when a job template's survey is launched with its default answers."""
    with open(OBJECTS, encoding="utf-8") as f:
        objects = yaml.safe_load(f)
    jt = next(t for t in objects["nictune_awx_job_templates"] if t["name"] == template_name)
    return {q["variable"]: q["default"] for q in jt["survey_spec"].get("spec", []) if "default" in q}


def make_private_data_dir(base, extravars, cmdline=""):
    """A private data directory laid out as AWX lays one out: project/ (the playbooks), env/ (extra vars, environment).

    The project holds a link to the checkout's playbooks/ (so reports written under the job's working directory
    land in the temporary project, not in the checkout); the collection is found through ANSIBLE_COLLECTIONS_PATH.
    """
    pdd = os.path.join(base, "pdd")
    os.makedirs(os.path.join(pdd, "project"))
    os.makedirs(os.path.join(pdd, "env"))
    os.symlink(os.path.join(ROOT, "playbooks"), os.path.join(pdd, "project", "playbooks"))
    with open(os.path.join(pdd, "env", "extravars"), "w", encoding="utf-8") as f:
        json.dump(extravars, f)
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
    }
    with open(os.path.join(pdd, "env", "envvars"), "w", encoding="utf-8") as f:
        json.dump(envvars, f)
    if cmdline:
        with open(os.path.join(pdd, "env", "cmdline"), "w", encoding="utf-8") as f:
            f.write(cmdline)
    return pdd


def run(pdd, playbook, inventory, ident="test", timeout=1800):
    proc = subprocess.run(
        [RUNNER, "run", pdd, "-p", playbook, "--inventory", inventory, "--ident", ident],
        env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", "")),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    artifacts = os.path.join(pdd, "artifacts", ident)
    events = []
    for path in sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json"))):
        with open(path, encoding="utf-8") as f:
            events.append(json.load(f))
    with open(os.path.join(artifacts, "status"), encoding="utf-8") as f:
        status = f.read().strip()
    with open(os.path.join(artifacts, "rc"), encoding="utf-8") as f:
        rc = f.read().strip()
    return proc, status, rc, events


def stats_event(events):
    stats = [e for e in events if e.get("event") == "playbook_on_stats"]
    assert len(stats) == 1, [e.get("event") for e in events][-10:]
    return stats[0]


def test_runner_mechanics_audit(tmp_path):
    pdd = make_private_data_dir(str(tmp_path), extravars={})
    proc, status, rc, events = run(pdd, "playbooks/audit_nics.yml", SAMPLE_INVENTORY)
    assert status == "successful", proc.stdout[-3000:] + proc.stderr[-2000:]
    assert rc == "0"
    assert events, "no job events written"
    names = {e.get("event") for e in events}
    assert {"playbook_on_start", "playbook_on_task_start", "runner_on_ok", "playbook_on_stats"} <= names
    stats = stats_event(events)
    assert stats["event_data"]["ok"], stats["event_data"]
    report = (stats["event_data"].get("artifact_data") or {}).get("nictune_report")
    if report is not None:  # once the audit publishes its summary (set_stats), it must be a mapping
        assert isinstance(report, dict), report


def _lab_answers():
    """Skip unless every host of the lab answers."""
    if not os.path.exists(LAB_INVENTORY):
        pytest.skip("the lab is not up (%s is absent)" % LAB_INVENTORY)
    proc = subprocess.run(
        [os.path.join(BIN, "ansible"), "-i", LAB_INVENTORY, "all", "-m", "ansible.builtin.ping", "-o"],
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR="1"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip("the lab's hosts do not all answer:\n" + (proc.stdout + proc.stderr)[-1500:])


def test_upgrade_on_lab():
    _lab_answers()
    answers = survey_defaults("NIC upgrade")
    assert set(answers) >= {"nic_model_target", "nic_model_batch", "nic_model_restart", "iperf_probe_duration"}
    check = os.environ.get("NICTUNE_AWX_RUNNER_CHECK", "") not in ("", "0")
    base = tempfile.mkdtemp(prefix="nictune-awx-runner-")
    pdd = make_private_data_dir(base, extravars=answers, cmdline="--check" if check else "")
    proc, status, _rc, events = run(pdd, "playbooks/upgrade_nics.yml", LAB_INVENTORY)
    assert status == "successful", proc.stdout[-5000:] + proc.stderr[-2000:]
    assert events, "no job events written"
    stats = stats_event(events)
    report = (stats["event_data"].get("artifact_data") or {}).get("nictune_report")
    assert isinstance(report, dict), stats["event_data"].get("artifact_data")
    assert report.get("status"), report
    assert report.get("counts") is not None, report
    guests = report.get("guests") or []
    assert guests, report
    # the survey's default target ("auto") must mean "choose", not a model called "auto"
    assert not [g for g in guests if "auto" in str(g.get("reason", "")) or g.get("after_model") == "auto"], guests
    shutil.rmtree(base, ignore_errors=True)
