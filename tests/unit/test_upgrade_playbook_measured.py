# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade_nics.yml with nic_model_choice: measured, end to end on stand-ins: Xen config files for the
domains (a recording stand-in for xl restarts them), the guests and the endpoint reached with the local connection,
and real iperf3 over loopback for every probe. The model makes no difference on loopback, so which candidate wins is
noise: the checks hold for either outcome (kept, or the rest of the class switched to the choice). A second class's
choice comes from the remembered choices and goes through the normal switch. Checks the plays' order and counts,
not NIC speeds (tests/lab/test_choice_measured.py does that on real guests)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
ANSIBLE_PLAYBOOK = VENV_PLAYBOOK if os.path.exists(VENV_PLAYBOOK) else shutil.which("ansible-playbook")

pytestmark = pytest.mark.skipif(
    ANSIBLE_PLAYBOOK is None
    or shutil.which("iperf3") is None
    or not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "nictune")),
    reason="needs ansible-playbook, iperf3 and the collection in .build/collections (scripts/setup.sh)",
)

GUESTS = {"g1": "web", "g2": "web", "g3": "db", "g4": "db"}
XL = """#!/bin/sh
# stand-in for xl: a domain runs while its file exists in $NICTUNE_XL_STATE
state=${NICTUNE_XL_STATE:?}
echo "$*" >> "$state/calls"
case "$1" in
  domid) [ -e "$state/run-$2" ] ;;
  shutdown|destroy) rm -f "$state/run-$2" ;;
  create) touch "$state/run-$(sed -n "s/^name *= *\\"\\(.*\\)\\"/\\1/p" "$2")" ;;
esac
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup(tmp):
    configs = tmp / "xen"
    configs.mkdir()
    for i, name in enumerate(GUESTS, 1):
        (configs / ("%s.cfg" % name)).write_text(
            'name = "%s"\ntype = "hvm"\nvcpus = 1\nvif = [ \'mac=00:16:3e:20:00:%02x, bridge=xenbr0\' ]\n' % (name, i)
        )
    state = tmp / "xl"
    state.mkdir()
    for name in GUESTS:
        (state / ("run-" + name)).write_text("")
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "xl").write_text(XL)
    (bindir / "xl").chmod(0o755)
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    guests = {
        name: dict(local, nic_model_hypervisor="xen-host", nic_model_class=cls,
                   iperf_probe_remote_dir=str(tmp / "probe" / name))
        for name, cls in GUESTS.items()
    }  # fmt: skip
    inventory = {
        "all": {
            "vars": {
                "nic_model_choice": "measured",
                "nic_model_trial_rounds": 1,
                "nic_model_choice_memory": str(tmp / "choices.json"),
                "nic_model_readiness_gate": False,
                "nic_model_rollback_threshold": 0.9,
                "nic_model_outage_from": "",
                "nic_model_batch": 2,
                "nic_model_shutdown_timeout": 5,
                "nic_model_wait_timeout": 30,
                "iperf_probe_duration": 1,
                "iperf_probe_omit": 0,
                "iperf_probe_gap": 0.2,
                "iperf_probe_start_margin": 3,
                "iperf_probe_port": _free_port(),
            },
            "children": {
                "hypervisors": {
                    "hosts": {"xen-host": dict(local, nic_model_backend="xen", nic_model_path=[str(configs / "*.cfg")])}
                },
                "guests": {"hosts": guests},
                "iperf_endpoints": {
                    "hosts": {
                        "ep": dict(local, iperf_probe_endpoint_address="127.0.0.1",
                                   iperf_probe_remote_dir=str(tmp / "probe" / "ep"))
                    }
                },
            },
        }
    }  # fmt: skip
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path, configs, state, bindir


def _run(tmp, inventory, bindir, state, report_dir, *extra):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="1",
        PATH="%s:%s" % (bindir, os.environ.get("PATH", "")),
        NICTUNE_XL_STATE=str(state),
    )
    cmd = [ANSIBLE_PLAYBOOK, "-i", str(inventory), os.path.join(ROOT, "playbooks", "upgrade_nics.yml")]
    cmd += ["-e", "nictune_report_dir=%s" % report_dir, *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=str(tmp))
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return run.stdout


def _rows(report_dir, sub):
    out = []
    for path in glob.glob(os.path.join(report_dir, sub, "report.json")):
        with open(path, encoding="utf-8") as handle:
            out += json.load(handle)["results"]
    return out


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("measured")
    inventory, configs, state, bindir = _setup(tmp)
    # the db class was chosen by an earlier run: xen_pv
    (tmp / "choices.json").write_text(json.dumps({"version": 1, "classes": {"db": {
        "name": "xen_pv", "model": "xen_pv", "queues": None, "set_queues": None, "sample": "g3",
        "decided": "2026-11-01T00:00:00+00:00", "reason": "xen_pv is the fastest both ways"}}}))  # fmt: skip
    # check mode first: nothing is tried, switched or remembered
    check = _run(tmp, inventory, bindir, state, tmp / "check", "--check", "-e", "nic_model_choice_refresh=true")
    before_check = {p.name: p.read_text() for p in configs.iterdir()}
    calls_check = (state / "calls").read_text() if (state / "calls").exists() else ""
    memory_check = (tmp / "choices.json").read_text()
    first = _run(tmp, inventory, bindir, state, tmp / "first")
    second = _run(tmp, inventory, bindir, state, tmp / "second")
    return {"tmp": tmp, "configs": configs, "state": state, "first": first, "second": second, "check": check,
            "before_check": before_check, "calls_check": calls_check, "memory_check": memory_check}  # fmt: skip


def _report(measured, run):
    with open(measured["tmp"] / run / "report.json", encoding="utf-8") as handle:
        return json.load(handle)


def test_the_tried_class_ran_every_candidate_both_ways_on_its_sample_only(measured):
    report = _report(measured, "first")
    web = report["trials"]["web"]
    assert web["sample"] == "g1" and web["members"] == ["g1", "g2"]
    assert [c["name"] for c in web["candidates"]] == ["xen_pv", "e1000", "rtl8139"]
    # trial tests = classes tried x candidates x rounds x 2 directions, all on the sample
    assert web["tests"] == web["planned_tests"] == 1 * 3 * 1 * 2
    trial_rows = _rows(measured["tmp"] / "first", "trials/*/*")
    assert len(trial_rows) == 6 and {r["host"] for r in trial_rows} == {"g1"}
    assert {r["direction"] for r in trial_rows} == {"send", "receive"}
    assert all(r["error"] is None for r in trial_rows), trial_rows
    table = {(r["candidate"], r["direction"]): r for r in web["decision"]["table"]}
    assert set(table) == {(c, d) for c in ("xen_pv", "e1000", "rtl8139") for d in ("send", "receive")}
    chosen = web["decision"]["choice"]
    guests = {g["name"]: g for g in report["guests"]}
    # the sample was switched through every candidate, its own first (xl created it once per switch), and ends on
    # the choice: after e1000, the last one tried, one more switch unless e1000 won
    created = [c for c in (measured["state"] / "calls").read_text().splitlines() if c.startswith("create")]
    assert sum("g1.cfg" in c for c in created) == 2 + (chosen != "e1000")
    g1_vif = (measured["configs"] / "g1.cfg").read_text()
    if web["decision"]["kept"]:
        # back on rtl8139, now written (the trials wrote models into the vif spec)
        assert chosen == "rtl8139" and "mac=00:16:3e:20:00:01, bridge=xenbr0, type=ioemu, model=rtl8139" in g1_vif
        assert guests["g1"]["decision"] == "kept" and guests["g2"]["decision"] == "kept"
    else:
        assert guests["g1"]["decision"] == "switched" and guests["g1"]["after_model"] == chosen
        # its figures before and after are the medians of its own model's and the choice's trials
        assert guests["g1"]["before"]["send_bps"] / 1e6 == pytest.approx(
            table[("rtl8139", "send")]["median_mbps"], abs=0.1
        )
        assert guests["g1"]["after"]["receive_bps"] / 1e6 == pytest.approx(
            table[(chosen, "receive")]["median_mbps"], abs=0.1
        )
        assert (guests["g2"]["decision"], guests["g2"]["after_model"]) == ("switched", chosen)
        assert ("type=vif" in g1_vif) is (chosen == "xen_pv")


def test_the_remembered_class_goes_through_the_normal_switch_with_its_own_probes(measured):
    report = _report(measured, "first")
    guests = {g["name"]: g for g in report["guests"]}
    for name in ("g3", "g4"):
        g = guests[name]
        assert (g["decision"], g["before_model"], g["after_model"]) == ("switched", "rtl8139", "xen_pv"), g
        assert "the measured choice of its class, xen_pv (chosen by measuring on g3" in g["reason"]
        assert g["before"]["send_bps"] and g["after"]["receive_bps"]
        assert "type=vif" in (measured["configs"] / ("%s.cfg" % name)).read_text()
    assert report["trials"]["db"]["decision"] is None and report["trials"]["db"]["step"] == "recall"
    # the other guests are probed only before and after their own switch: the db class, and g2 where its class
    # switches (4 tests each: 2 before, 2 after)
    switched = {"g3", "g4"} | ({"g2"} if not report["trials"]["web"]["decision"]["kept"] else set())
    for sub in ("probe-before", "probe-after"):
        rows = _rows(measured["tmp"] / "first", sub)
        assert {r["host"] for r in rows} == switched and len(rows) == 2 * len(switched)
    plan = json.loads((measured["tmp"] / "first" / "plan.json").read_text())
    assert {p["name"]: p["action"] for p in plan["plan"]} == dict.fromkeys(GUESTS, "choose")
    assert "trial rounds" in (measured["tmp"] / "first" / "report.md").read_text()


def test_the_choices_are_remembered_and_the_second_run_tries_nothing_and_changes_nothing(measured):
    memory = json.loads((measured["tmp"] / "choices.json").read_text())["classes"]
    web = _report(measured, "first")["trials"]["web"]["decision"]
    assert memory["web"]["name"] == web["choice"] and memory["web"]["kept"] is web["kept"]
    assert memory["web"]["sample"] == "g1" and len(memory["web"]["table"]) == 6
    assert memory["db"]["name"] == "xen_pv"
    report = _report(measured, "second")
    assert {g["decision"] for g in report["guests"]} == {"kept"}
    assert all(t["decision"] is None and t["step"] == "recall" for t in report["trials"].values())
    assert not (measured["tmp"] / "second" / "trials").exists()
    assert "nothing to change" in measured["second"]
    assert "changed=0" in measured["second"].split("PLAY RECAP", 1)[1]


def test_check_mode_tries_nothing_and_says_so(measured):
    out = measured["check"]
    assert "check mode: the class would be tried on g1 (xen_pv, e1000, rtl8139)" in out
    assert not (measured["tmp"] / "check").exists()
    assert not any(c.startswith(("create", "shutdown", "destroy")) for c in measured["calls_check"].splitlines())
    assert "type=vif" not in "".join(measured["before_check"].values())
    assert '"sample": "g3"' in measured["memory_check"] and '"web"' not in measured["memory_check"]
