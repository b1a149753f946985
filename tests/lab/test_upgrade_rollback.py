# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback path on the lab: with the readiness gate overridden, the novirtio guest (no driver for
anything better than rtl8139) is switched to virtio, stops answering, is rolled back automatically and
answers again; the report says rolled_back with the reason.

Runs against a lab that is up (playbooks/lab_up.yml); skips with a reason otherwise. Leaves the guest
as it found it: rtl8139, running.
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


def _model(lab):
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python is needed to read the lab's definitions")
    conn = libvirt.openReadOnly(lab["uri"])
    try:
        xml = conn.lookupByName(lab["domain"]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    finally:
        conn.close()
    return ET.fromstring(xml).find("./devices/interface/model").get("type")


def test_switched_guest_that_stops_answering_is_rolled_back(lab, tmp_path):
    assert _model(lab) == "rtl8139", "the lab guest must start on rtl8139"
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
                    "nic_model_wait_timeout": 60,
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
    assert "did not answer within 60 s after the switch to virtio" in guest["reason"], guest
    assert (guest["before_model"], guest["after_model"]) == ("rtl8139", "rtl8139")
    assert _model(lab) == "rtl8139"
    ping = _ping()
    assert ping.returncode == 0, "the guest does not answer after the rollback: " + ping.stdout[-1000:]
