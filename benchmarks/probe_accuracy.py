# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the iperf_probe role measure what bare iperf3 measures? On one lab guest, alternately:

  (a) the role (playbooks/probe_nics.yml limited to the guest), and
  (b) bare iperf3 with the same settings: `iperf3 -s -D` on the endpoint, `iperf3 -c ... -J` (and `-R`) on the guest,
      each run through a plain `ansible` command (the Ansible process waits while iperf3 runs),

several rounds each way. Prints the figures; the last line is one JSON object with worst_ratio_error
(largest |median_role / median_bare - 1| over the two directions). Target <= 0.05.

Single tests on software-emulated guests vary by 5-15 % (spread_*: standard deviation / mean of one way's tests),
mostly from slow drifts of the machine that a longer test does not average out; so the benchmark takes many
10-second rounds rather than a few long ones, and prints a bootstrap 90 % interval of each ratio (ratio_*_ci90)
that says how far the medians of this many rounds can be trusted.

Run from the repository root with the lab up:  benchmarks/probe_accuracy [--guest lab-guest1] [--rounds 12]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.nictune.fleet.plugins.module_utils._probe.iperf3 import summarize
from ansible_collections.nictune.fleet.plugins.module_utils._probe.schedule import client_args

BIN = os.path.join(ROOT, ".venv", "bin")
# ansible.posix (its json callback) comes with the ansible package that scripts/setup.sh unpacks.
COLLECTIONS = os.pathsep.join(os.path.join(ROOT, ".build", d) for d in ("collections", "ansible-pkg"))
ENV = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
BARE_PORT = 5216  # not the role's port: the two never share a server
BARE_DIR = "/var/tmp/nictune-iperf-bare"


def run(cmd, check=True):
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def ansible_json(inventory, host, module, args):
    env = dict(ENV, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run(
        [os.path.join(BIN, "ansible"), "-i", inventory, host, "-m", module, "-a", args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(proc.stdout)
    return doc["plays"][0]["tasks"][0]["hosts"][host]


def role_round(inventory, guest, endpoint, settings):
    reports = tempfile.mkdtemp(prefix="nictune-accuracy-")
    run(
        [
            os.path.join(BIN, "ansible-playbook"),
            "-i",
            inventory,
            os.path.join(ROOT, "playbooks", "probe_nics.yml"),
            "--limit",
            "%s,%s" % (guest, endpoint),
            "-e",
            json.dumps(
                {
                    "nictune_report_dir": reports,
                    "iperf_probe_endpoints": [endpoint],
                    "iperf_probe_duration": settings["duration"],
                    "iperf_probe_omit": settings["omit"],
                    "iperf_probe_window": settings["window"],
                    "iperf_probe_parallel": settings["parallel"],
                }
            ),
        ]
    )
    with open(os.path.join(reports, "report.json"), encoding="utf-8") as handle:
        rows = json.load(handle)["results"]
    return {r["direction"]: r["bits_per_second"] for r in rows if r["host"] == guest}


def bare_round(inventory, guest, endpoint, address, settings):
    pidfile = BARE_DIR + "/server.pid"
    ansible_json(inventory, endpoint, "ansible.builtin.file", "path=%s state=directory mode=0700" % BARE_DIR)
    ansible_json(inventory, endpoint, "ansible.builtin.command", "iperf3 -s -D -p %d -I %s" % (BARE_PORT, pidfile))
    time.sleep(1)
    out = {}
    try:
        for direction in ("send", "receive"):
            args = client_args(
                address,
                BARE_PORT,
                direction,
                settings["duration"],
                omit=settings["omit"],
                parallel=settings["parallel"],
                window=settings["window"],
            )
            res = ansible_json(inventory, guest, "ansible.builtin.command", " ".join(["iperf3", *args]))
            out[direction] = summarize(res.get("stdout", ""), direction)["bits_per_second"]
            time.sleep(1)
    finally:
        ansible_json(inventory, endpoint, "ansible.builtin.shell", "kill $(cat %s) && rm -f %s" % (pidfile, pidfile))
    return out


def bootstrap_ratio_ci(role, bare, draws=4000, seed=5215):
    """90 % bootstrap interval of median(role) / median(bare), each way's rounds resampled on their own."""
    if len(role) < 2 or len(bare) < 2:
        return None
    rng = random.Random(seed)
    ratios = sorted(
        statistics.median(rng.choices(role, k=len(role))) / statistics.median(rng.choices(bare, k=len(bare)))
        for _draw in range(draws)
    )
    return [round(ratios[int(0.05 * draws)], 4), round(ratios[int(0.95 * draws) - 1], 4)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inventory", default=os.path.expanduser("~/.cache/nictune/lab/inventory.yml"))
    parser.add_argument("--guest", default="lab-guest1")
    parser.add_argument("--endpoint", default="lab-endpoint")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--omit", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--window", default="")
    opts = parser.parse_args()
    settings = {"duration": opts.duration, "omit": opts.omit, "parallel": opts.parallel, "window": opts.window}
    inv = json.loads(
        run([os.path.join(BIN, "ansible-inventory"), "-i", opts.inventory, "--host", opts.endpoint]).stdout
    )
    address = inv.get("iperf_probe_endpoint_address") or inv.get("ansible_host") or opts.endpoint
    results = {"role": {"send": [], "receive": []}, "bare": {"send": [], "receive": []}}
    for i in range(opts.rounds):
        for way in ("role", "bare") if i % 2 == 0 else ("bare", "role"):
            got = (
                role_round(inventory=opts.inventory, guest=opts.guest, endpoint=opts.endpoint, settings=settings)
                if way == "role"
                else bare_round(opts.inventory, opts.guest, opts.endpoint, address, settings)
            )
            for d in ("send", "receive"):
                if got.get(d):
                    results[way][d].append(got[d])
            print(
                "round %d %-4s send %8.1f Mbit/s  receive %8.1f Mbit/s"
                % (i + 1, way, (got.get("send") or 0) / 1e6, (got.get("receive") or 0) / 1e6),
                flush=True,
            )
    summary = {"guest": opts.guest, "rounds": opts.rounds, "duration": opts.duration}
    errors = []
    for d in ("send", "receive"):
        role = statistics.median(results["role"][d]) if results["role"][d] else None
        bare = statistics.median(results["bare"][d]) if results["bare"][d] else None
        summary["median_role_%s_mbps" % d] = None if role is None else round(role / 1e6, 1)
        summary["median_bare_%s_mbps" % d] = None if bare is None else round(bare / 1e6, 1)
        if role and bare:
            errors.append(abs(role / bare - 1))
        else:
            errors.append(float("inf"))
        summary["ratio_%s" % d] = round(role / bare, 4) if role and bare else None
        summary["ratio_%s_ci90" % d] = bootstrap_ratio_ci(results["role"][d], results["bare"][d])
        # How much single tests of one way vary: the noise a median of this many rounds has to average out.
        for way in ("role", "bare"):
            values = results[way][d]
            summary["spread_%s_%s" % (way, d)] = (
                round(statistics.stdev(values) / statistics.mean(values), 4) if len(values) > 1 else None
            )
    summary["worst_ratio_error"] = round(max(errors), 4) if all(e != float("inf") for e in errors) else None
    summary["target"] = 0.05
    print(json.dumps(summary))
    return 0 if summary["worst_ratio_error"] is not None and summary["worst_ratio_error"] <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
