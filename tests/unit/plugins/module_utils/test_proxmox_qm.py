# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The qm path of the Proxmox backend and the qm restart, up to their boundary: no Proxmox VE host runs here,
so ``qm`` is a recording stand-in that answers ``list``/``status`` and, where a test says so, changes the
config file the way Proxmox would after ``qm set``."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox import qm
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.restart import restart_proxmox

MAC = "BC:24:11:2C:69:EC"
RUNNING = "name: web01\nnet0: e1000=%s,bridge=vmbr0,firewall=1\nnet1: rtl8139,bridge=vmbr1\nostype: l26\n" % MAC
STOPPED = "name: db01\nhotplug: disk,usb\nnet0: virtio=12:34:56:78:90:12,bridge=vmbr0\nostype: win10\n"
QM_LIST = """      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID
       100 web01                running    2048              32.00 4242
       101 db01                 stopped    4096              64.00 0
       102 VM 102               stopped    512                0.00 0
"""


class Qm:
    """Records qm invocations. ``on_set(argv)`` may change files as Proxmox would; ``set_rc``/``set_err`` its answer."""

    def __init__(self, states=QM_LIST, set_rc=0, set_err="", on_set=None):
        self.calls = []
        self.states = states
        self.set_rc, self.set_err, self.on_set = set_rc, set_err, on_set
        self.status = {"100": "running", "101": "stopped"}
        self.shutdown_rc = 0

    def __call__(self, argv):
        self.calls.append(argv[1:])
        verb = argv[1]
        if verb == "list":
            return 0, self.states, ""
        if verb == "status":
            if argv[2] not in self.status:
                return 2, "", "Configuration file 'nodes/pve1/qemu-server/%s.conf' does not exist" % argv[2]
            return 0, "status: %s\n" % self.status[argv[2]], ""
        if verb == "set":
            if self.on_set:
                self.on_set(argv)
            return self.set_rc, "", self.set_err
        if verb == "shutdown":
            if self.shutdown_rc == 0:
                self.status[argv[2]] = "stopped"
            return self.shutdown_rc, "", "VM quit/powerdown failed - got timeout" if self.shutdown_rc else ""
        if verb == "stop":
            self.status[argv[2]] = "stopped"
        if verb == "start":
            self.status[argv[2]] = "running"
        return 0, "", ""


@pytest.fixture
def vms(tmp_path):
    folder = tmp_path / "qemu-server"
    folder.mkdir()
    (folder / "100.conf").write_text(RUNNING)
    (folder / "101.conf").write_text(STOPPED)
    return folder


def params(folder, **extra):
    out = {"backend": "proxmox", "path": [str(folder / "*.conf")], "model": "virtio", "proxmox_mode": "qm",
           "proxmox_pending": "skip", "match": None}  # fmt: skip
    out.update(extra)
    return out


def test_running_vm_goes_through_qm_set_with_the_exact_command_line(vms, make_host):
    stand_in = Qm()
    host = make_host(commands={"qm": stand_in})
    res = run.apply(host, params(vms))
    digest = hashlib.sha1(RUNNING.encode()).hexdigest()
    assert stand_in.calls == [
        ["list"],
        [
            "set",
            "100",
            "--digest",
            digest,
            "--net0",
            "virtio=%s,bridge=vmbr0,firewall=1" % MAC,
            "--net1",
            "virtio,bridge=vmbr1",
        ],
    ]  # fmt: skip  (101 is already virtio: no qm set for it)
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert web["changed"] and web["via"] == "qm" and web["state"] == "running"
    # Proxmox hot-swaps where hotplug includes network (the default): no restart expected
    assert web["live"] is True and web["restart_required"] is False
    # the stand-in did not change the file: the result says what Proxmox was expected to do, with a warning
    assert any("does not show the new net0, net1" in w for w in host.warnings)
    assert (vms / "100.conf").read_text() == RUNNING  # nothing written by the module itself
    db = next(r for r in res["results"] if r["vmid"] == "101")
    assert not db["changed"] and db["state"] == "stopped"


