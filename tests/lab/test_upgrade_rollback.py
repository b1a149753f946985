# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback path on the lab: with the readiness gate overridden, the novirtio guest (no driver for virtio) is
switched to virtio, stops answering, is rolled back automatically, the way it was switched (live: the NIC swapped
back in the running domain; cold: the definition and a restart), and answers again; the report says rolled_back with
the reason and the outage; the running and the persistent definitions each hold exactly the NICs they held before.

Runs against a lab that is up (playbooks/lab_up.yml); skips with a reason otherwise. Leaves the guest
as it found it (rtl8139 on a fresh lab, e1000 after a main job), running.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))
GUEST = "lab-novirtio"


def _env():
    paths = [os.path.join(ROOT, ".build", "collections"), os.path.join(ROOT, ".build", "ansible-pkg")]
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=":".join(paths), ANSIBLE_NOCOLOR="1")


def _bin(name):
    venv = os.path.join(ROOT, ".venv", "bin", name)
    return venv if os.path.exists(venv) else name


def _ping():
    return subprocess.run(
        [_bin("ansible"), "-i", INVENTORY, GUEST, "-m", "ansible.builtin.ping"],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def lab():
    if not os.path.exists(INVENTORY):
        pytest.skip("the lab is not up (no %s): run playbooks/lab_up.yml" % INVENTORY)
    ping = _ping()
    if ping.returncode:
        pytest.skip("the lab guest %s does not answer: %s" % (GUEST, ping.stdout[-500:]))
    with open(INVENTORY) as handle:
        inv = yaml.safe_load(handle)["all"]["children"]
    uri = inv["hypervisors"]["hosts"]["lab-hypervisor"]["nic_model_uri"]
    domain = inv["lab_ssh"]["children"]["guests"]["hosts"][GUEST]["nic_model_domain"]
    return {"uri": uri, "domain": domain}


def _nics(lab):
    """``(persistent, running)``: each the NICs of the domain as (MAC, model), in order."""
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python is needed to read the lab's definitions")
    conn = libvirt.openReadOnly(lab["uri"])
    try:
        dom = conn.lookupByName(lab["domain"])
        out = []
        for flags in (libvirt.VIR_DOMAIN_XML_INACTIVE, 0):
            root = ET.fromstring(dom.XMLDesc(flags))
            out.append(
                [
                    (i.find("mac").get("address"), i.find("model").get("type"))
                    for i in root.findall("./devices/interface")
                ]
            )
    finally:
        conn.close()
    return tuple(out)


def _boot_id():
    run = subprocess.run(
        [
            _bin("ansible"),
            "-i",
            INVENTORY,
            GUEST,
            "-m",
            "ansible.builtin.command",
            "-a",
            "cat /proc/sys/kernel/random/boot_id",
        ],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("method", ["live", "cold"])
def test_switched_guest_that_stops_answering_is_rolled_back(lab, tmp_path, method):
    before = _nics(lab)
    # rtl8139 on a fresh lab, e1000 after a main job (the AWX runner test runs one): never virtio, it has no driver
    start = [model for _mac, model in before[0]]
    assert len(start) == 1 and start[0] in ("rtl8139", "e1000"), "the lab guest must start on one NIC: %s" % (before,)
    assert before[1] == before[0], "the running domain must match its definition: %s" % (before,)
    boot_id = _boot_id()
    report_dir = tmp_path / "report"
    run = subprocess.run(
        [
            _bin("ansible-playbook"),
            "-i",
            INVENTORY,
            os.path.join(ROOT, "playbooks", "upgrade_nics.yml"),
            "-e",
            json.dumps(
                {
                    "nictune_guests_group": GUEST,
                    "nictune_report_dir": str(report_dir),
                    "nic_model_readiness_gate": False,
                    "nic_model_switch": method,
                    "nic_model_wait_timeout": 45,
                    "nic_model_shutdown_timeout": 20,
                    "nic_model_probe": False,
                }
            ),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    report = json.loads((report_dir / "report.json").read_text())
    guest = {g["name"]: g for g in report["guests"]}[GUEST]
    assert guest["decision"] == "rolled_back", guest
    assert "did not answer within 45 s after the %s switch to virtio" % method in guest["reason"], guest
    assert (guest["before_model"], guest["after_model"]) == (start[0], start[0])
    assert guest["method"] == method, guest
    assert guest["outage_s"] is not None and guest["outage_s"] > 0, guest
    # exactly the NICs it had, in the definition and in the running domain: no second NIC left attached
    assert _nics(lab) == before
    ping = _ping()
    assert ping.returncode == 0, "the guest does not answer after the rollback: " + ping.stdout[-1000:]
    rebooted = _boot_id() != boot_id
    assert rebooted == (method == "cold"), "boot id changed: %s, after a %s switch and rollback" % (rebooted, method)
