# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade_nics.yml on a VirtualBox host, up to VirtualBox's boundary: no VirtualBox runs here, so
VBoxManage is the recording stand-in of the nic_model_virtualbox integration target. A running VM cannot be changed
under VirtualBox's feet: the upgrade stops it, changes the adapter, starts it, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
STANDIN = os.path.join(ROOT, "tests", "integration", "targets", "nic_model_virtualbox", "files")
VENV_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
ANSIBLE_PLAYBOOK = VENV_PLAYBOOK if os.path.exists(VENV_PLAYBOOK) else shutil.which("ansible-playbook")

pytestmark = pytest.mark.skipif(
    ANSIBLE_PLAYBOOK is None or not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "nictune")),
    reason="needs ansible-playbook and the collection in .build/collections (scripts/setup.sh)",
)

UUID = "0b4f1a32-6a57-4e53-9d5c-2f3c1a0e7b11"
VM = {
    "name": "web01",
    "uuid": UUID,
    "state": "running",
    "ostype": "Debian_64",
    "acpi_polls": 1,
    "adapters": [{"attachment": "bridged", "type": "82540EM", "mac": "080027A1B2C3", "cable": "on", "network": "eth0"}]
    + [None] * 7,
}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vbox-upgrade")
    bindir = tmp / "bin"
    shutil.copytree(STANDIN, bindir, ignore=shutil.ignore_patterns("*.vbox", "expected"))
    os.chmod(bindir / "VBoxManage", 0o755)
    (tmp / "state.json").write_text(json.dumps({"vms": [VM]}))
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    inventory = {
        "all": {
            "vars": {"nic_model_readiness_gate": False, "nic_model_probe": False, "nic_model_shutdown_timeout": 5},
            "children": {
                "hypervisors": {"hosts": {"vbox-host": dict(local, nic_model_backend="virtualbox")}},
                "guests": {"hosts": {"web01": dict(local, nic_model_hypervisor="vbox-host", nic_model_wait_timeout=5)}},
            },
        }
    }
    (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="1",
        PATH="%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")),
        NICTUNE_VBOX_STATE=str(tmp / "state.json"),
        NICTUNE_VBOX_LOG=str(tmp / "calls.jsonl"),
    )
    runs = []
    for name in ("first", "second"):
        cmd = [ANSIBLE_PLAYBOOK, "-i", str(tmp / "inventory.yml"), os.path.join(ROOT, "playbooks", "upgrade_nics.yml")]
        cmd += ["-e", "nictune_report_dir=%s" % (tmp / name)]
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=str(tmp))
        assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
        runs.append(run.stdout)
    calls = [json.loads(line) for line in (tmp / "calls.jsonl").read_text().splitlines()]
    state = json.loads((tmp / "state.json").read_text())["vms"][0]
    return {"tmp": tmp, "runs": runs, "calls": calls, "state": state}


def test_running_vm_is_stopped_changed_and_started(upgraded):
    changes = [c for c in upgraded["calls"] if c[0] in ("controlvm", "modifyvm", "startvm")]
    assert changes == [
        ["controlvm", UUID, "acpipowerbutton"],
        ["modifyvm", UUID, "--nictype1", "virtio"],
        ["startvm", UUID, "--type", "headless"],
    ]
    assert upgraded["state"]["state"] == "running" and upgraded["state"]["adapters"][0]["type"] == "virtio"
    assert upgraded["state"]["adapters"][0]["mac"] == "080027A1B2C3"


def test_report_says_switched_then_nothing_to_change(upgraded):
    with open(upgraded["tmp"] / "first" / "report.json", encoding="utf-8") as handle:
        first = {g["name"]: g for g in json.load(handle)["guests"]}
    assert (first["web01"]["decision"], first["web01"]["before_model"], first["web01"]["after_model"]) == (
        "switched",
        "e1000",
        "virtio",
    )
    assert "nothing to change: 1 kept" in upgraded["runs"][1]
