# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade_nics.yml end to end on Xen config files (no Xen hypervisor runs here, so no restart):
the guest's record carries the backend and the config path found in the audit, a guest is found by its domain name
or by its config path, Xen PV is planned as xen_pv and written as type=vif, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
XEN = os.path.join(ROOT, "docs", "examples", "xen")
VENV_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
ANSIBLE_PLAYBOOK = VENV_PLAYBOOK if os.path.exists(VENV_PLAYBOOK) else shutil.which("ansible-playbook")

pytestmark = pytest.mark.skipif(
    ANSIBLE_PLAYBOOK is None or not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "nictune")),
    reason="needs ansible-playbook and the collection in .build/collections (scripts/setup.sh)",
)


def _inventory(tmp_path, configs, link):
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    guest = dict(local, nic_model_hypervisor="xen-host")
    inventory = {
        "all": {
            "vars": {"nic_model_readiness_gate": False, "nic_model_probe": False, "nic_model_restart": "never"},
            "children": {
                "hypervisors": {
                    # the hypervisor reaches its configs through a symlinked directory
                    "hosts": {"xen-host": dict(local, nic_model_backend="xen", nic_model_path=[str(link / "*.cfg")])}
                },
                "guests": {
                    "hosts": {
                        "web01": guest,
                        # found by its config path as the hypervisor resolves it (its real path)
                        "db-guest": dict(guest, nic_model_config_path=str(configs / "db01.cfg"),
                                         nic_model_target="e1000"),
                        "pv01": guest,
                    }
                },
            },
        }
    }  # fmt: skip
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def _run(inventory, report_dir, *extra, callback=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    cmd = [ANSIBLE_PLAYBOOK, "-i", str(inventory), os.path.join(ROOT, "playbooks", "upgrade_nics.yml")]
    cmd += ["-e", "nictune_report_dir=%s" % report_dir, *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=str(report_dir.parent))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return run


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xen-upgrade")
    configs = tmp / "xen"
    shutil.copytree(XEN, configs)
    os.symlink(configs, tmp / "xen-link")
    inventory = _inventory(tmp, configs, tmp / "xen-link")
    check = _run(inventory, tmp / "check", "--check")
    first = _run(inventory, tmp / "first")
    second = _run(inventory, tmp / "second")
    third = _run(inventory, tmp / "third", callback="nictune.fleet.progress")
    runs = {"check": check, "first": first, "second": second, "third": third}
    return dict(
        {name: run.stdout for name, run in runs.items()},
        configs=configs,
        tmp=tmp,
        stderr={name: run.stderr for name, run in runs.items()},
    )


def _report(upgraded, name):
    with open(upgraded["tmp"] / name / "report.json", encoding="utf-8") as handle:
        return {g["name"]: g for g in json.load(handle)["guests"]}


def test_check_mode_plans_and_writes_nothing(upgraded):
    assert "web01: switch rtl8139 -> xen_pv" in upgraded["check"]
    assert "Plan: not written (check mode)" in upgraded["check"]
    assert not (upgraded["tmp"] / "check").exists()
    assert "type=vif" not in (upgraded["configs"] / "web01.cfg").read_text() or upgraded["first"]


def test_first_run_switches_by_domain_name_and_by_config_path(upgraded):
    guests = _report(upgraded, "first")
    assert guests["web01"]["decision"] == "switched" and guests["web01"]["after_model"] == "xen_pv"
    assert guests["db-guest"]["decision"] == "switched" and guests["db-guest"]["after_model"] == "e1000"
    assert guests["pv01"]["decision"] == "skipped" and "PV" in guests["pv01"]["reason"]
    assert guests["web01"]["pending_restart"] and "next cold restart" in guests["web01"]["reason"]
    web = (upgraded["configs"] / "web01.cfg").read_text()
    assert "'mac=00:16:3e:10:00:01, bridge=xenbr0, type=vif'" in web  # PV only, in the spec's own separator style
    db = (upgraded["configs"] / "db01.cfg").read_text()
    assert "'bridge=xenbr0,model=e1000,mac=00:16:3e:" in db and "model=e1000,mac=00:16:3e:10:00:12" in db
    assert os.path.islink(upgraded["tmp"] / "xen-link")


def test_plan_record_carries_what_the_switch_needs(upgraded):
    with open(upgraded["tmp"] / "first" / "plan.json", encoding="utf-8") as handle:
        plan = {p["name"]: p for p in json.load(handle)["plan"]}
    db = plan["db-guest"]
    assert db["backend"] == "xen" and db["domain"] == "db01" and db["hypervisor"] == "xen-host"
    assert db["path"].endswith("/xen-link/db01.cfg") and db["platform"] == "xen_hvm"
    assert [n["model"] for n in db["nics"]] == ["rtl8139", "e1000"]


def test_no_warning_for_the_groups_a_run_does_not_make(upgraded):
    # the plays after the plan run on the groups the plan made (nothing to try, choose, switch or measure: none)
    for name, stderr in upgraded["stderr"].items():
        assert "Could not match supplied host pattern" not in stderr, (name, stderr)


def test_second_run_changes_nothing(upgraded):
    guests = _report(upgraded, "second")
    assert {g["decision"] for g in guests.values()} == {"kept", "skipped"}
    assert "nothing to change" in upgraded["second"]
    assert "changed=0" in upgraded["second"].split("PLAY RECAP", 1)[1]


def test_progress_callback_prints_a_readable_run_and_keeps_the_full_log(upgraded):
    out = upgraded["third"].splitlines()
    assert out[0] == "nictune.fleet: upgrade_nics.yml"
    assert "== Plan each guest (what it can drive, what to switch to)" in out
    assert "  web01: done, no change" in out and "  xen-host: done, no change" in out
    assert "  web01: kept xen_pv (already on xen_pv)" in out  # the final table
    assert any(line.startswith("  nothing to change: 2 kept, 1 skipped. Report: ") for line in out)
    assert out[-1] == "full log: %s" % (upgraded["tmp"] / "third" / "ansible.log")
    assert len(out) < 40, "\n".join(out)
    log = (upgraded["tmp"] / "third" / "ansible.log").read_text()
    assert "TASK [nictune.fleet.nic_model : Read every domain definition on this hypervisor]" in log
    assert '"changed": false' in log
