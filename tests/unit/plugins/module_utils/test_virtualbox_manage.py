# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nic_model / nic_model_info through VBoxManage, up to VirtualBox's boundary: no VirtualBox runs here, so
VBoxManage is the recording stand-in of the integration target, and the tests check the exact commands."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox import backend, manage

WEB = "6f1c7a52-0d4e-4a39-9c57-0a1b2c3d4e01"
DB = "6f1c7a52-0d4e-4a39-9c57-0a1b2c3d4e02"


def nic(vbox_type, attachment="nat", mac="080027000001", network=None):
    return {"attachment": attachment, "type": vbox_type, "mac": mac, "network": network, "cable": True}


def machines(web_state="poweroff", db_state="running"):
    return [
        {
            "name": "web01",
            "uuid": WEB,
            "state": web_state,
            "cfg": "/vms/web01/web01.vbox",
            "ostype": "Debian_64",
            "adapters": [
                nic("82540EM"),
                nic("Am79C973", "bridged", "080027000002", "eth0"),
                None,
                nic("virtio", "intnet", "080027000004", "lab"),
            ],
        },
        {
            "name": "db01",
            "uuid": DB,
            "state": db_state,
            "cfg": "/vms/db01/db01.vbox",
            "adapters": [nic("82540EM", mac="0800270000DB"), None],
        },
    ]


def options(model="virtio", match=None):
    return {"model": model, "match": normalise_match(match)}


@pytest.fixture
def host(make_host, vboxmanage):
    def build(vms=None, check_mode=False, diff_mode=False):
        stand_in = vboxmanage(machines() if vms is None else vms)
        made = make_host(check_mode=check_mode, diff_mode=diff_mode, commands={"VBoxManage": stand_in})
        made.vbox = stand_in
        return made

    return build


def modifies(h):
    return [c for c in h.vbox.calls if c[0] == "modifyvm"]


def test_vm_by_name_gets_the_exact_modifyvm_command(host):
    h = host()
    res = manage.apply(h, {"vms": ["web01"]}, options())
    assert modifies(h) == [["modifyvm", "web01", "--nictype1", "virtio", "--nictype2", "virtio"]]
    web = res["results"][0]
    assert res["changed"] and web["changed"] and web["restart_required"]
    assert (web["domain"], web["uuid"], web["path"], web["state"], web["backend"]) == (
        "web01",
        WEB,
        "/vms/web01/web01.vbox",
        "poweroff",
        "virtualbox",
    )
    assert [n["type_after"] for n in web["nics"]] == ["virtio", "virtio", None, "virtio"]
    assert [n["vboxmanage_index"] for n in web["nics"] if n["changed"]] == [1, 2]
    assert web["nics"][2]["skipped"] and web["nics"][2]["reason"] == "adapter disabled"
    assert web["nics"][1]["mac"] == "08:00:27:00:00:02" and web["nics"][1]["bridge"] == "eth0"
    assert [a["type"] for a in h.vbox.vms()["web01"]["adapters"] if a] == ["virtio", "virtio", "virtio"]
    again = manage.apply(h, {"vms": ["web01"]}, options())
    assert not again["changed"] and len(modifies(h)) == 1


def test_running_vm_is_pending_and_never_modified(host):
    h = host()
    res = manage.apply(h, {"vms": ["db01", "web01"]}, options())
    db, web = res["results"]
    assert db["pending"] and db["skipped"] and not db["changed"] and db["state"] == "running"
    assert "powered off" in db["reason"] and db["nics"][0]["pending"] and db["nics"][0]["type_after"] == "82540EM"
    assert web["changed"] and not web["pending"]
    assert [c[1] for c in modifies(h)] == ["web01"]


@pytest.mark.parametrize("state", ["saved", "paused", "aborted"])
def test_states(host, state):
    h = host(machines(web_state=state))
    res = manage.apply(h, {"vms": ["web01"]}, options())
    web = res["results"][0]
    assert web["changed"] is (state == "aborted") and web["pending"] is (state != "aborted")
    if state == "saved":
        assert "saved state" in web["reason"]


def test_check_mode_and_diff_run_no_modifyvm(host):
    h = host(check_mode=True, diff_mode=True)
    res = manage.apply(h, {"vms": [WEB]}, options())
    assert res["changed"] and modifies(h) == []
    assert res["diff"][0]["before"].splitlines()[:2] == ['nic1="nat"', 'nictype1="82540EM"']
    assert 'nictype1="virtio"' in res["diff"][0]["after"] and 'nic3="none"' in res["diff"][0]["after"]
    assert res["diff"][0]["before_header"] == "VM web01 (VBoxManage showvminfo, before)"


