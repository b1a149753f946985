# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent nic_model runs on one file, each on another NIC, as separate processes: no update is lost."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time

from ansible_collections.nictune.fleet.plugins.module_utils._common import locks
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import describe_file
from ansible_collections.nictune.fleet.plugins.modules import nic_model

RUNS = 8
ROUNDS = 4
MODULE = os.path.abspath(nic_model.__file__)
COLLECTIONS = MODULE.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]


def _config():
    vifs = ",\n".join("    'mac=00:16:3e:00:01:%02x,bridge=xenbr%d'" % (i, i) for i in range(RUNS))
    return ('name = "busy"\ntype = "hvm"\nvif = [\n%s\n]\n' % vifs).encode()


def _start(tmp_path, cfg, index, model):
    args = tmp_path / ("args-%d.json" % index)
    args.write_text(
        json.dumps({"ANSIBLE_MODULE_ARGS": {"path": [str(cfg)], "model": model, "match": {"index": [index]}}})
    )
    return subprocess.Popen(
        [sys.executable, MODULE, str(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=COLLECTIONS),
    )


def test_concurrent_runs_on_different_nics_of_one_file_lose_no_update(tmp_path):
    cfg = tmp_path / "busy.cfg"
    lost = []
    start = time.monotonic()
    for round_no in range(ROUNDS):
        model = ("e1000", "ne2k_pci")[round_no % 2]
        cfg.write_bytes(_config())
        procs = [_start(tmp_path, cfg, i, model) for i in range(RUNS)]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
            results.append(json.loads(out))
        assert all(r["changed"] for r in results), "every run reports its change"
        models = [n["model"] for n in describe_file(str(cfg), cfg.read_bytes(), [].append)["nics"]]
        missing = [i for i, m in enumerate(models) if m != model]
        if missing:
            lost.append("round %d: NICs %s lost their change" % (round_no, missing))
        assert not [p for p in os.listdir(tmp_path) if p.endswith(".nictune")]
    assert lost == [], lost
    assert time.monotonic() - start < 120


def test_a_file_locked_by_another_run_is_left_alone_and_named(tmp_path, run_module, monkeypatch):
    cfg = tmp_path / "busy.cfg"
    cfg.write_bytes(_config())
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 0.3)
    with open(cfg, "rb") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX)
        res = run_module(nic_model, path=[str(cfg)], model="e1000")
        assert res.get("failed") is True and str(cfg) in res["msg"] and "locked by another run" in res["msg"]
        assert cfg.read_bytes() == _config()
        # check mode reads without the lock
        assert run_module(nic_model, check=True, path=[str(cfg)], model="e1000")["changed"] is True
    assert run_module(nic_model, path=[str(cfg)], model="e1000")["changed"] is True