def test_check_mode_runs_only_qm_list_and_shows_the_command(vms, make_host):
    stand_in = Qm()
    res = run.apply(make_host(check_mode=True, diff_mode=True, commands={"qm": stand_in}), params(vms))
    assert stand_in.calls == [["list"]]
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert web["qm_command"][:3] == ["qm", "set", "100"] and res["changed"]
    assert res["diff"][0]["after"] == RUNNING.replace("e1000=", "virtio=").replace("rtl8139,", "virtio,")


def _proxmox_writes(folder, where):
    """What Proxmox does after qm set: the value in [PENDING] (``pending``) or in the configuration (``applied``)."""

    def on_set(argv):
        path = folder / ("%s.conf" % argv[2])
        text = path.read_text()
        values = dict(zip(argv[5::2], argv[6::2]))
        if where == "pending":
            text += "\n[PENDING]\n" + "".join("%s: %s\n" % (k[2:], v) for k, v in values.items())
        else:
            lines = text.splitlines(True)
            for option, value in values.items():
                key = option[2:]
                # Proxmox writes its own item order and adds a random MAC where none was written
                written = value if "=" in value.split(",")[0] else value.replace("virtio,", "virtio=BC:24:11:00:00:07,")
                lines = [("%s: %s\n" % (key, written)) if ln.startswith(key + ":") else ln for ln in lines]
            text = "".join(lines)
        path.write_text(text)

    return on_set


def test_hot_swap_confirmed_from_the_file_qm_wrote(vms, make_host):
    host = make_host(commands={"qm": Qm(on_set=_proxmox_writes(vms, "applied"))})
    res = run.apply(host, params(vms))
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert [n.get("qm") for n in web["nics"]] == ["applied", "applied"]
    assert web["live"] is True and web["restart_required"] is False
    assert [w.split(": ", 2)[1:] for w in host.warnings] == [
        ["net1 has no MAC address", "qm set makes Proxmox write a random one (as its API does for every NIC set "
         "without one); set macaddr to keep one"]
    ]  # fmt: skip


def test_change_left_pending_by_a_failed_hot_swap_is_reported_not_failed(vms, make_host):
    stand_in = Qm(on_set=_proxmox_writes(vms, "pending"), set_rc=255,
                  set_err="400 Parameter verification failed.\nnet0: hotplug problem - unable to unplug")  # fmt: skip
    host = make_host(commands={"qm": stand_in})
    res = run.apply(host, params(vms))
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert [n.get("qm") for n in web["nics"]] == ["pending", "pending"]
    assert web["live"] is False and web["restart_required"] is True
    assert any("could not hot-swap net0, net1" in w and "hotplug problem" in w for w in host.warnings)
    # next run: the change is pending with the target model, so nothing to do but the restart
    again = run.apply(make_host(commands={"qm": Qm()}), params(vms))
    web = next(r for r in again["results"] if r["vmid"] == "100")
    assert not again["changed"] and web["restart_required"] is True
    assert "pending" in web["nics"][0]["reason"]


def test_qm_set_failure_without_a_pending_change_fails_the_task(vms, make_host):
    host = make_host(commands={"qm": Qm(set_rc=2, set_err="VM is locked (backup)")})
    with pytest.raises(NicTuneError, match=r"qm set 100 failed \(rc 2\): VM is locked \(backup\)"):
        run.apply(host, params(vms))


def test_running_vm_without_network_hotplug_waits_for_a_restart(vms, make_host):
    (vms / "100.conf").write_text("hotplug: disk\n" + RUNNING)
    res = run.apply(make_host(check_mode=True, commands={"qm": Qm()}), params(vms))
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert web["live"] is False and web["restart_required"] is True and web["hotplug_network"] is False


def test_stopped_vm_also_goes_through_qm_and_needs_a_start(vms, make_host):
    stand_in = Qm()
    res = run.apply(make_host(commands={"qm": stand_in}), params(vms, model="e1000e"))
    db = next(r for r in res["results"] if r["vmid"] == "101")
    assert db["changed"] and db["live"] is False and db["restart_required"] is True
    assert stand_in.calls[-1][:2] == ["set", "101"]


def test_auto_uses_files_without_qm_and_qm_mode_needs_qm(vms, make_host):
    host = make_host()
    res = run.apply(host, params(vms, proxmox_mode="auto"))
    assert all(r["via"] == "file" for r in res["results"]) and host.calls == []
    assert "virtio=%s" % MAC in (vms / "100.conf").read_text()
    with pytest.raises(NicTuneError, match="this host has no qm program"):
        run.apply(make_host(), params(vms))