def test_real_run_diff_comes_from_the_read_back(host):
    h = host(diff_mode=True)
    res = manage.apply(h, {"vms": ["web01"]}, options(match={"attachment": "bridged"}))
    assert modifies(h) == [["modifyvm", "web01", "--nictype2", "virtio"]]
    assert 'nictype2="virtio"' in res["diff"][0]["after"] and 'nictype1="82540EM"' in res["diff"][0]["after"]
    assert h.vbox.calls[-1] == ["showvminfo", "web01", "--machinereadable"]


def test_every_vm_when_none_is_named(host):
    h = host(machines(db_state="poweroff"))
    res = manage.apply(h, {}, options())
    assert [r["domain"] for r in res["results"]] == ["web01", "db01"]
    assert [c[1] for c in modifies(h)] == [WEB, DB]


def test_missing_vm_changes_nothing(host):
    h = host()
    with pytest.raises(NicTuneError) as err:
        manage.apply(h, {"vms": ["web01", "nope"]}, options())
    assert "VM nope" in str(err.value) and "nothing was changed" in str(err.value)
    assert modifies(h) == []


def test_refused_modifyvm_restores_the_vms_changed_before(host):
    vms = machines(db_state="poweroff")
    vms[1]["adapters"][0]["type"] = "Am79C973"
    h = host(vms)

    def refusing(argv):
        if argv[1] == "modifyvm" and argv[2] == "db01":
            return 1, "", "VBoxManage: error: The machine is locked"
        return h.vbox(argv)

    h.commands["VBoxManage"] = refusing
    with pytest.raises(NicTuneError) as err:
        manage.apply(h, {"vms": ["web01", "db01"]}, options("e1000"))
    assert "VM db01" in str(err.value) and "1 VM(s) changed before were restored" in str(err.value)
    assert modifies(h) == [
        ["modifyvm", "web01", "--nictype2", "82540EM", "--nictype4", "82540EM"],
        ["modifyvm", "web01", "--nictype2", "Am79C973", "--nictype4", "virtio"],
    ]
    assert [a["type"] for a in h.vbox.vms()["web01"]["adapters"] if a] == ["82540EM", "Am79C973", "virtio"]


def test_read_back_must_show_the_new_type(host):
    h = host()

    def forgetful(argv):
        if argv[1] == "modifyvm":
            h.calls.append(["(ignored)"])
            return 0, "", ""
        return h.vbox(argv)

    h.commands["VBoxManage"] = forgetful
    with pytest.raises(NicTuneError, match="reads back adapter type 82540EM instead of virtio"):
        manage.apply(h, {"vms": ["web01"]}, options())


def test_not_installed(make_host):
    h = make_host()
    h.which = lambda name: None
    for call in (lambda: manage.apply(h, {"vms": ["x"]}, options()), lambda: manage.info(h, {})):
        with pytest.raises(NicTuneError, match="VBoxManage is not installed"):
            call()


def test_domains_option_is_for_libvirt(host):
    with pytest.raises(NicTuneError, match="give vms"):
        manage.apply(host(), {"domains": ["x"]}, options())


def test_info_every_vm_every_adapter(host):
    h = host()
    res = manage.info(h, {})
    web, db = res["domains"]
    assert (web["domain"], web["uuid"], web["state"], web["path"], web["os_type"]) == (
        "web01",
        WEB,
        "poweroff",
        "/vms/web01/web01.vbox",
        "Debian_64",
    )
    assert [(n["slot"], n["enabled"], n["type"], n["model"], n["attachment"]) for n in web["nics"]] == [
        (0, True, "82540EM", "e1000", "nat"),
        (1, True, "Am79C973", "pcnet", "bridged"),
        (2, False, None, None, None),
        (3, True, "virtio", "virtio", "intnet"),
    ]
    assert web["nics"][3]["bridge"] == "lab" and web["nics"][0]["cable_connected"] is True
    assert db["state"] == "running" and not res["changed"]
    assert not modifies(h)


def test_file_backend_asks_virtualbox_which_machines_it_holds(host):
    h = host(machines(web_state="running"))
    facts = backend.host_facts(h)
    assert facts == {
        "vboxmanage": True,
        "registered": {WEB: "web01", DB: "db01"},
        "running": {WEB: "web01", DB: "db01"},
    }
    h.which = lambda name: None
    assert backend.host_facts(h)["vboxmanage"] is False


def test_machinereadable_parsing():
    text = 'name="a=b"\n"SATA-0-0"="/x.vdi"\nmemory=512\nbroken line\n'
    assert manage.parse_machinereadable(text) == {"name": "a=b", "SATA-0-0": "/x.vdi", "memory": "512"}
