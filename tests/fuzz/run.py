# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded, seeded mutation fuzzing of every core (the ``fuzz`` stage of scripts/test.sh).

    PYTHONPATH=.build/collections python tests/fuzz/run.py [--per-core N] [--seed S] [--jobs J] [--cores a,b]

Exits 1 when any input crashed a core or gave a broken output (see harness.py); the failing inputs are saved.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness
from cores import CORES, ROOT


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-core", type=int, default=5000, help="inputs per core (default 5000)")
    parser.add_argument("--seed", default="nictune", help="seed of every random choice (default: nictune)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--cores", default=",".join(CORES), help="cores to fuzz (default: all: %(default)s)")
    parser.add_argument("--save", default=os.path.join(ROOT, ".build", "fuzz-failures"), help="where failures go")
    args = parser.parse_args(argv)
    names = [n for n in args.cores.split(",") if n]
    unknown = [n for n in names if n not in CORES]
    if unknown:
        parser.error("unknown core(s) %s; known: %s" % (", ".join(unknown), ", ".join(CORES)))
    for name in names:
        core = CORES[name].load()
        print("%-12s %d seed inputs" % (name, len(core.seed_list)), flush=True)
    summary, failures = harness.run(names, args.per_core, args.seed, max(1, args.jobs), save=args.save)
    harness.print_report(summary, failures, print)
    print(json.dumps(summary, sort_keys=True))
    return 1 if summary["crashes"] or summary["broken_outputs"] else 0


if __name__ == "__main__":
    sys.exit(main())
