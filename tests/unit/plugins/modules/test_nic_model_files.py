# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nic_model / nic_model_info as Ansible runs them, on real files: check mode, diff, backup,
atomic write, symlinks, read-only files and several bad files in one task; backend proxmox (and domain_restart)
also through a stand-in for qm put first on PATH (no Proxmox VE host runs here)."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest
from ansible.module_utils import _internal as _module_utils_internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.nictune.fleet.plugins.modules import domain_restart, nic_model, nic_model_info

HVM = b"""# web guest
name = "web01"
type = "hvm"
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]
"""

HVM_E1000 = b"""# web guest
name = "web01"
type = "hvm"
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0, model=e1000' ]
"""


@pytest.fixture(autouse=True)
def _module_side(monkeypatch):
    # Controller imports elsewhere in the same run (filter tests) flip ansible-core's process-wide
    # is_controller switch, after which AnsibleModule.warn() prints instead of returning warnings.
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
def cfgdir(tmp_path):
    (tmp_path / "web01.cfg").write_bytes(HVM)
    (tmp_path / "db01.cfg").write_bytes(HVM.replace(b"web01", b"db01").replace(b":01", b":02"))
    return tmp_path


def test_check_mode_reports_change_and_writes_nothing(cfgdir, capsys):
    res = run(nic_model, capsys, check=True, diff=True, path=[str(cfgdir / "*.cfg")], model="e1000")
    assert res["changed"] is True
    assert (cfgdir / "web01.cfg").read_bytes() == HVM
    assert len(res["diff"]) == 2
    web = next(d for d in res["diff"] if "web01" in d["before_header"])
    assert web["after"] == HVM_E1000.decode()
    assert all(r["restart_required"] for r in res["results"])


def test_real_run_then_idempotent_with_backup(cfgdir, capsys):
    os.chmod(cfgdir / "web01.cfg", 0o640)
    res = run(nic_model, capsys, path=[str(cfgdir / "web01.cfg")], model="e1000", backup=True)
    assert res["changed"] is True
    assert (cfgdir / "web01.cfg").read_bytes() == HVM_E1000
    assert stat.S_IMODE(os.stat(cfgdir / "web01.cfg").st_mode) == 0o640
    backup = res["results"][0]["backup_file"]
    assert open(backup, "rb").read() == HVM
    nic = res["results"][0]["nics"][0]
    assert (nic["model_before"], nic["model_after"], nic["mac"]) == ("rtl8139", "e1000", "00:16:3e:00:00:01")
    again = run(nic_model, capsys, path=[str(cfgdir / "web01.cfg")], model="e1000", backup=True)
    assert again["changed"] is False
    assert "backup_file" not in again["results"][0]
    assert len([p for p in cfgdir.iterdir() if "web01" in p.name]) == 2  # the file and one backup


def test_symlinked_config_edits_target_and_keeps_link(cfgdir, capsys):
    real = cfgdir / "real"
    real.mkdir()
    os.rename(cfgdir / "web01.cfg", real / "web01.cfg")
    os.symlink(real / "web01.cfg", cfgdir / "web01.cfg")
    res = run(nic_model, capsys, path=[str(cfgdir / "web01.cfg")], model="e1000")
    assert res["changed"] is True
    assert os.path.islink(cfgdir / "web01.cfg")
    assert (real / "web01.cfg").read_bytes() == HVM_E1000
    assert not [p for p in real.iterdir() if p.name.endswith(".nictune")]


def test_read_only_file_is_refused_and_others_untouched(cfgdir, capsys):
    os.chmod(cfgdir / "web01.cfg", 0o444)
    res = run(nic_model, capsys, path=[str(cfgdir / "*.cfg")], model="e1000")
    assert res["failed"] is True
    assert "web01.cfg" in res["msg"] and "read-only" in res["msg"]
    assert (cfgdir / "web01.cfg").read_bytes() == HVM
    assert b"e1000" not in (cfgdir / "db01.cfg").read_bytes()


