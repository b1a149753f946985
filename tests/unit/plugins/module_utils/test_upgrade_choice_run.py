# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the choice by measuring: what it does per class (try, recall, in place, nothing to choose), the
sample's trial record, the class's choice for its other guests, and the remembered choices."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import choice, memory, report
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade.plan import guest_record

M = 1e6
ALL = ["rtl8139", "e1000", "e1000e", "virtio", "vmxnet3"]


def kvm(current="rtl8139", supported="all", action="switch", queues=None, **extra):
    record = {
        "platform": "kvm",
        "backend": "libvirt",
        "current_model": current,
        "supported_models": list(ALL) if supported == "all" else supported,
        "offered_models": ["e1000", "e1000e", "rtl8139", "virtio", "vmxnet3"],
        "action": action,
        "target_model": "virtio",
        "machine": "pc",
        "guest_os": {"family": "linux", "release": "6.1.0-28-amd64"},
        "vcpus": 2,
        "state": "running",
        "nics": [{"index": 0, "model": current, "queues": queues}],
        "switch": {"backend": "libvirt", "uri": "qemu:///system", "domains": ["d"]},
        "apply": "auto",
        "apply_reason": "ready",
    }
    record.update(extra)
    return record


def lab():
    return {
        "lab-guest1": kvm(),
        "lab-guest2": kvm(),
        "lab-legacy": kvm(supported=["rtl8139"], action="keep", target_model="rtl8139"),
        "lab-novirtio": kvm(supported=["rtl8139", "e1000", "vmxnet3"], target_model="e1000"),
    }


def rounds(send, receive):
    return {"send": [v * M for v in send], "receive": [v * M for v in receive]}


def test_current_candidate_and_queues_option():
    assert choice.current_candidate(kvm()) == "rtl8139"
    assert choice.current_candidate(kvm("virtio")) == "virtio"
    assert choice.current_candidate(kvm("virtio", queues=2)) == "virtio-mq"
    assert choice.current_candidate(kvm("e1000", queues=2)) == "e1000"
    assert choice.queues_option({"model": "virtio", "queues": 2}, "kvm") == 2
    assert choice.queues_option({"model": "virtio", "queues": None}, "kvm") == 1
    assert choice.queues_option({"model": "e1000", "queues": None}, "kvm") is None
    assert choice.queues_option({"model": "xen_pv", "queues": None}, "xen_hvm") is None


def test_first_run_tries_every_class_that_has_something_to_choose():
    plan = choice.trial_plan(lab(), max_queues=4)
    assert plan["trial_guests"] == ["lab-guest1", "lab-novirtio"]
    by_guest = {name: plan["classes"][key] for name, key in plan["guests"].items()}
    std = by_guest["lab-guest1"]
    assert std["step"] == "try" and std["members"] == ["lab-guest1", "lab-guest2"] and std["current"] == "rtl8139"
    assert [(c["name"], c["queues"], c["set_queues"]) for c in std["candidates"]] == [
        ("virtio", None, 1),
        ("virtio-mq", 2, 2),
        ("e1000e", None, None),
        ("e1000", None, None),
        ("rtl8139", None, None),
    ]
    # the current model first: the trials start without a switch
    assert [c["name"] for c in std["order"]] == ["rtl8139", "virtio", "virtio-mq", "e1000e", "e1000"]
    assert [c["name"] for c in by_guest["lab-novirtio"]["candidates"]] == ["e1000", "rtl8139"]
    legacy = by_guest["lab-legacy"]
    assert legacy["step"] == "none" and legacy["why"].startswith("nothing to choose")
    assert len(plan["lines"]) == 3 and any("tried on lab-guest1: virtio, virtio-mq" in x for x in plan["lines"])


def test_max_queues_one_or_one_vcpu_tries_no_multiqueue():
    records = lab()
    assert "virtio-mq" not in [c["name"] for c in choice.trial_plan(records, max_queues=1)["classes"][
        choice.trial_plan(records)["guests"]["lab-guest1"]]["candidates"]]  # fmt: skip
    for name in ("lab-guest1", "lab-guest2"):
        records[name]["vcpus"] = 1
    plan = choice.trial_plan(records)
    assert "virtio-mq" not in [c["name"] for c in plan["classes"][plan["guests"]["lab-guest1"]]["candidates"]]


