# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side steps of the choice by measuring, run as Ansible runs an action plugin (its ``run``, with
the task's arguments checked against the documented spec): nic_model_choice's stages and nic_model_plan's group."""

from __future__ import annotations

import json
from types import SimpleNamespace

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.nictune.fleet.plugins.action import nic_model_choice, nic_model_plan

M = 1e6
ALL = ["rtl8139", "e1000", "e1000e", "virtio", "vmxnet3"]


def run(plugin, args, task_vars, check_mode=False):
    task = Task()
    task.args = args
    task.action = "nictune.fleet.test"
    task.check_mode = check_mode
    loader = DataLoader()
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/tmp"))
    action = plugin.ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), None)
    return action.run(task_vars=task_vars)


def record(current="rtl8139", supported=None, action="switch", **extra):
    out = {
        "platform": "kvm",
        "backend": "libvirt",
        "current_model": current,
        "supported_models": list(ALL) if supported is None else supported,
        "offered_models": ["e1000", "e1000e", "rtl8139", "virtio"],
        "action": action,
        "machine": "pc",
        "guest_os": {"family": "linux", "release": "6.1"},
        "vcpus": 2,
        "state": "running",
        "nics": [{"index": 0, "model": current}],
        "switch": {"backend": "libvirt", "domains": ["d"]},
        "apply": "auto",
    }
    out.update(extra)
    return out


def hostvars(records):
    return {"hostvars": {name: {"nic_model_guest": r} for name, r in records.items()}}


def fleet():
    return {
        "g1": record(),
        "g2": record(choice={"mode": "measured", "class": None, "trial_guest": True}),
        "old": record(supported=["rtl8139"], action="keep"),
    }


def test_classes_reads_the_records_overrides_and_memory(tmp_path):
    memory = tmp_path / "choices.json"
    out = run(nic_model_choice, {"stage": "classes", "guests": ["g1", "g2", "old"], "memory": str(memory)},
              dict(hostvars(fleet()), inventory_hostname="localhost"))  # fmt: skip
    assert not out.get("failed"), out
    plan = out["choice"]
    assert plan["trial_guests"] == ["g2"]  # named by nic_model_trial_guest on itself
    key = plan["guests"]["g1"]
    assert [c["name"] for c in plan["classes"][key]["candidates"]] == [
        "virtio",
        "virtio-mq",
        "e1000e",
        "e1000",
        "rtl8139",
    ]
    assert not memory.exists()
    memory.write_text(json.dumps({"version": 1, "classes": {key: {"name": "e1000", "model": "e1000", "sample": "g2"}}}))
    again = run(nic_model_choice, {"stage": "classes", "guests": ["g1", "g2", "old"], "memory": str(memory)},
                hostvars(fleet()))  # fmt: skip
    assert again["choice"]["trial_guests"] == [] and again["choice"]["classes"][key]["step"] == "recall"


def test_a_bad_setting_or_memory_fails_the_task_with_its_name(tmp_path):
    out = run(nic_model_choice, {"stage": "classes", "guests": ["g1"], "max_queues": 0}, hostvars(fleet()))
    assert out["failed"] and "nic_model_max_queues must be 1 or more" in out["msg"]
    bad = tmp_path / "c.json"
    bad.write_text("[]")
    out = run(nic_model_choice, {"stage": "classes", "guests": ["g1"], "memory": str(bad)}, hostvars(fleet()))
    assert out["failed"] and str(bad) in out["msg"] and "not a file of remembered choices" in out["msg"]
    out = run(nic_model_choice, {"stage": "guess"}, {})
    assert out["failed"] and "stage" in out["msg"]


def _plan():
    return run(nic_model_choice, {"stage": "classes", "guests": ["g1", "g2", "old"]}, hostvars(fleet()))["choice"]


def _trials():
    both = {"rtl8139": ([900, 950], [600, 620]), "virtio": ([2800, 2900], [3900, 4100]),
            "virtio-mq": ([2700, 2750], [3800, 3950]), "e1000e": ([2700, 2800], [1300, 1350]),
            "e1000": ([950, 1000], [1250, 1300])}  # fmt: skip
    return {k: {"send": [v * M for v in s], "receive": [v * M for v in r]} for k, (s, r) in both.items()}


def test_decide_on_the_sample_only():
    plan = _plan()
    args = {"stage": "decide", "plan": plan, "trials": _trials(), "rounds": 2, "threshold": 0.1}
    out = run(nic_model_choice, args, {"inventory_hostname": "g2"})
    assert not out.get("failed"), out
    assert out["trial"]["choice"]["name"] == "virtio" and out["trial"]["tests"] == 20
    assert out["lines"][0].startswith("g2 trial virtio: send 2850.0 (2800.0-2900.0), receive 4000.0")
    assert out["lines"][-1].startswith("g2 chooses virtio after 20 of 20 tests: virtio is the fastest both ways")
    wrong = run(nic_model_choice, args, {"inventory_hostname": "g1"})
    assert wrong["failed"] and "g1 is the sample guest of no class" in wrong["msg"]


def test_settle_writes_the_memory_outside_check_mode(tmp_path):
    plan = _plan()
    found = run(nic_model_choice, {"stage": "decide", "plan": plan, "trials": _trials()}, {"inventory_hostname": "g2"})
    records = fleet()
    records["g2"]["trial"] = found["trial"]
    memory = tmp_path / "m" / "choices.json"
    args = {
        "stage": "settle",
        "guests": list(records),
        "plan": plan,
        "memory": str(memory),
        "run": {"report_dir": "/r"},
    }
    check = run(nic_model_choice, args, hostvars(records), check_mode=True)
    assert check["memory_written"] is None and not memory.exists()
    assert check["guests"]["g1"]["action"] == "keep" and "check mode" in check["guests"]["g1"]["reason"]
    out = run(nic_model_choice, args, hostvars(records))
    assert out["memory_written"] == str(memory)
    g1 = out["guests"]["g1"]
    assert (g1["action"], g1["target_model"], g1["target_queues"]) == ("switch", "virtio", 1)
    saved = json.loads(memory.read_text())["classes"][plan["guests"]["g1"]]
    assert saved["name"] == "virtio" and saved["report_dir"] == "/r" and saved["sample"] == "g2"
    again = run(nic_model_choice, args, hostvars(records))
    assert again["memory_written"] is None  # nothing new to remember


def test_plan_puts_class_guests_in_the_choose_group():
    audit = {"uri": "qemu:///system", "domains": [{"domain": "g1", "backend": "libvirt", "platform": "kvm",
             "state": "running", "nics": [{"index": 0, "mac": "52:54:00:00:00:01", "model": "rtl8139"}]}]}  # fmt: skip
    task_vars = {"inventory_hostname": "g1", "hostvars": {"hv": {"nic_model_audit": audit}}}
    args = {"hypervisor": "hv", "domain": "g1", "supported": ALL, "switch": "auto", "hotplug": {"ready": True}}
    ranked = run(nic_model_plan, args, task_vars)
    assert ranked["group"] == "switch" and "choice" not in ranked["ansible_facts"]["nic_model_guest"]
    measured = run(nic_model_plan, dict(args, choice="measured", class_name=" web ", trial_guest="yes"), task_vars)
    assert measured["group"] == "choose"
    assert measured["ansible_facts"]["nic_model_guest"]["choice"] == {"mode": "measured", "class": "web",
                                                                      "trial_guest": True}  # fmt: skip
    pinned = run(nic_model_plan, dict(args, choice="measured", pinned="e1000"), task_vars)
    assert pinned["group"] == "switch"