def test_every_bad_file_is_named_and_nothing_written(cfgdir, capsys):
    (cfgdir / "crlf.cfg").write_bytes(b'name = "x"\r\nvif = [ "" ]\r\n')
    (cfgdir / "py.cfg").write_bytes(b'name = "y"\nimport os\n')
    res = run(nic_model, capsys, path=[str(cfgdir / "*.cfg")], model="e1000")
    assert res["failed"] is True
    assert "crlf.cfg" in res["msg"] and "py.cfg" in res["msg"]
    assert {p["path"].rsplit("/", 1)[-1] for p in res["problems"]} == {"crlf.cfg", "py.cfg"}
    assert all(p["line"] for p in res["problems"])
    assert (cfgdir / "web01.cfg").read_bytes() == HVM


def test_missing_literal_path_fails_but_empty_glob_warns(tmp_path, capsys):
    res = run(nic_model, capsys, path=[str(tmp_path / "nope.cfg")], model="e1000")
    assert res["failed"] is True and "no such file" in res["msg"]
    res = run(nic_model, capsys, path=[str(tmp_path / "*.cfg")], model="e1000")
    assert res["changed"] is False and res["results"] == []
    # ansible-core 2.19 reports warnings as structured summaries, older releases as strings
    assert "matched no file" in json.dumps(res.get("warnings", []))


def test_nothing_to_do_is_an_error(cfgdir, capsys):
    res = run(nic_model, capsys, path=[str(cfgdir / "web01.cfg")])
    assert res["failed"] is True and "nothing to do" in res["msg"]


def test_libvirt_backend_without_binding_names_the_package(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "libvirt", None)  # makes "import libvirt" fail as on a host without it
    res = run(nic_model, capsys, backend="libvirt", model="virtio")
    assert res["failed"] is True
    assert "libvirt-python" in res["msg"] and "python3-libvirt" in res["msg"]


def test_info_reports_default_model(cfgdir, capsys):
    res = run(nic_model_info, capsys, path=[str(cfgdir / "web01.cfg")])
    assert res["changed"] is False
    dom = res["domains"][0]
    assert dom["domain"] == "web01" and dom["guest_type"] == "hvm" and dom["backend"] == "xen"
    nic = dom["nics"][0]
    assert (nic["model"], nic["model_explicit"], nic["bridge"]) == ("rtl8139", False, "xenbr0")


# --- VirtualBox: .vbox files through the shared file workflow, VMs through VBoxManage (the stand-in) ----------

VBOX = b"""<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Machine uuid="{6f1c7a52-0d4e-4a39-9c57-0a1b2c3d4e01}" name="web01" OSType="Debian_64">
    <Hardware>
      <Network>
        <Adapter slot="0" enabled="true" MACAddress="080027000001" type="82540EM">
          <NAT/>
        </Adapter>
        <Adapter slot="1" enabled="false" MACAddress="080027000002" type="Am79C973"/>
      </Network>
    </Hardware>
  </Machine>
</VirtualBox>
"""
STAND_IN = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "integration", "targets", "nic_model_virtualbox"
)


def test_vbox_file_check_mode_real_run_backup_and_audit(tmp_path, capsys):
    vbox = tmp_path / "web01.vbox"
    vbox.write_bytes(VBOX)
    want = VBOX.replace(b'type="82540EM"', b'type="virtio"')
    res = run(nic_model, capsys, check=True, diff=True, path=[str(tmp_path / "*.vbox")], model="virtio")
    assert res["changed"] is True and vbox.read_bytes() == VBOX
    assert res["diff"][0]["after"] == want.decode() and res["results"][0]["backend"] == "virtualbox"
    res = run(nic_model, capsys, path=[str(vbox)], model="virtio", backup=True)
    assert res["changed"] is True and vbox.read_bytes() == want
    assert open(res["results"][0]["backup_file"], "rb").read() == VBOX
    assert run(nic_model, capsys, path=[str(vbox)], model="virtio")["changed"] is False
    info = run(nic_model_info, capsys, path=[str(vbox)])["domains"][0]
    assert (info["backend"], info["domain"], [n["type"] for n in info["nics"]]) == (
        "virtualbox",
        "web01",
        ["virtio", "Am79C973"],
    )


