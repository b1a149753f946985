# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes next to files others may reach: backups never through a planted link and never wider than the
file, temporaries of killed runs removed by the next run (only its own), hard links reported."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from ansible_collections.nictune.fleet.plugins.modules import nic_model

HVM = b"""# web guest
name = "web01"
type = "hvm"
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]
"""
HVM_E1000 = HVM.replace(b"bridge=xenbr0", b"bridge=xenbr0, model=e1000")


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- backups -------------------------------------------------------------------------------------------------


def _plant_backup_links(cfg, victim, seconds=8):
    """Symlinks named like every backup a run in this process could make in the next seconds."""
    now = time.time()
    for delta in range(-1, seconds):
        stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(now + delta))
        os.symlink(victim, "%s.%s.%s~" % (cfg, os.getpid(), stamp))


def test_backup_never_follows_a_planted_symlink(tmp_path, run_module):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    victim = tmp_path / "victim"
    victim.write_bytes(b"secret\n")
    os.chmod(victim, 0o600)
    _plant_backup_links(cfg, victim)
    res = run_module(nic_model, path=[str(cfg)], model="e1000", backup=True)
    assert victim.read_bytes() == b"secret\n" and _mode(victim) == 0o600
    assert res["rc"] == 0 and res["changed"] is True, res
    backup = res["results"][0]["backup_file"]
    assert not os.path.islink(backup)
    with open(backup, "rb") as handle:
        assert handle.read() == HVM
    assert os.path.basename(backup).startswith("web01.cfg.") and backup.endswith("~")
    assert cfg.read_bytes() == HVM_E1000


def test_backup_has_the_source_mode_from_its_first_byte(tmp_path, run_module, monkeypatch):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    os.chmod(cfg, 0o600)
    # without any later chmod, the backup keeps the mode it was created with
    for name in ("chmod", "fchmod", "lchmod"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, lambda *_a, **_k: None)
    res = run_module(nic_model, path=[str(cfg)], model="e1000", backup=True)
    backup = res["results"][0]["backup_file"]
    assert _mode(backup) & ~0o600 == 0, oct(_mode(backup))


def test_backup_keeps_the_source_mode(tmp_path, run_module):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    os.chmod(cfg, 0o640)
    res = run_module(nic_model, path=[str(cfg)], model="e1000", backup=True)
    assert _mode(res["results"][0]["backup_file"]) == 0o640


@pytest.mark.parametrize("dir_mode,refused", [(0o777, True), (0o775, True), (0o1777, False), (0o755, False)])
def test_backup_into_a_directory_others_can_write(tmp_path, run_module, dir_mode, refused):
    conf = tmp_path / "conf"
    conf.mkdir()
    cfg = conf / "web01.cfg"
    cfg.write_bytes(HVM)
    os.chmod(conf, dir_mode)
    res = run_module(nic_model, path=[str(cfg)], model="e1000", backup=True)
    if refused:
        assert res.get("failed") is True and str(cfg) in res["msg"] and "backup" in res["msg"], res
        assert cfg.read_bytes() == HVM and sorted(os.listdir(conf)) == ["web01.cfg"]
    else:
        assert res["changed"] is True and os.path.exists(res["results"][0]["backup_file"])
    # without backup the directory does not matter
    res = run_module(nic_model, path=[str(cfg)], model="ne2k_pci")
    assert res["changed"] is True


# -- hard links ----------------------------------------------------------------------------------------------


def test_a_hard_linked_config_is_reported(tmp_path, run_module):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    os.link(cfg, tmp_path / "web01-alias.cfg")
    res = run_module(nic_model, check=True, path=[str(cfg)], model="e1000")
    assert "hard link" in json.dumps(res.get("warnings", []))
