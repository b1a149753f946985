# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iperf_probe role in a play with ``serial``: each batch probes its own guests only (the choice by measuring
tries one sample guest at a time); and a malformed probe setting stops the role before a guest or an endpoint is
touched. Two guests with the local connection, an endpoint on loopback, real iperf3."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
ANSIBLE_PLAYBOOK = VENV_PLAYBOOK if os.path.exists(VENV_PLAYBOOK) else shutil.which("ansible-playbook")

pytestmark = pytest.mark.skipif(
    ANSIBLE_PLAYBOOK is None
    or shutil.which("iperf3") is None
    or not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "nictune")),
    reason="needs ansible-playbook, iperf3 and the collection in .build/collections (scripts/setup.sh)",
)

PLAY = [
    {
        "name": "Probe one guest at a time",
        "hosts": "guests",
        "gather_facts": False,
        "serial": 1,
        "tasks": [
            {
                "name": "Probe",
                "ansible.builtin.include_role": {"name": "nictune.fleet.iperf_probe"},
                "vars": {"iperf_probe_report_subdir": "{{ inventory_hostname }}"},
            }
        ],
    }
]


def _local_probe(tmp_path, extra_vars=()):
    """Run PLAY on two local guests with an endpoint on loopback; the run, and the directories it would use."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    inventory = {
        "all": {
            "vars": {"iperf_probe_duration": 1, "iperf_probe_omit": 0, "iperf_probe_start_margin": 3,
                     "iperf_probe_port": port, "nictune_report_dir": str(tmp_path / "reports")},
            "children": {
                "guests": {"hosts": {g: dict(local, iperf_probe_remote_dir=str(tmp_path / g)) for g in ("a", "b")}},
                "iperf_endpoints": {"hosts": {"ep": dict(local, iperf_probe_endpoint_address="127.0.0.1",
                                                         iperf_probe_remote_dir=str(tmp_path / "ep"))}},
            },
        }
    }  # fmt: skip
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAY, sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    argv = [ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")]
    for item in extra_vars:
        argv += ["-e", item]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, cwd=str(tmp_path))


def test_each_batch_probes_its_own_guests(tmp_path):
    run = _local_probe(tmp_path)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    for guest in ("a", "b"):
        rows = json.loads((tmp_path / "reports" / guest / "report.json").read_text())["results"]
        assert {(r["host"], r["direction"]) for r in rows} == {(guest, "send"), (guest, "receive")}
        assert all(r["error"] is None for r in rows), rows


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("iperf_probe_window=4X", "iperf_probe_window must look like 4M"),
        ("iperf_probe_duration=ten", "argument 'iperf_probe_duration' is of type str"),  # the argument spec
        ("iperf_probe_parallel=0", "iperf_probe_parallel must be"),
    ],
)
def test_a_malformed_setting_is_refused_before_anything_is_touched(tmp_path, setting, said):
    run = _local_probe(tmp_path, [setting])
    out = run.stdout + run.stderr
    assert run.returncode != 0 and said in out, out[-3000:]
    # neither a guest nor the endpoint was prepared: no working directory made, no server started
    assert not any((tmp_path / d).exists() for d in ("a", "b", "ep")), sorted(os.listdir(tmp_path))
    assert "Prepare the guests" not in out