def test_vms_go_through_vboxmanage_and_path_does_not(tmp_path, capsys, monkeypatch):
    state, log = tmp_path / "state.json", tmp_path / "calls.jsonl"
    adapters = [{"attachment": "nat", "type": "82540EM", "mac": "080027000001", "cable": True}, None]
    state.write_text(json.dumps({"vms": [{"name": "web01", "uuid": "u-1", "state": "poweroff", "adapters": adapters}]}))
    monkeypatch.setenv("PATH", "%s:%s" % (os.path.join(STAND_IN, "files"), os.environ["PATH"]))
    monkeypatch.setenv("NICTUNE_VBOX_STATE", str(state))
    monkeypatch.setenv("NICTUNE_VBOX_LOG", str(log))
    res = run(nic_model, capsys, backend="virtualbox", vms=["web01"], model="virtio")
    assert res["changed"] is True and res["results"][0]["state"] == "poweroff"
    assert json.loads(log.read_text().splitlines()[-2]) == ["modifyvm", "web01", "--nictype1", "virtio"]
    res = run(nic_model_info, capsys, vms=["web01"])
    assert [n["type"] for n in res["domains"][0]["nics"]] == ["virtio", None]
    res = run(nic_model, capsys, backend="virtualbox", vms=["web01"], path=[str(tmp_path / "*.vbox")], model="virtio")
    assert res["failed"] is True and "vms is only used" in res["msg"]


def test_vbox_latin1_file_diff_is_valid_utf8(tmp_path, capsys):
    vbox = tmp_path / "b.vbox"
    latin1 = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + VBOX[21:].replace(b"web01", "büro".encode("latin-1"))
    vbox.write_bytes(latin1)
    res = run(nic_model, capsys, check=True, diff=True, path=[str(vbox)], model="virtio")
    assert res["results"][0]["domain"] == "büro"
    for side in ("before", "after"):
        res["diff"][0][side].encode("utf-8")


# --- backend proxmox ------------------------------------------------------------------------------

PROXMOX_CONF = b"name: web01\nnet0: e1000=BC:24:11:2C:69:EC,bridge=vmbr0\nostype: l26\n"
QM_STAND_IN = """#!/bin/sh
printf '%s\\n' "$*" >> "$QM_LOG"
case "$1" in
  status) echo "status: running" ;;
  list) printf '      VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID\\n       100 web01 running 512 8.00 42\\n' ;;
esac
"""


@pytest.fixture
def conf(tmp_path):
    folder = tmp_path / "qemu-server"
    folder.mkdir()
    (folder / "100.conf").write_bytes(PROXMOX_CONF)
    return folder


@pytest.fixture
def qm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qm").write_text(QM_STAND_IN)
    (bin_dir / "qm").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ.get("PATH", "")))
    monkeypatch.setenv("QM_LOG", str(tmp_path / "qm.log"))
    return tmp_path / "qm.log"


def test_files_check_mode_then_real_run_with_backup(conf, capsys):
    args = {"backend": "proxmox", "proxmox_mode": "file", "path": [str(conf / "*.conf")], "model": "virtio"}
    res = run(nic_model, capsys, check=True, diff=True, **args)
    assert res["changed"] and (conf / "100.conf").read_bytes() == PROXMOX_CONF
    assert res["diff"][0]["after"] == PROXMOX_CONF.decode().replace("e1000=", "virtio=")
    res = run(nic_model, capsys, backup=True, **args)
    assert (conf / "100.conf").read_bytes() == PROXMOX_CONF.replace(b"e1000=", b"virtio=")
    assert open(res["results"][0]["backup_file"], "rb").read() == PROXMOX_CONF
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
