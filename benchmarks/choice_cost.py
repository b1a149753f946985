# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe time of choosing by measuring (nic_model_choice: measured) for the lab's classes, against trying every
candidate on every guest.

The lab's real records: the nic_model role's audit and plan entry points run in check mode on the lab (nothing
changes), with nic_model_choice measured, and every guest's record is written to a file. The core then groups the
guests into classes and picks each class's sample (choice.classes), lists the sample's candidates
(choice.candidates: the models the hypervisor offers and the guest drives, multi-queue virtio where it has more than
one vCPU) and prices both ways (choice.trial_cost): each candidate measured --rounds times in each direction, on one
guest per class, against on every guest of the class. A test costs --duration + --omit + --gap probe-seconds (the
iperf_probe settings; their defaults 10 + 1 + 1). Not counted: switching between candidates (live, about 2 s of
outage on the lab; cold, a reboot), the probe's set-up (about 11 s a run on the lab) and the probes before and after
the switch of the other guests, which both ways have.

Prints the classes, their candidates and the figures; the last line is one JSON object with trial_seconds,
every_guest_seconds and ratio (every_guest_seconds / trial_seconds).

Run from the repository root with the lab up:  benchmarks/choice_cost [--rounds 2] [--vcpus 2]
(--vcpus prices the classes as if every guest had that many vCPUs, as the lab test gives them; default: as audited)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.nictune.fleet.plugins.module_utils._upgrade import choice

BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.pathsep.join(os.path.join(ROOT, ".build", d) for d in ("collections", "ansible-pkg"))
INVENTORY = os.path.expanduser(os.environ.get("NICTUNE_LAB_INVENTORY", "~/.cache/nictune/lab/inventory.yml"))

PLAYBOOK = """---
- name: Audit the hypervisors
  hosts: hypervisors
  gather_facts: false
  tasks:
    - name: Audit
      ansible.builtin.include_role:
        name: nictune.fleet.nic_model
        tasks_from: audit

- name: Plan the guests
  hosts: guests
  gather_facts: false
  tasks:
    - name: Plan
      ansible.builtin.include_role:
        name: nictune.fleet.nic_model
        tasks_from: plan

- name: Keep every guest's record
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the records
      ansible.builtin.copy:
        content: >-
          {{ dict(groups['guests'] | zip(groups['guests'] | map('extract', hostvars, 'nic_model_guest'))) | to_json }}
        dest: "{{ records_file }}"
        mode: "0600"
      check_mode: false
"""


def lab_records(workdir):
    """Every lab guest's record from the audit and plan entry points, run in check mode."""
    playbook = os.path.join(workdir, "records.yml")
    out = os.path.join(workdir, "records.json")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", INVENTORY, playbook, "--check"]
    cmd += ["-e", json.dumps({"records_file": out, "nic_model_choice": "measured"})]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=workdir)
    if run.returncode:
        sys.exit("the audit and plan of the lab failed:\n" + (run.stdout + run.stderr)[-3000:])
    with open(out) as handle:
        return json.load(handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="nic_model_trial_rounds (default 2)")
    parser.add_argument("--duration", type=float, default=10, help="iperf_probe_duration (default 10)")
    parser.add_argument("--omit", type=float, default=1, help="iperf_probe_omit (default 1)")
    parser.add_argument("--gap", type=float, default=1, help="iperf_probe_gap (default 1)")
    parser.add_argument("--max-queues", type=int, default=choice.DEFAULT_MAX_QUEUES, help="nic_model_max_queues")
    parser.add_argument("--vcpus", type=int, default=None, help="price every guest with this many vCPUs")
    args = parser.parse_args()
    if not os.path.exists(INVENTORY):
        sys.exit("the lab is not up (no %s): run playbooks/lab_up.yml" % INVENTORY)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nictune-choice-cost-") as workdir:
        records = lab_records(workdir)
    read_s = time.monotonic() - started
    if args.vcpus:
        for record in records.values():
            if record:
                record["vcpus"] = args.vcpus
    overrides = {n: (r or {}).get("choice") or {} for n, r in records.items()}
    found = choice.classes(records, overrides)
    cands = {}
    for key, entry in found["classes"].items():
        sample = records[entry["sample"]] if entry["sample"] else None
        cands[key] = (
            choice.candidates(sample, sample.get("vcpus"), args.max_queues, sample.get("ranking")) if sample else []
        )
    per_test = args.duration + args.omit + args.gap
    cost = choice.trial_cost(found, cands, args.rounds, per_test)

    print("lab records read in %.1f s (audit and plan, check mode): %d guests" % (read_s, len(records)))
    for key, entry in sorted(found["classes"].items()):
        members = entry["members"]
        if entry["sample"]:
            names = ", ".join(c["name"] for c in cands[key])
            what = (key, len(members), ", ".join(members), entry["sample"], names)
            print("class %s: %d guest(s) (%s), sample %s, candidates %s" % what)
        else:
            print("class %s: %d guest(s) (%s), %s" % (key, len(members), ", ".join(members), entry["why"]))
    for name, why in sorted(found["outside"].items()):
        print("in no class: %s (%s)" % (name, why))
    print(
        "a test costs %.0f probe-seconds (duration %g + omit %g + gap %g); %d round(s) per candidate and direction"
        % (per_test, args.duration, args.omit, args.gap, args.rounds)
    )
    print("measured (one sample per class): %d tests, %.0f s" % (cost["tests_measured"], cost["measured_s"]))
    print("every candidate on every guest:  %d tests, %.0f s" % (cost["tests_every_guest"], cost["every_guest_s"]))
    print("saved: %.0f s; ratio %s" % (cost["saved_s"], cost["ratio"]))
    print("not counted: switching between candidates, the probe's set-up, the probes before and after the switch")
    print(
        json.dumps(
            {
                "trial_seconds": cost["measured_s"],
                "every_guest_seconds": cost["every_guest_s"],
                "ratio": cost["ratio"],
                "tests_measured": cost["tests_measured"],
                "tests_every_guest": cost["tests_every_guest"],
                "classes": len(found["classes"]),
                "rounds": args.rounds,
                "seconds_per_test": per_test,
            }
        )
    )


if __name__ == "__main__":
    main()
