# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nic_model / nic_model_info / domain_restart with backend proxmox as Ansible runs them: the argument specs,
check mode, diff and backup on real files, and the qm commands through a stand-in script put first on PATH
(no Proxmox VE host runs here)."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.nictune.fleet.plugins.modules import domain_restart, nic_model, nic_model_info

CONF = b"name: web01\nnet0: e1000=BC:24:11:2C:69:EC,bridge=vmbr0\nostype: l26\n"
QM = """#!/bin/sh
printf '%s\\n' "$*" >> "$QM_LOG"
case "$1" in
  status) echo "status: running" ;;
  list) printf '      VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID\\n       100 web01 running 512 8.00 42\\n' ;;
esac
"""


@pytest.fixture(autouse=True)
def _module_side(monkeypatch):
    monkeypatch.setattr(_module_utils_internal, "is_controller", False)


def run(module, capsys, check=False, diff=False, **args):
    args.setdefault("_ansible_check_mode", check)
    args.setdefault("_ansible_diff", diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    out = json.loads(capsys.readouterr().out)
    out["rc"] = exc.value.code
    return out


@pytest.fixture
def conf(tmp_path):
    folder = tmp_path / "qemu-server"
    folder.mkdir()
    (folder / "100.conf").write_bytes(CONF)
    return folder


@pytest.fixture
def qm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qm").write_text(QM)
    (bin_dir / "qm").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ.get("PATH", "")))
    monkeypatch.setenv("QM_LOG", str(tmp_path / "qm.log"))
    return tmp_path / "qm.log"


def test_files_check_mode_then_real_run_with_backup(conf, capsys):
    args = {"backend": "proxmox", "proxmox_mode": "file", "path": [str(conf / "*.conf")], "model": "virtio"}
    res = run(nic_model, capsys, check=True, diff=True, **args)
    assert res["changed"] and (conf / "100.conf").read_bytes() == CONF
    assert res["diff"][0]["after"] == CONF.decode().replace("e1000=", "virtio=")
    res = run(nic_model, capsys, backup=True, **args)
    assert (conf / "100.conf").read_bytes() == CONF.replace(b"e1000=", b"virtio=")
    assert open(res["results"][0]["backup_file"], "rb").read() == CONF
    assert res["results"][0]["vmid"] == "100" and res["results"][0]["via"] == "file"
    assert not run(nic_model, capsys, **args)["changed"]


def test_unknown_model_fails_the_task(conf, capsys):
    res = run(nic_model, capsys, backend="proxmox", proxmox_mode="file", path=[str(conf / "*.conf")], model="igb")
    assert res["failed"] and "model 'igb' is not one Proxmox VE offers" in res["msg"]


def test_through_qm_on_path(conf, qm, capsys):
    res = run(nic_model, capsys, backend="proxmox", path=[str(conf / "100.conf")], model="e1000e")
    assert res["results"][0]["via"] == "qm" and res["results"][0]["live"] is True
    lines = qm.read_text().splitlines()
    assert lines[0] == "list"
    assert lines[1].startswith("set 100 --digest ") and lines[1].endswith(
        " --net0 e1000e=BC:24:11:2C:69:EC,bridge=vmbr0"
    )
    info = run(nic_model_info, capsys, backend="auto", path=[str(conf / "100.conf")])
    assert info["domains"][0]["state"] == "running" and info["domains"][0]["backend"] == "proxmox"


def test_domain_restart_through_qm_on_path(qm, capsys):
    res = run(domain_restart, capsys, backend="proxmox", vmid=100, shutdown_timeout=7)
    assert (res["method"], res["was_running"]) == ("shutdown", True)
    assert qm.read_text().splitlines() == ["status 100", "shutdown 100 --timeout 7", "start 100"]


def test_domain_restart_needs_vmid(capsys):
    res = run(domain_restart, capsys, backend="proxmox")
    assert res["failed"] and "vmid" in res["msg"]