def _trials():
    return {
        "rtl8139": rounds([900, 950], [600, 620]),
        "virtio": rounds([2800, 2900], [3900, 4100]),
        "virtio-mq": rounds([2700, 2750], [3800, 3950]),
        "e1000e": rounds([2700, 2800], [1300, 1350]),
        "e1000": rounds([950, 1000], [1250, 1300]),
    }


def test_trial_record_of_the_sample():
    plan = choice.trial_plan(lab())
    entry = plan["classes"][plan["guests"]["lab-guest1"]]
    found = choice.trial(entry, _trials(), 2, 0.1)
    assert found["choice"] == {"name": "virtio", "model": "virtio", "queues": None, "set_queues": 1}
    assert found["decision"]["kept"] is False and found["current"] == "rtl8139"
    assert found["tests"] == found["planned_tests"] == 5 * 2 * 2
    assert found["before"] == {"send_bps": 925 * M, "receive_bps": 610 * M}
    assert found["after"] == {"send_bps": 2850 * M, "receive_bps": 4000 * M}
    mq = {v["candidate"]: v["why"] for v in found["decision"]["candidates"]}["virtio-mq"]
    assert "not measured faster than single-queue virtio" in mq
    # the report reads it from the sample's record
    assert report.trials_of({"lab-guest1": {"trial": found}})[entry["key"]]["sample"] == "lab-guest1"


def test_a_trial_that_keeps_has_no_after_and_a_failed_round_counts_no_test():
    plan = choice.trial_plan(lab())
    entry = plan["classes"][plan["guests"]["lab-novirtio"]]
    trials = {"rtl8139": rounds([1000, 1010], [600, 610]), "e1000": {"send": [990 * M, None], "receive": [640 * M]}}
    found = choice.trial(entry, trials, 2, 0.1)
    assert found["decision"]["kept"] and found["choice"]["name"] == "rtl8139" and found["after"] == {}
    assert (found["tests"], found["planned_tests"]) == (6, 8)


def _settled(records, plan, trial_found=None, **kwargs):
    if trial_found:
        for name, found in trial_found.items():
            records[name] = dict(records[name], trial=found)
    return choice.settle(records, plan, **kwargs)


def test_settle_switches_the_rest_of_the_class_to_the_choice_and_remembers_it():
    records = lab()
    records["lab-guest2"]["current_model"] = "virtio"
    records["lab-guest2"]["nics"][0].update(model="virtio", queues=2)
    plan = choice.trial_plan(records)
    std = plan["classes"][plan["guests"]["lab-guest1"]]
    nov = plan["classes"][plan["guests"]["lab-novirtio"]]
    novirtio_trials = {"rtl8139": rounds([1000] * 2, [600] * 2), "e1000": rounds([950] * 2, [1300] * 2)}
    found = {
        "lab-guest1": choice.trial(std, _trials(), 2, 0.1),
        "lab-novirtio": choice.trial(nov, novirtio_trials, 2, 0.1),
    }
    out = _settled(records, plan, found, decided="2026-11-30T00:00:00+00:00", report_dir="/r")
    g2 = out["guests"]["lab-guest2"]
    # on virtio with 2 queues, the choice is virtio with one: switched, the queues option says 1
    assert (g2["action"], g2["target_model"], g2["target_queues"], g2["method"]) == ("switch", "virtio", 1, "live")
    assert g2["reason"].startswith("the measured choice of its class, virtio (tried on lab-guest1: virtio is")
    assert out["guests"]["lab-guest1"] == {"choice": dict(out["guests"]["lab-guest1"]["choice"], tried=True)}
    assert out["guests"]["lab-guest1"]["choice"]["choice"] == "virtio"
    assert out["guests"]["lab-legacy"]["choice"]["step"] == "none" and "action" not in out["guests"]["lab-legacy"]
    assert set(out["memory"]) == {std["key"], nov["key"]}
    remembered = out["memory"][nov["key"]]
    assert (remembered["name"], remembered["model"], remembered["kept"]) == ("e1000", "e1000", False)
    assert remembered["sample"] == "lab-novirtio" and remembered["decided"] == "2026-11-30T00:00:00+00:00"
    assert {(r["candidate"], r["direction"]) for r in remembered["table"]} == {
        (c, d) for c in ("e1000", "rtl8139") for d in ("send", "receive")
    }


