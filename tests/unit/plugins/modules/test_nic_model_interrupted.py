# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Leftovers of runs killed while writing: temporaries have a name of their own, and the next run removes those
(and only those) that are older than itself."""

from __future__ import annotations

import os
import time

from ansible_collections.nictune.fleet.plugins.modules import nic_model

HVM = b"""# web guest
name = "web01"
type = "hvm"
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]
"""
HVM_E1000 = HVM.replace(b"bridge=xenbr0", b"bridge=xenbr0, model=e1000")


def test_the_next_run_removes_its_own_stale_temporaries_only(tmp_path, run_module):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM_E1000)  # nothing to change: the clean-up does not depend on a write
    old = time.time() - 3600
    stale = [tmp_path / ".web01.cfg.k3j4h5g6.nictune", tmp_path / ".web01.cfg.a_b_c_d_.nictune"]
    for path in stale:
        path.write_bytes(HVM[:20])
        os.utime(path, (old, old))
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    kept = [
        tmp_path / ".web01.cfg.swp",  # another program's file
        tmp_path / ".web01.cfg.k3j4h5g6.nictune.orig",
        tmp_path / ".db01.cfg.k3j4h5g6.nictune",  # a temporary of a file this run does not touch
        tmp_path / ".web01.cfg.zzzzzzzz.nictune",  # a symlink is never one of ours
        tmp_path / ".web01.cfg.n3w3rn0w.nictune",  # newer than the run: not stale
    ]
    for path in kept[:3]:
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    os.symlink(victim, kept[3])
    os.utime(kept[3], (old, old), follow_symlinks=False)
    kept[4].write_bytes(b"x")
    future = time.time() + 3600
    os.utime(kept[4], (future, future))

    res = run_module(nic_model, check=True, path=[str(cfg)], model="e1000")
    assert all(p.exists() for p in stale), "check mode removes nothing"
    res = run_module(nic_model, path=[str(cfg)], model="e1000")
    assert res["changed"] is False
    assert [p.name for p in stale if p.exists()] == []
    assert all(os.path.lexists(p) for p in kept)
    assert victim.read_bytes() == b"keep"


def test_temporaries_have_a_recognisable_name(tmp_path, run_module, monkeypatch):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    seen = []
    real_rename = os.rename

    def rename(src, dst, *a, **k):
        seen.append(os.path.basename(os.fsdecode(src)))
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", rename)
    run_module(nic_model, path=[str(cfg)], model="e1000")
    assert seen and all(name.startswith(".web01.cfg.") and name.endswith(".nictune") for name in seen), seen
