# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two probe runs started together on disjoint guests share the lab's endpoint: they take turns on it (the
endpoint's lease), both measure every test, and the endpoint never runs two tests at once.

The runs are `playbooks/probe_nics.yml --limit lab-guest1,lab-guest2` and `--limit lab-legacy,lab-novirtio`, each
with its own report directory and short tests (3 s, no warm-up). Every row's `start`/`end` is a time on the
endpoint's clock (its server's timing log, matched to the test by iperf3's cookie), so the overlap check compares
one clock across both runs. At the end nothing the probe started is left on the endpoint.
Needs the lab (~/.cache/nictune/lab/inventory.yml); skipped without it or when its hosts do not answer. Run from the
repository root:
    PYTHONPATH=.build/collections .venv/bin/pytest -q tests/lab/test_probe_shared_endpoint.py
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

import pytest

RUNS = (("lab-guest1", "lab-guest2"), ("lab-legacy", "lab-novirtio"))
DIRECTIONS = ("send", "receive")
# Both runs together: each alone takes about a minute and a half on the lab, the second waits for the first.
BOTH_RUNS_SECONDS = 900
WAITED = "s for the lease (when asked: run "  # what a run that waited for the other prints


def _probe(lab_ansible, guests, reports, log):
    return lab_ansible.playbook(
        "probe_nics.yml",
        "--limit",
        ",".join(guests),
        "-e",
        "nictune_report_dir=%s" % reports,
        "-e",
        "iperf_probe_duration=3",
        "-e",
        "iperf_probe_omit=0",
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _overlaps(rows):
    """Pairs of rows, on one endpoint, whose [start, end] overlap (rows sorted by start)."""
    by_endpoint = {}
    for row in rows:
        by_endpoint.setdefault(row["endpoint"], []).append(row)
    found = []
    for tests in by_endpoint.values():
        tests.sort(key=lambda r: r["start"])
        found += [(a, b) for a, b in zip(tests, tests[1:]) if b["start"] < a["end"]]
    return found


def _what(row):
    return row["run"], row["host"], row["direction"], row["start"], row["end"]


def _probe_leftovers(ps_output):
    """Processes of the probe on the endpoint (its servers, their supervisors, lease holders), zombies left aside."""
    return [
        ln
        for ln in ps_output.splitlines()
        if not ln.strip().startswith("Z") and ("-p 5215" in ln or "nictune_iperf_probe" in ln)
    ]


def test_two_runs_sharing_an_endpoint_take_turns(lab_ansible):
    inv = lab_ansible.hostvars()
    missing = [h for guests in RUNS for h in guests if h not in inv["_meta"]["hostvars"]]
    if missing:
        pytest.skip("the lab's inventory has no %s" % ", ".join(missing))
    endpoints = inv.get("iperf_endpoints", {}).get("hosts") or []
    if not endpoints:
        pytest.skip("the lab's inventory has no iperf_endpoints")
    ping = lab_ansible.ansible(
        ",".join([h for guests in RUNS for h in guests] + endpoints), "-m", "ansible.builtin.ping", "-o"
    )
    if ping.returncode != 0:
        pytest.skip("the lab's hosts do not all answer:\n" + (ping.stdout + ping.stderr)[-1500:])

    base = tempfile.mkdtemp(prefix="nictune-probe-shared-")
    reports = [os.path.join(base, "run%d" % i) for i in range(len(RUNS))]
    logs = [os.path.join(base, "run%d.log" % i) for i in range(len(RUNS))]
    handles = [open(path, "w", encoding="utf-8") for path in logs]
    procs = []
    try:
        procs = [
            _probe(lab_ansible, guests, reports[i], handles[i]) for i, guests in enumerate(RUNS)
        ]  # started together
        deadline = time.time() + BOTH_RUNS_SECONDS
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.time()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for handle in handles:
            handle.close()
    outputs = [open(path, encoding="utf-8").read() for path in logs]
    for i, proc in enumerate(procs):
        assert proc.returncode == 0, "run %d (%s) failed:\n%s" % (i, ", ".join(RUNS[i]), outputs[i][-6000:])

    rows = []
    spans = []
    for i, guests in enumerate(RUNS):
        with open(os.path.join(reports[i], "report.json"), encoding="utf-8") as handle:
            doc = json.load(handle)
        mine = doc["results"]
        assert sorted((r["host"], r["direction"]) for r in mine) == sorted((g, d) for g in guests for d in DIRECTIONS)
        for row in mine:
            assert row["error"] is None and row["bits_per_second"] > 0, row
            assert row["clock"] == "endpoint", row  # timed by the endpoint's own log
            assert row["start"] < row["end"], row
        assert doc["meta"]["overlaps"] == 0, doc["meta"]
        rows += [dict(r, run=i) for r in mine]
        spans.append((min(r["start"] for r in mine), max(r["end"] for r in mine), i))

    # 0 overlaps on the endpoint across both runs, on the endpoint's clock
    overlaps = _overlaps(rows)
    assert overlaps == [], "\n".join(
        "%s: run %d %s %s [%.3f, %.3f] overlaps run %d %s %s [%.3f, %.3f]" % (a["endpoint"], *_what(a), *_what(b))
        for a, b in overlaps
    )
    # the runs took turns: one run's tests were all over before the other's first (it planned after the lease)
    first, second = sorted(spans)
    assert second[0] >= first[1], spans
    # and the later one had waited for the other's lease, which it was told about
    assert WAITED in outputs[second[2]], outputs[second[2]][-6000:]

    # nothing of the probe is left on the endpoints: no server on its port, no supervisor, no lease holder
    check = lab_ansible.ansible(",".join(endpoints), "-m", "ansible.builtin.command", "-a", "ps -ww -eo stat=,args=")
    assert check.returncode == 0, check.stdout + check.stderr
    assert _probe_leftovers(check.stdout) == [], check.stdout