def test_second_run_recalls_the_choices_and_changes_nothing():
    records = lab()
    plan = choice.trial_plan(records)
    std = plan["classes"][plan["guests"]["lab-guest1"]]
    first = _settled(records, plan, {"lab-guest1": choice.trial(std, _trials(), 2, 0.1)})
    # the second run: both standard guests on virtio, their ranked plan keeps them
    again = lab()
    for name in ("lab-guest1", "lab-guest2"):
        again[name].update(current_model="virtio", action="keep", nics=[{"index": 0, "model": "virtio"}])
    plan2 = choice.trial_plan(again, memory=first["memory"])
    assert plan2["trial_guests"] == ["lab-novirtio"]  # its choice was not remembered in this test
    entry = plan2["classes"][plan2["guests"]["lab-guest1"]]
    assert entry["step"] == "recall" and entry["why"].startswith("chosen by measuring on lab-guest1")
    out = choice.settle(again, plan2)
    assert {out["guests"][n]["action"] for n in ("lab-guest1", "lab-guest2")} == {"keep"}
    # refresh: tried again
    assert "lab-guest1" in choice.trial_plan(again, memory=first["memory"], refresh=True)["trial_guests"]


def test_a_class_found_in_place_is_not_tried():
    records = lab()
    for name in ("lab-guest1", "lab-guest2"):
        records[name].update(current_model="virtio", action="keep", nics=[{"index": 0, "model": "virtio", "queues": 2}])
    plan = choice.trial_plan(records)
    entry = plan["classes"][plan["guests"]["lab-guest1"]]
    assert entry["step"] == "in_place" and entry["choice"] == {
        "name": "virtio-mq",
        "model": "virtio",
        "queues": 2,
        "set_queues": 2,
    }
    assert "lab-guest1" not in plan["trial_guests"]
    out = choice.settle(records, plan)
    assert out["guests"]["lab-guest2"]["action"] == "keep" and out["memory"] == {}
    # one guest of the class elsewhere: the class is tried
    records["lab-guest2"].update(current_model="rtl8139", action="switch", nics=[{"index": 0, "model": "rtl8139"}])
    assert "lab-guest1" in choice.trial_plan(records)["trial_guests"]


def test_recalled_choice_switches_a_new_guest_of_the_class():
    records = lab()
    plan = choice.trial_plan(records)
    key = plan["guests"]["lab-guest1"]
    remembered = {key: {"name": "e1000e", "model": "e1000e", "queues": None, "set_queues": None, "sample": "lab-guest1",
                        "decided": "yesterday", "reason": "e1000e is the fastest both ways"}}  # fmt: skip
    plan = choice.trial_plan(records, memory=remembered)
    out = choice.settle(records, plan, memory=remembered)
    for name in ("lab-guest1", "lab-guest2"):
        g = out["guests"][name]
        assert (g["action"], g["target_model"], g["target_queues"]) == ("switch", "e1000e", None)
        assert "chosen by measuring on lab-guest1 (yesterday)" in g["reason"]
    assert out["memory"] == remembered


def test_a_member_that_cannot_take_the_choice_is_skipped():
    records = lab()
    records["lab-guest2"]["switch_blocked"] = "nic_model_switch is live, but the guest would not bring ..."
    plan = choice.trial_plan(records, overrides={"lab-novirtio": {"class": "web"}, "lab-guest2": {"class": "web"}})
    web = plan["classes"]["web"]
    assert web["sample"] == "lab-novirtio"  # lab-guest2 cannot be switched the way nic_model_switch says
    found = choice.trial(
        web, {"rtl8139": rounds([1000] * 2, [600] * 2), "e1000": rounds([950] * 2, [1300] * 2)}, 2, 0.1
    )
    out = _settled(records, plan, {"lab-novirtio": found})
    assert out["guests"]["lab-guest2"]["action"] == "skip"
    assert out["guests"]["lab-guest2"]["reason"].startswith("nic_model_switch is live")


