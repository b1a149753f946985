# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit_nics.yml on a simulated fleet against `ansible -m ping` on the same inventory, side by side.

The fleet: 200 hypervisors (hv000..hv199, group hypervisors, local connection, the venv's Python), each with its
own directory of 20 realistic xl.cfg files (realistic_config() of benchmarks/xen_bulk.py). Both commands run with
the same number of forks (-f, default 10), alternately, --rounds times each; the medians are compared.
The audit's report (audit.json) is checked: one row per NIC written in the generated files.

Prints the figures; the last line is one JSON object with ratio_vs_ping (median audit / median ping).
Target: ratio_vs_ping <= 1.5.

Run from the repository root:  benchmarks/fleet_audit [--hosts N] [--files N] [--rounds N] [--forks N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(ROOT, "playbooks", "audit_nics.yml")
TARGET = 1.5


def _load_xen_bulk():
    spec = importlib.util.spec_from_file_location(
        "nictune_bench_xen_bulk", os.path.join(ROOT, "benchmarks", "xen_bulk.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


realistic_config = _load_xen_bulk().realistic_config


def _tool(name):
    path = os.path.join(VENV_BIN, name)
    return path if os.path.exists(path) else name


def make_fleet(workdir, hosts, files, seed=11):
    """Write the hypervisors' config directories and the inventory; returns (inventory path, NICs written)."""
    rng = random.Random(seed)
    nics = 0
    lines = ["hypervisors:", "  hosts:"]
    for h in range(hosts):
        name = "hv%03d" % h
        cfg_dir = os.path.join(workdir, name)
        os.makedirs(cfg_dir)
        for i in range(files):
            text = realistic_config(h * files + i, rng)
            nics += text.count("bridge=xenbr")
            with open(os.path.join(cfg_dir, "guest%04d.cfg" % i), "w") as handle:
                handle.write(text)
        lines += [
            "    %s:" % name,
            "      ansible_connection: local",
            "      ansible_python_interpreter: %s" % json.dumps(sys.executable),
            "      nic_model_backend: xen",
            "      nic_model_path: [%s]" % json.dumps(os.path.join(cfg_dir, "*.cfg")),
        ]
    inventory = os.path.join(workdir, "inventory.yml")
    with open(inventory, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return inventory, nics


def timed(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="nictune-fleet-audit-")
    try:
        inventory, nics = make_fleet(workdir, args.hosts, args.files)
        report_dir = os.path.join(workdir, "report")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
        env.pop("ANSIBLE_CONFIG", None)
        forks = ["-f", str(args.forks)]
        audit_cmd = [
            _tool("ansible-playbook"),
            "-i",
            inventory,
            *forks,
            PLAYBOOK,
            "-e",
            "nictune_report_dir=" + report_dir,
        ]
        ping_cmd = [_tool("ansible"), "-i", inventory, *forks, "hypervisors", "-m", "ansible.builtin.ping"]
        print(
            "fleet: %d hypervisors x %d xl.cfg files (%d NICs), local connection, forks %d, %d rounds each"
            % (args.hosts, args.files, nics, args.forks, args.rounds),
            flush=True,
        )
        audits, pings = [], []
        for r in range(args.rounds):
            audits.append(timed(audit_cmd, env))
            pings.append(timed(ping_cmd, env))
            print(
                "  round %d: audit_nics.yml %.2f s   ansible -m ping %.2f s" % (r + 1, audits[-1], pings[-1]),
                flush=True,
            )
        with open(os.path.join(report_dir, "audit.json")) as handle:
            rows = json.load(handle)
        if len(rows) != nics or len({row["hypervisor"] for row in rows}) != args.hosts:
            sys.exit(
                "audit.json has %d rows over %d hypervisors; expected %d over %d"
                % (len(rows), len({row["hypervisor"] for row in rows}), nics, args.hosts)
            )
        audit, ping = statistics.median(audits), statistics.median(pings)
        ratio = audit / ping
        per_host_audit, per_host_ping = audit / args.hosts * 1e3, ping / args.hosts * 1e3
        print("median audit_nics.yml: %.2f s (%.1f ms/hypervisor)" % (audit, per_host_audit))
        print("median ansible -m ping: %.2f s (%.1f ms/hypervisor)" % (ping, per_host_ping))
        print(
            "audit costs %.1f ms/hypervisor more than ping; audit.json: %d rows, as expected"
            % (per_host_audit - per_host_ping, len(rows))
        )
        print("ratio_vs_ping: %.2f (target <= %.1f)" % (ratio, TARGET))
        print(
            json.dumps(
                {
                    "hosts": args.hosts,
                    "files_per_host": args.files,
                    "nics": nics,
                    "forks": args.forks,
                    "rounds": args.rounds,
                    "audit_seconds": round(audit, 3),
                    "ping_seconds": round(ping, 3),
                    "audit_ms_per_host": round(per_host_audit, 2),
                    "ping_ms_per_host": round(per_host_ping, 2),
                    "ratio_vs_ping": round(ratio, 3),
                }
            )
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
