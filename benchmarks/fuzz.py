# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run 100,000 mutated config files through the four file cores and the edit-then-reparse check.

xl.cfg, libvirt domain XML, Proxmox VE qemu-server configs and VirtualBox .vbox files go through the same harness
as the ``fuzz`` stage of scripts/test.sh (tests/fuzz), with a larger budget split evenly over the four cores
(25,000 each by default): each input is a seed (the corpus in $NICTUNE_CORPUS, or ../shared/corpus, plus the
repository's own test files and a few built-in inputs) with one to three seeded mutations; describe and plan must
end in a result or in the collection's own error naming the file (a *clean error*), never in another exception (a
*crash*); an edit must parse again with the core's own parser and with Python's ElementTree for XML, differ from
the input only where the model (for Xen also the vif type or MAC; for Proxmox the model token of the current
configuration's netN lines; for VirtualBox the type of the machine's enabled adapters) changed, and change nothing
when planned again (else a *broken output*).

Prints inputs tried, clean errors, crashes and broken outputs per core; the last line is one JSON object.
Target: 0 crashes and 0 broken outputs. Failing inputs are saved under .build/fuzz-failures.

Run from the repository root:  benchmarks/fuzz [--inputs N] [--seed S] [--jobs J]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))

import harness
from cores import CORES


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100000, help="inputs in all, split over the cores")
    parser.add_argument("--seed", default="benchmark", help="seed of every random choice")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--save", default=os.path.join(ROOT, ".build", "fuzz-failures"))
    args = parser.parse_args()
    names = list(CORES)
    per_core = -(-args.inputs // len(names))
    for name in names:
        print("%-12s %d seed inputs" % (name, len(CORES[name].load().seed_list)), flush=True)
    print("fuzzing %d inputs per core over %d processes (seed %s) ..." % (per_core, args.jobs, args.seed), flush=True)
    summary, failures = harness.run(names, per_core, args.seed, max(1, args.jobs), save=args.save)
    harness.print_report(summary, failures, print)
    per_second = summary["inputs"] / summary["seconds"] if summary["seconds"] else 0
    print("%.0f inputs per second" % per_second)
    print(
        json.dumps(
            {
                "inputs": summary["inputs"],
                "clean_errors": summary["clean_errors"],
                "edited": summary["edited"],
                "crashes": summary["crashes"],
                "broken_outputs": summary["broken_outputs"],
                "seconds": summary["seconds"],
                "seed": summary["seed"],
                "per_core": summary["per_core"],
            },
            sort_keys=True,
        )
    )
    return 1 if summary["crashes"] or summary["broken_outputs"] else 0


if __name__ == "__main__":
    sys.exit(main())
