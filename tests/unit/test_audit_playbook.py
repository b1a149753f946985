# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit_nics.yml on the README's sample inventory (docs/examples/inventory-sample.yml), end to end.

Runs ansible-playbook with the collection from .build/collections into a temporary report directory, then checks the
per-hypervisor summary line, audit.json and audit.csv (one row per domain NIC) and the nictune_report published with
set_stats: web01 (HVM, rtl8139 by default), db01 (two NICs: rtl8139 and e1000), pv01 (PV, no model).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
INVENTORY = os.path.join(ROOT, "docs", "examples", "inventory-sample.yml")
PLAYBOOK = os.path.join(ROOT, "playbooks", "audit_nics.yml")
XEN = os.path.join(ROOT, "docs", "examples", "xen")
VENV_PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
ANSIBLE_PLAYBOOK = VENV_PLAYBOOK if os.path.exists(VENV_PLAYBOOK) else shutil.which("ansible-playbook")

pytestmark = pytest.mark.skipif(
    ANSIBLE_PLAYBOOK is None or not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "nictune")),
    reason="needs ansible-playbook and the collection in .build/collections (scripts/setup.sh)",
)

COLUMNS = ["hypervisor", "domain", "path", "guest_type", "index", "mac", "bridge", "model", "model_explicit"]
HOST = "sample-xen-host"
EXPECTED = [
    {
        "hypervisor": HOST,
        "domain": "db01",
        "path": os.path.join(XEN, "db01.cfg"),
        "guest_type": "hvm",
        "index": 0,
        "mac": None,
        "bridge": "xenbr0",
        "model": "rtl8139",
        "model_explicit": True,
    },
    {
        "hypervisor": HOST,
        "domain": "db01",
        "path": os.path.join(XEN, "db01.cfg"),
        "guest_type": "hvm",
        "index": 1,
        "mac": "00:16:3e:10:00:12",
        "bridge": "xenbr1",
        "model": "e1000",
        "model_explicit": True,
    },
    {
        "hypervisor": HOST,
        "domain": "pv01",
        "path": os.path.join(XEN, "pv01.cfg"),
        "guest_type": "pv",
        "index": 0,
        "mac": None,
        "bridge": None,
        "model": None,
        "model_explicit": False,
    },
    {
        "hypervisor": HOST,
        "domain": "web01",
        "path": os.path.join(XEN, "web01.cfg"),
        "guest_type": "hvm",
        "index": 0,
        "mac": "00:16:3e:10:00:01",
        "bridge": "xenbr0",
        "model": "rtl8139",
        "model_explicit": False,
    },
]


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("audit") / "reports" / "run1"
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_SHOW_CUSTOM_STATS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
    )
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [ANSIBLE_PLAYBOOK, "-i", INVENTORY, PLAYBOOK, "-e", "nictune_report_dir=%s" % report_dir]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return report_dir, proc.stdout


def _by_nic(rows):
    return sorted(rows, key=lambda row: (row["domain"], row["index"]))


def test_audit_json_has_one_row_per_domain_nic(audit):
    report_dir, _stdout = audit
    with open(report_dir / "audit.json", encoding="utf-8") as handle:
        rows = json.load(handle)
    assert [list(row) for row in rows] == [COLUMNS] * len(rows)
    assert _by_nic(rows) == EXPECTED


def test_audit_csv_matches_json(audit):
    report_dir, _stdout = audit
    with open(report_dir / "audit.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    as_text = {None: "", True: "true", False: "false"}
    expected = [
        {k: as_text[v] if v is None or isinstance(v, bool) else str(v) for k, v in row.items()} for row in EXPECTED
    ]
    assert sorted(rows, key=lambda row: (row["domain"], row["index"])) == expected


def test_summary_line_per_hypervisor(audit):
    _report_dir, stdout = audit
    assert "3 domain(s), 4 NIC(s) (e1000 1, rtl8139 2, PV 1); 2 domain(s) still on rtl8139" in stdout


def test_nothing_reported_as_changed(audit):
    _report_dir, stdout = audit
    recap = stdout[stdout.index("PLAY RECAP") :]
    assert "changed=0" in recap and "failed=0" in recap


def test_report_published_for_awx(audit):
    report_dir, stdout = audit
    stats = stdout[stdout.index("CUSTOM STATS") :]
    start = stats.index("{")
    published, _end = json.JSONDecoder().raw_decode(stats[start:])
    assert published == {
        "nictune_report": {
            "report_dir": str(report_dir),
            "status": "rtl8139_found",
            "counts": {
                "hypervisors": 1,
                "hypervisors_failed": 0,
                "domains": 3,
                "nics": 4,
                "models": {"e1000": 1, "rtl8139": 2},
                "pv_nics": 1,
                "domains_on_rtl8139": 2,
            },
        }
    }
