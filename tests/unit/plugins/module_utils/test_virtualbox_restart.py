# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop/start/restart of a VirtualBox VM: the VBoxManage command sequence up to its boundary (no VirtualBox
runs here; VBoxManage is the recording stand-in of the integration target)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox.restart import (
    restart_virtualbox,
    start_virtualbox,
    stop_virtualbox,
)


def fast():
    clock = iter(range(10**6))
    return dict(sleep=lambda s: None, clock=lambda: next(clock))


@pytest.fixture
def vm_host(make_host, vboxmanage):
    def build(state="running", acpi_polls=2, check_mode=False):
        stand_in = vboxmanage(
            [{"name": "web01", "uuid": "u-1", "state": state, "acpi_polls": acpi_polls, "adapters": []}]
        )
        host = make_host(check_mode=check_mode, commands={"VBoxManage": stand_in})
        host.vbox = stand_in
        return host

    return build


def actions(host):
    return [c for c in host.vbox.calls if c[0] != "showvminfo"]


def test_running_vm_answers_acpi_and_is_started_headless(vm_host):
    host = vm_host(acpi_polls=2)
    res = restart_virtualbox(host, "web01", 30, **fast())
    assert res == {"changed": True, "was_running": True, "method": "shutdown"}
    assert actions(host) == [
        ["controlvm", "web01", "acpipowerbutton"],
        ["startvm", "web01", "--type", "headless"],
    ]
    assert host.vbox.vms()["web01"]["state"] == "running"


def test_vm_ignoring_acpi_is_powered_off_after_the_timeout(vm_host):
    host = vm_host(acpi_polls=None)
    res = restart_virtualbox(host, "web01", 3, **fast())
    assert res["method"] == "destroy"
    assert actions(host) == [
        ["controlvm", "web01", "acpipowerbutton"],
        ["controlvm", "web01", "poweroff"],
        ["startvm", "web01", "--type", "headless"],
    ]


@pytest.mark.parametrize("state", ["poweroff", "aborted", "saved"])
def test_stopped_vm_is_just_started(vm_host, state):
    host = vm_host(state=state)
    res = restart_virtualbox(host, "web01", 3, **fast())
    assert res == {"changed": True, "was_running": False, "method": "start"}
    assert actions(host) == [["startvm", "web01", "--type", "headless"]]


def test_check_mode_runs_nothing_that_changes(vm_host):
    host = vm_host(check_mode=True)
    res = restart_virtualbox(host, "web01", 3, **fast())
    assert res == {"changed": True, "was_running": True, "method": "shutdown"}
    assert actions(host) == []


def test_stop_then_start_for_a_pending_change(vm_host):
    host = vm_host(acpi_polls=1)
    stopped = stop_virtualbox(host, "web01", 30, **fast())
    assert stopped == {"changed": True, "was_running": True, "method": "shutdown", "state": "poweroff"}
    assert stop_virtualbox(host, "web01", 30, **fast())["changed"] is False
    assert start_virtualbox(host, "web01") == {"changed": True, "was_running": False, "method": "start"}
    assert start_virtualbox(host, "web01")["changed"] is False
    assert actions(host) == [["controlvm", "web01", "acpipowerbutton"], ["startvm", "web01", "--type", "headless"]]


def test_unknown_vm_and_missing_vboxmanage(vm_host, make_host):
    with pytest.raises(NicTuneError, match="VM nope: VBoxManage: error: Could not find a registered machine"):
        restart_virtualbox(vm_host(), "nope", 3, **fast())
    host = make_host()
    host.which = lambda name: None
    with pytest.raises(NicTuneError, match="VBoxManage is not installed"):
        restart_virtualbox(host, "web01", 3, **fast())


def test_refused_start_names_the_vm(vm_host):
    host = vm_host(state="poweroff")
    original = host.commands["VBoxManage"]
    host.commands["VBoxManage"] = lambda argv: (1, "", "no") if argv[1] == "startvm" else original(argv)
    with pytest.raises(NicTuneError, match="VBoxManage startvm --type headless failed for VM web01: no"):
        start_virtualbox(host, "web01")


def test_paused_vm_or_refused_power_button_is_powered_off(vm_host):
    host = vm_host(state="paused")
    assert stop_virtualbox(host, "web01", 30, **fast())["method"] == "destroy"
    assert actions(host) == [["controlvm", "web01", "poweroff"]]
    host = vm_host(state="running")
    original = host.commands["VBoxManage"]
    host.commands["VBoxManage"] = lambda argv: (1, "", "no ACPI") if argv[-1] == "acpipowerbutton" else original(argv)
    assert stop_virtualbox(host, "web01", 30, **fast()) == {
        "changed": True,
        "was_running": True,
        "method": "destroy",
        "state": "poweroff",
    }