def test_trials_that_did_not_finish_and_check_mode():
    records = lab()
    plan = choice.trial_plan(records)
    out = choice.settle(records, plan)
    g2 = out["guests"]["lab-guest2"]
    assert g2["action"] == "skip" and g2["reason"] == "no choice: the trials on lab-guest1 did not finish"
    assert "lab-guest1" not in out["guests"] or "action" not in out["guests"]["lab-guest1"]
    check = choice.settle(records, plan, check_mode=True)
    for name in ("lab-guest1", "lab-guest2", "lab-novirtio"):
        assert check["guests"][name]["action"] == "keep"
        assert check["guests"][name]["reason"].startswith("check mode: the class would be tried on")
    assert check["memory"] == {}


def test_report_lists_classes_nothing_was_tried_on():
    records = lab()
    plan = choice.trial_plan(records)
    out = choice.settle(records, plan)
    merged = {n: dict(records[n], **out["guests"].get(n, {})) for n in records}
    trials = report.trials_of(merged)
    legacy = trials[plan["guests"]["lab-legacy"]]
    assert legacy["decision"] is None and legacy["step"] == "none" and legacy["members"] == ["lab-legacy"]
    doc = report.plan_report(records, {"choice": plan})
    classes = next(s for s in doc["sections"] if s["heading"] == "Classes")
    steps = {r["members"]: r["step"] for r in classes["table"]["rows"]}
    assert steps == {"lab-guest1, lab-guest2": "try", "lab-legacy": "nothing to choose", "lab-novirtio": "try"}


def test_guest_record_for_measuring():
    audit = {
        "uri": "qemu:///system",
        "domains": [
            {
                "domain": "g1",
                "backend": "libvirt",
                "platform": "kvm",
                "domain_type": "kvm",
                "state": "running",
                "machine": "pc",
                "vcpus": 2,
                "nics": [{"index": 0, "mac": "52:54:00:00:00:01", "model": "virtio"}],
            }
        ],
    }
    kept = guest_record("g1", "hv1", audit, supported=ALL, method="auto", hotplug={"ready": True, "reason": "mac"},
                        choice="measured", class_name="web", ranking=["virtio-net", "e1000"])  # fmt: skip
    assert kept["action"] == "keep" and kept["apply"] == "auto" and "switch_blocked" not in kept
    assert kept["choice"] == {"mode": "measured", "class": "web", "trial_guest": None}
    assert kept["ranking"] == ["virtio", "e1000"]
    blocked = guest_record("g1", "hv1", audit, supported=ALL, method="live", hotplug={"ready": False, "reason": "no"},
                           choice="measured")  # fmt: skip
    assert blocked["action"] == "keep" and blocked["switch_blocked"].startswith("nic_model_switch is live, but")
    ranked = guest_record("g1", "hv1", audit, supported=ALL, method="auto", hotplug={"ready": True, "reason": "x"})
    assert "choice" not in ranked and "apply" not in ranked
    with pytest.raises(NicTuneError, match="nic_model_choice must be one of ranked, measured"):
        guest_record("g1", "hv1", audit, choice="fastest")


def test_memory_round_trip_and_refusals(tmp_path):
    path = str(tmp_path / "sub" / "choices.json")
    assert memory.load(path) == {}
    memory.save(path, {"k": {"name": "virtio"}})
    assert memory.load(path) == {"k": {"name": "virtio"}}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path / "sub") == ["choices.json"]
    with open(path, "w") as handle:
        json.dump({"classes": {}}, handle)
    with pytest.raises(NicTuneError, match="not a file of remembered choices") as err:
        memory.load(path)
    assert err.value.path == path
    with open(path, "w") as handle:
        handle.write("{")
    with pytest.raises(NicTuneError, match="cannot read the remembered choices"):
        memory.load(path)
    (tmp_path / "ro").mkdir(mode=0o500)
    if os.geteuid() != 0:
        with pytest.raises(NicTuneError, match="cannot write"):
            memory.save(str(tmp_path / "ro" / "c.json"), {})
