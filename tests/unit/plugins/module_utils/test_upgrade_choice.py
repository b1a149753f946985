# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The choice by measuring: classes, candidates, the decision rule and the trials' cost."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import choice

M = 1e6
ALL = ["rtl8139", "e1000", "e1000e", "virtio", "vmxnet3"]
KVM = ["virtio", "e1000e", "e1000", "rtl8139"]
MQ = ["virtio", "virtio-mq", "e1000e", "e1000", "rtl8139"]
XEN = ["xen_pv", "e1000", "rtl8139"]


def t(send, receive=None, error=None):
    """One candidate's rounds in Mbit/s (receive = send when not given)."""
    out = {"send": [v * M for v in send], "receive": [v * M for v in (send if receive is None else receive)]}
    if error:
        out["error"] = error
    return out


# --- decide -------------------------------------------------------------------------------------------------------

CASES = [
    # The published measurement (Windows XP on Xen, iperf2): rtl8139 58.3, e1000 394, Xen PV 432 Mbit/s.
    (
        "published-table",
        "rtl8139",
        {"rtl8139": t([58.3, 58.3]), "e1000": t([394, 394]), "xen_pv": t([432, 432])},
        XEN,
        (
            "xen_pv",
            False,
            "xen_pv is the fastest both ways of the candidates that gain (send x7.41, receive x7.41 over rtl8139)",
        ),
    ),
    (
        "published-table-with-spread",
        "rtl8139",
        {"rtl8139": t([57, 59.6]), "e1000": t([380, 410]), "xen_pv": t([425, 440])},
        XEN,
        ("xen_pv", False, "fastest both ways"),
    ),
    # virtio loses receive against the current model (RX << TX, as on some Windows builds): e1000 wins.
    (
        "virtio-loses-receive",
        "rtl8139",
        {
            "rtl8139": t([1000, 1020], [615, 625]),
            "virtio": t([2800, 2900], [400, 420]),
            "e1000": t([1300, 1350], [950, 960]),
        },
        KVM,
        ("e1000", False, "e1000 is the fastest both ways"),
    ),
    # virtio and e1000e tie within the measured spread: the higher-ranked one wins, whichever median is higher.
    (
        "tie-goes-to-higher-ranked",
        "rtl8139",
        {"rtl8139": t([600, 610]), "e1000e": t([2950, 3150]), "virtio": t([2900, 3000])},
        KVM,
        ("virtio", False, "ties within the measured spread with e1000e go to the higher-ranked"),
    ),
    # no candidate gains more than the threshold: the guest keeps its model.
    (
        "no-gain-keeps",
        "rtl8139",
        {"rtl8139": t([1000, 1000]), "e1000": t([1050, 1060])},
        KVM,
        ("rtl8139", True, "e1000 gains no more than 10% over rtl8139"),
    ),
    # a drop within the threshold is not a loss (the rollback would keep it too).
    (
        "small-drop-is-no-loss",
        "rtl8139",
        {"rtl8139": t([1000, 1000]), "virtio": t([3000, 3000], [950, 960])},
        KVM,
        (
            "virtio",
            False,
            "virtio is the fastest both ways of the candidates that gain (send x3.00, receive x0.95 over rtl8139)",
        ),
    ),
    # a drop beyond the threshold is a loss however large the gain the other way.
    (
        "large-drop-is-a-loss",
        "rtl8139",
        {"rtl8139": t([1000, 1000]), "virtio": t([4000, 4000], [880, 890])},
        KVM,
        ("rtl8139", True, "virtio loses receive against rtl8139"),
    ),
    # multiqueue tied with single-queue virtio: one queue is kept.
    (
        "multiqueue-not-faster",
        "rtl8139",
        {"rtl8139": t([600, 600]), "virtio": t([3000, 3050]), "virtio-mq": t([3020, 3060])},
        MQ,
        ("virtio", False, "virtio is the fastest both ways"),
    ),
    # multiqueue faster sending, tied receiving: multiqueue is kept.
    (
        "multiqueue-faster",
        "rtl8139",
        {"rtl8139": t([600, 600]), "virtio": t([3000, 3050]), "virtio-mq": t([4000, 4100], [3000, 3060])},
        MQ,
        ("virtio-mq", False, "virtio-mq is the fastest both ways"),
    ),
    # multiqueue faster one way, slower the other than one queue: not kept.
    (
        "multiqueue-trade-off",
        "rtl8139",
        {"rtl8139": t([600, 600]), "virtio": t([3000, 3050]), "virtio-mq": t([4000, 4100], [2000, 2050])},
        MQ,
        ("virtio", False, "virtio is the fastest both ways"),
    ),
    # one candidate is fastest sending, another receiving: the one whose slower direction gained most.
    (
        "trade-off-maximin",
        "rtl8139",
        {"rtl8139": t([1000, 1000]), "virtio": t([4000, 4000], [1200, 1200]), "e1000e": t([1500, 1500], [2000, 2000])},
        KVM,
        ("e1000e", False, "no candidate is the fastest both ways; e1000e gains the most in its slower direction"),
    ),
    # a candidate the guest did not come up on (no measurement) is out, the next one wins.
    (
        "failed-candidate",
        "rtl8139",
        {"rtl8139": t([600, 600]), "virtio": t([], error="the guest did not answer"), "e1000": t([1300, 1300])},
        KVM,
        ("e1000", False, "e1000 is the fastest both ways"),
    ),
    # the current model itself could not be measured: nothing to compare with.
    (
        "no-baseline",
        "rtl8139",
        {"rtl8139": t([], error="timeout"), "virtio": t([3000, 3000])},
        KVM,
        ("rtl8139", True, "was not measured both ways"),
    ),
    # names are read as the catalogue reads them
    (
        "aliases",
        "8139cp",
        {"rtl-8139": t([600, 600]), "virtio-net": t([3000, 3000])},
        KVM,
        ("virtio", False, "virtio is the fastest both ways"),
    ),
    # the current model is already the best
    (
        "current-is-best",
        "virtio",
        {"virtio": t([3000, 3000]), "e1000": t([1300, 1300]), "rtl8139": t([600, 600])},
        KVM,
        ("virtio", True, "keeps virtio"),
    ),
]