def test_file_mode_never_asks_qm(vms, make_host):
    stand_in = Qm()
    run.apply(make_host(commands={"qm": stand_in}), params(vms, proxmox_mode="file"))
    assert stand_in.calls == []


def test_vm_of_another_node_is_refused_for_qm(tmp_path, make_host, monkeypatch):
    folder = tmp_path / "nodes" / "pve2" / "qemu-server"
    folder.mkdir(parents=True)
    (folder / "100.conf").write_text(RUNNING)
    monkeypatch.setattr(qm, "local_node", lambda root="/etc/pve": "pve1")
    with pytest.raises(NicTuneError, match="VM 100 lives on node pve2 and qm works on this node \\(pve1\\) only"):
        run.apply(make_host(commands={"qm": Qm()}), params(folder))


def test_info_reports_state_from_one_qm_list(vms, make_host):
    stand_in = Qm()
    res = run.info(make_host(commands={"qm": stand_in}), {"backend": "proxmox", "path": [str(vms / "*.conf")]})
    assert stand_in.calls == [["list"]]
    assert {d["vmid"]: d["state"] for d in res["domains"]} == {"100": "running", "101": "stopped"}
    web = res["domains"][0]
    assert (web["domain"], web["platform"], web["backend"], web["hotplug_network"]) == (
        "web01",
        "proxmox",
        "proxmox",
        True,
    )


def test_auto_backend_claims_proxmox_paths_and_vmids(vms, make_host):
    res = run.info(make_host(), {"backend": "auto", "path": [str(vms / "*.conf")], "proxmox_mode": "file"})
    assert {d["backend"] for d in res["domains"]} == {"proxmox"}
    with pytest.raises(NicTuneError, match="no such file"):
        run.info(make_host(), {"backend": "auto", "vmids": [999999], "proxmox_mode": "file"})


def test_qm_list_names_with_blanks():
    assert qm.parse_qm_list(QM_LIST) == {"100": "running", "101": "stopped", "102": "stopped"}


# --- restart ---------------------------------------------------------------------------------------------


def test_restart_running_vm_shuts_down_then_starts(make_host):
    stand_in = Qm()
    res = restart_proxmox(make_host(commands={"qm": stand_in}), 100, 90)
    assert res == {"changed": True, "was_running": True, "method": "shutdown"}
    assert stand_in.calls == [["status", "100"], ["shutdown", "100", "--timeout", "90"], ["start", "100"]]


def test_restart_stops_hard_when_shutdown_times_out(make_host):
    stand_in = Qm()
    stand_in.shutdown_rc = 255
    res = restart_proxmox(make_host(commands={"qm": stand_in}), "100", 5)
    assert res["method"] == "stop"
    assert stand_in.calls[-2:] == [["stop", "100"], ["start", "100"]]


def test_restart_of_stopped_vm_just_starts_and_check_mode_only_asks(make_host):
    stand_in = Qm()
    res = restart_proxmox(make_host(check_mode=True, commands={"qm": stand_in}), 101, 5)
    assert res["method"] == "start" and stand_in.calls == [["status", "101"]]
    res = restart_proxmox(make_host(commands={"qm": stand_in}), 101, 5)
    assert stand_in.calls[-1] == ["start", "101"]


def test_restart_errors_name_the_vm(make_host):
    with pytest.raises(NicTuneError, match=r"qm status 555 failed.*does not exist"):
        restart_proxmox(make_host(commands={"qm": Qm()}), 555, 5)
    with pytest.raises(NicTuneError, match="vmid: 'web01' is not a VM id"):
        restart_proxmox(make_host(commands={"qm": Qm()}), "web01", 5)


def test_a_config_that_cannot_be_read_after_qm_set_is_a_warning(vms, make_host):
    host = make_host(commands={"qm": Qm(on_set=lambda argv: (vms / "100.conf").write_text("[:3]\n"))})
    res = run.apply(host, params(vms))
    web = next(r for r in res["results"] if r["vmid"] == "100")
    assert [n.get("qm") for n in web["nics"]] == ["unknown", "unknown"]
    assert any("cannot read" in w and "unknown section [:3]" in w for w in host.warnings)
