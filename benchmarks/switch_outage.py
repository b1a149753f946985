# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long is a guest off the network when its NIC model is switched live, against a cold switch? On one lab guest,
alternately:

  (a) a cold switch: playbooks/upgrade_nics.yml with nic_model_switch=cold (definition, graceful shutdown, start), and
  (b) a live switch: the same with nic_model_switch=live (the running domain's NIC unplugged, the new model plugged
      with the same MAC; no restart),

each time to the other of two models (virtio and rtl8139 by default), several rounds, the order of (a) and (b)
alternating by round. The outage of each switch is the one the product measures and reports (outcome.outage_s: the
longest stretch without ICMP replies, from the reference endpoint, every 0.05 s). Prints every switch, the median of
each way and their ratio; the last line is one JSON object with live_outage_s, cold_outage_s and ratio.
Targets: live_outage_s <= 3, ratio <= 0.2.

Run from the repository root with the lab up:  benchmarks/switch_outage [--guest lab-guest1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.pathsep.join(os.path.join(ROOT, ".build", d) for d in ("collections", "ansible-pkg"))
ENV = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")


def switch(inventory, guest, model, method):
    """One switch of ``guest`` to ``model`` by ``method``: (outage_s, the guest's report entry, wall seconds)."""
    reports = tempfile.mkdtemp(prefix="nictune-outage-")
    started = time.monotonic()
    proc = subprocess.run(
        [
            os.path.join(BIN, "ansible-playbook"),
            "-i",
            inventory,
            os.path.join(ROOT, "playbooks", "upgrade_nics.yml"),
            "-e",
            json.dumps(
                {
                    "nictune_guests_group": guest,
                    "nictune_report_dir": reports,
                    "nic_model_target": model,
                    "nic_model_switch": method,
                    "nic_model_probe": False,
                }
            ),
        ],
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("the %s switch to %s failed:\n%s" % (method, model, (proc.stdout + proc.stderr)[-4000:]))
    with open(os.path.join(reports, "report.json")) as handle:
        entry = {g["name"]: g for g in json.load(handle)["guests"]}[guest]
    if entry["decision"] != "switched" or entry["method"] != method or entry["outage_s"] is None:
        raise SystemExit("the %s switch to %s did not happen as asked: %s" % (method, model, entry))
    return entry["outage_s"], entry, wall


def current_model(inventory, guest):
    with open(inventory) as handle:
        inv = yaml.safe_load(handle)["all"]["children"]
    uri = inv["hypervisors"]["hosts"]["lab-hypervisor"]["nic_model_uri"]
    domain = inv["lab_ssh"]["children"]["guests"]["hosts"][guest]["nic_model_domain"]
    out = subprocess.run(["virsh", "-c", uri, "domiflist", domain], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2].split()[3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guest", default="lab-guest1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", default="virtio,rtl8139", help="the two models switched between")
    parser.add_argument(
        "--inventory",
        default=os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml")),
    )
    args = parser.parse_args()
    models = args.models.split(",")
    now = current_model(args.inventory, args.guest)
    print(
        "guest %s starts on %s; switching between %s, %d rounds" % (args.guest, now, " and ".join(models), args.rounds)
    )
    outages = {"cold": [], "live": []}
    for number in range(args.rounds):
        for method in ("cold", "live") if number % 2 == 0 else ("live", "cold"):
            target = models[1] if now == models[0] else models[0]
            seconds, _entry, wall = switch(args.inventory, args.guest, target, method)
            outages[method].append(seconds)
            print(
                "round %d: %-4s %s -> %s: outage %.2f s (playbook run %.0f s)"
                % (number + 1, method, now, target, seconds, wall)
            )
            now = target
    live = statistics.median(outages["live"])
    cold = statistics.median(outages["cold"])
    ratio = live / cold if cold else None
    print("median outage: live %.2f s, cold %.2f s, ratio %.3f" % (live, cold, ratio))
    print(
        json.dumps(
            {
                "live_outage_s": round(live, 2),
                "cold_outage_s": round(cold, 2),
                "ratio": round(ratio, 3) if ratio is not None else None,
                "rounds": args.rounds,
                "guest": args.guest,
                "live": outages["live"],
                "cold": outages["cold"],
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