@pytest.mark.parametrize(
    ("current", "trials", "ranking", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decide(current, trials, ranking, expected):
    out = choice.decide(current, trials, 0.1, ranking)
    want_choice, want_kept, reason_part = expected
    assert (out["choice"], out["kept"]) == (want_choice, want_kept), out["reason"]
    assert reason_part in out["reason"], out["reason"]
    assert {v["candidate"] for v in out["candidates"]} == {choice._name(k) for k in trials} - {choice._name(current)}


def test_virtio_losing_receive_says_why():
    out = choice.decide("rtl8139", dict(next(c for c in CASES if c[0] == "virtio-loses-receive")[2]), 0.1, KVM)
    why = {v["candidate"]: v["why"] for v in out["candidates"]}
    assert why["virtio"].startswith("loses receive against rtl8139") and why["e1000"] == "chosen"


def test_table_reproduces_the_published_ranking():
    out = choice.decide("rtl8139", CASES[0][2], 0.1, XEN)
    rows = [(r["candidate"], r["direction"], r["median_mbps"], r["spread"], r["tests"]) for r in out["table"]]
    assert rows == [
        ("xen_pv", "send", 432.0, 0.0, 2),
        ("xen_pv", "receive", 432.0, 0.0, 2),
        ("e1000", "send", 394.0, 0.0, 2),
        ("e1000", "receive", 394.0, 0.0, 2),
        ("rtl8139", "send", 58.3, 0.0, 2),
        ("rtl8139", "receive", 58.3, 0.0, 2),
    ]
    assert [r["candidate"] for r in out["table"] if r["chosen"]] == ["xen_pv", "xen_pv"]
    assert [r["candidate"] for r in out["table"] if r["current"]] == ["rtl8139", "rtl8139"]


def test_median_spread_and_tests_leave_failed_rounds_out():
    trials = {"rtl8139": {"send": [6e8, None, 6.2e8, 6.6e8], "receive": [6e8, 0]}, "virtio": t([3000])}
    out = choice.decide("rtl8139", trials, 0.1, KVM)
    send = next(r for r in out["table"] if r["candidate"] == "rtl8139" and r["direction"] == "send")
    receive = next(r for r in out["table"] if r["candidate"] == "rtl8139" and r["direction"] == "receive")
    assert (send["median_mbps"], send["spread"], send["tests"]) == (620.0, 60.0, 3)
    assert (receive["median_mbps"], receive["spread"], receive["tests"]) == (600.0, 0.0, 1)


@pytest.mark.parametrize("threshold", [-0.1, 1, "x", None])
def test_decide_refuses_a_bad_threshold(threshold):
    with pytest.raises(NicTuneError, match="nic_model_rollback_threshold"):
        choice.decide("rtl8139", {"rtl8139": t([1])}, threshold, KVM)


def test_a_higher_threshold_keeps_more():
    trials = {"rtl8139": t([1000, 1000]), "e1000": t([1300, 1300])}
    assert choice.decide("rtl8139", trials, 0.1, KVM)["choice"] == "e1000"
    assert choice.decide("rtl8139", trials, 0.5, KVM)["kept"] is True


# --- candidates ---------------------------------------------------------------------------------------------------


def kvm(current="rtl8139", supported="all", offered=None, **extra):
    record = {
        "platform": "kvm",
        "current_model": current,
        "supported_models": list(ALL) if supported == "all" else supported,
        "offered_models": offered or ["e1000", "e1000e", "rtl8139", "virtio", "vmxnet3"],
        "action": "switch",
        "machine": "pc-i440fx-7.2",
        "guest_os": {"family": "Linux", "release": "6.1.0-28-amd64"},
        "vcpus": 1,
        "state": "running",
    }
    record.update(extra)
    return record


@pytest.mark.parametrize(
    ("record", "vcpus", "max_queues", "expected"),
    [
        (kvm(), 1, 8, [("virtio", None), ("e1000e", None), ("e1000", None), ("rtl8139", None)]),
        (kvm(), 4, 2, [("virtio", None), ("virtio-mq", 2), ("e1000e", None), ("e1000", None), ("rtl8139", None)]),
        (kvm(), 2, 8, [("virtio", None), ("virtio-mq", 2), ("e1000e", None), ("e1000", None), ("rtl8139", None)]),
        (kvm(), 4, 1, [("virtio", None), ("e1000e", None), ("e1000", None), ("rtl8139", None)]),
        (
            kvm(supported=["rtl8139", "e1000", "e1000e", "vmxnet3"]),
            4,
            8,
            [("e1000e", None), ("e1000", None), ("rtl8139", None)],
        ),
        (kvm(supported=["rtl8139"]), 4, 8, [("rtl8139", None)]),
        (kvm(offered=["rtl8139", "virtio"]), 1, 8, [("virtio", None), ("rtl8139", None)]),
        # the current model is always the baseline, even where the ranking does not name it
        (
            kvm(current="vmxnet3"),
            1,
            8,
            [("virtio", None), ("e1000e", None), ("e1000", None), ("rtl8139", None), ("vmxnet3", None)],
        ),
        # the guest's drivers unknown (readiness gate off): every offered model of the ranking
        (kvm(supported=None), 1, 8, [("virtio", None), ("e1000e", None), ("e1000", None), ("rtl8139", None)]),
        (
            dict(kvm(supported=[*ALL, "xen_pv"]), platform="xen_hvm", offered_models=None),
            4,
            8,
            [("xen_pv", None), ("e1000", None), ("rtl8139", None)],
        ),
        (dict(kvm(), platform="xen_pv"), 1, 8, []),
    ],
)
def test_candidates(record, vcpus, max_queues, expected):
    out = choice.candidates(record, vcpus, max_queues)
    assert [(c["name"], c["queues"]) for c in out] == expected
    assert all(c["model"] == ("virtio" if c["name"] == "virtio-mq" else c["name"]) for c in out)


def test_candidates_follow_a_given_ranking():
    out = choice.candidates(kvm(), 1, 8, ranking=["e1000", "virtio", "rtl8139"])
    assert [c["name"] for c in out] == ["e1000", "virtio", "rtl8139"]


# --- classes ------------------------------------------------------------------------------------------------------


def fleet():
    return {
        "lab-guest1": kvm(),
        "lab-guest2": kvm(),
        "lab-legacy": kvm(supported=["rtl8139"], action="keep"),
        "lab-novirtio": kvm(supported=["rtl8139", "e1000", "e1000e", "vmxnet3"]),
        "pinned": kvm(pinned=True),
        "skipped": dict(kvm(), action="skip"),
        "gone": None,
    }


def test_classes_group_alike_guests_and_pick_the_first_by_name():
    out = choice.classes(fleet())
    key = out["guests"]["lab-guest1"]
    assert out["guests"]["lab-guest2"] == key
    assert key == "kvm / pc-i440fx-7.2 / Linux 6.1.0-28-amd64 / virtio+e1000e+e1000+rtl8139 / 1 vCPU"
    assert out["classes"][key]["members"] == ["lab-guest1", "lab-guest2"]
    assert out["classes"][key]["sample"] == "lab-guest1"
    assert len(out["classes"]) == 3
    legacy = out["classes"][out["guests"]["lab-legacy"]]
    assert legacy["sample"] is None and legacy["why"] == "nothing to choose: the class can be tried on rtl8139 only"
    assert out["classes"][out["guests"]["lab-novirtio"]]["sample"] == "lab-novirtio"
    assert out["outside"] == {
        "pinned": "pinned by nic_model_target",
        "skipped": "plan is skip",
        "gone": "not audited or planned",
    }
    assert out["guests"]["pinned"] is None


@pytest.mark.parametrize(
    ("change", "differs"),
    [
        ({"machine": "pc-q35-7.2"}, True),
        ({"guest_os": {"family": "Linux", "release": "6.12.0"}}, True),
        ({"guest_os": {"family": "Windows", "release": "10.0.17763"}}, True),
        ({"vcpus": 2}, True),
        ({"offered_models": ["rtl8139", "e1000"]}, True),
        ({"current_model": "e1000"}, False),
        ({"action": "keep"}, False),
    ],
)
def test_what_makes_a_class(change, differs):
    records = {"a": kvm(), "b": dict(kvm(), **change)}
    out = choice.classes(records)
    assert (out["guests"]["a"] != out["guests"]["b"]) is differs


def test_class_and_trial_guest_overrides():
    overrides = {
        "lab-guest2": {"class": "web", "trial_guest": "lab-novirtio"},
        "lab-novirtio": {"class": "web"},
        "lab-guest1": {"trial_guest": True},
    }
    out = choice.classes(fleet(), overrides)
    assert out["classes"]["web"]["members"] == ["lab-guest2", "lab-novirtio"]
    assert out["classes"]["web"]["sample"] == "lab-novirtio"
    assert out["classes"]["web"]["why"] == "named by nic_model_trial_guest"
    assert out["classes"][out["guests"]["lab-guest1"]]["sample"] == "lab-guest1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lab-guest1": {"trial_guest": "lab-legacy"}}, "lab-legacy is not in class"),
        ({"lab-guest1": {"trial_guest": True}, "lab-guest2": {"trial_guest": True}}, "more than one sample"),
    ],
)
def test_trial_guest_override_must_name_one_guest_of_the_class(overrides, message):
    with pytest.raises(NicTuneError, match=message):
        choice.classes(fleet(), overrides)


def test_a_guest_that_is_off_is_not_the_sample():
    records = fleet()
    records["lab-guest1"]["state"] = "shut off"
    out = choice.classes(records)
    assert out["classes"][out["guests"]["lab-guest1"]]["sample"] == "lab-guest2"


# --- cost ---------------------------------------------------------------------------------------------------------


def test_trial_cost_of_one_sample_per_class_against_every_guest():
    records = {"g%d" % i: kvm() for i in range(1, 7)}
    records["old"] = kvm(supported=["rtl8139"])
    found = choice.classes(records)
    cands = {key: choice.candidates(records[c["members"][0]], 1, 8) for key, c in found["classes"].items()}
    cost = choice.trial_cost(found, cands, rounds=2, seconds_per_test=5)
    # 4 candidates x 2 rounds x 2 directions on one guest, against the same on six guests; the legacy class costs none
    assert cost == {
        "tests_measured": 16,
        "tests_every_guest": 96,
        "measured_s": 80.0,
        "every_guest_s": 480.0,
        "saved_s": 400.0,
        "ratio": 6.0,
    }
    with pytest.raises(NicTuneError, match="rounds"):
        choice.trial_cost(found, cands, rounds=0, seconds_per_test=5)
