# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the file-backend bulk benchmarks (xen_bulk, proxmox_bulk) share: generated config directories,
ansible-playbook runs, medians, and the measurement and report of the three ways compared.

A benchmark describes itself with a :class:`Bulk` (how to write one generated config, its file name, the
nic_model task, the per-file ``ansible.builtin.replace`` task and the plain-Python plan of one file) and
calls :func:`main`. Not a benchmark itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
sys.path.insert(0, COLLECTIONS)
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook") if os.path.exists(VENV_BIN) else "ansible-playbook"


class Bulk:
    """One bulk benchmark of a file backend.

    ``name``: short name (temporary directories); ``config(i, rng)``: text of config number ``i``;
    ``file_name(i)``: its name; ``task_a(folder)`` / ``task_b(folder)``:
    the YAML of the nic_model task and of the per-file replace loop over ``folder``; ``plan(path, data)``: the
    new bytes of one file, with the collection's core.
    """

    def __init__(self, name, config, file_name, task_a, task_b, plan):
        self.name, self.config, self.file_name = name, config, file_name
        self.task_a, self.task_b, self.plan = task_a, task_b, plan


def make_dir(bulk, base, count, seed=7):
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    rng = random.Random(seed)
    for i in range(count):
        with open(os.path.join(base, bulk.file_name(i)), "w") as handle:
            handle.write(bulk.config(i, rng))
    return base


def run_playbook(workdir, tasks_yaml):
    play = os.path.join(workdir, "play.yml")
    with open(play, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + tasks_yaml)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    cmd = [PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, play]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        sys.exit("playbook failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    return elapsed


def way_a(bulk, workdir, count):
    return run_playbook(workdir, bulk.task_a(make_dir(bulk, os.path.join(workdir, "a%d" % count), count)))


def way_b(bulk, workdir, count):
    return run_playbook(workdir, bulk.task_b(make_dir(bulk, os.path.join(workdir, "b%d" % count), count)))


def way_c(bulk, workdir, count):
    folder = make_dir(bulk, os.path.join(workdir, "c%d" % count), count)
    start = time.perf_counter()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        with open(path, "rb") as handle:
            data = handle.read()
        new = bulk.plan(path, data)
        if new != data:
            tmp = path + ".tmp"
            with open(tmp, "wb") as handle:
                handle.write(new)
            os.replace(tmp, path)
    return time.perf_counter() - start


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def marginal(way, bulk, workdir, small, big, rounds):
    """Median run time at ``small`` and at ``big`` files over ``rounds`` interleaved runs, and the cost per extra
    file. One ansible-playbook start-up varies by a few tenths of a second from run to run; the median of several
    keeps that noise out of a per-file figure, and one run before them, not counted, warms the caches."""
    way(bulk, workdir, small)
    smalls, bigs = [], []
    for _round in range(rounds):
        smalls.append(way(bulk, workdir, small))
        bigs.append(way(bulk, workdir, big))
    low, high = median(smalls), median(bigs)
    return low, high, (high - low) / (big - small), smalls, bigs


def main(bulk, description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs at each size; medians are compared")
    args = parser.parse_args()
    big, small = args.files, max(1, args.files // 10)
    b_big, b_small = 40, 10
    rounds = max(1, args.rounds)
    workdir = tempfile.mkdtemp(prefix="nictune-%s-bulk-" % bulk.name)
    try:
        print(
            "converging %d / %d files with one nic_model task (a), %d round(s) ..." % (small, big, rounds), flush=True
        )
        a_small, a_big, a_marginal, a_smalls, a_bigs = marginal(way_a, bulk, workdir, small, big, rounds)
        print("  (a) runs at %d files: %s s" % (small, " ".join("%.2f" % t for t in a_smalls)))
        print("  (a) runs at %d files: %s s" % (big, " ".join("%.2f" % t for t in a_bigs)))
        print(
            "  (a) medians %5d files: %.2f s   %5d files: %.2f s   marginal %.3f ms/file"
            % (small, a_small, big, a_big, a_marginal * 1e3)
        )
        print("per-file loop of ansible.builtin.replace (b) on %d / %d files ..." % (b_small, b_big), flush=True)
        bs, bb, b_marginal, _bss, _bbs = marginal(way_b, bulk, workdir, b_small, b_big, rounds)
        print(
            "  (b) medians %5d files: %.2f s   %5d files: %.2f s   marginal %.1f ms/file"
            % (b_small, bs, b_big, bb, b_marginal * 1e3)
        )
        c_total = median([way_c(bulk, workdir, big) for _round in range(rounds)])
        print(
            "  (c) plain Python read/parse/write of %d files: %.2f s, %.3f ms/file"
            % (big, c_total, c_total / big * 1e3)
        )
        # a marginal cost at or below zero means the noise of the runs swamped it: no ratio, run more rounds
        speedup = b_marginal / a_marginal if a_marginal > 0 else None
        print(
            "speedup of (a) over (b) per file: %s (target >= 50); marginal cost of (a): %.3f ms/file (target <= 1)"
            % ("%.0fx" % speedup if speedup else "none, too noisy: use more --rounds", a_marginal * 1e3)
        )
        print(
            json.dumps(
                {
                    "files": big,
                    "rounds": rounds,
                    "a_seconds_small": round(a_small, 3),
                    "a_seconds_big": round(a_big, 3),
                    "b_marginal_ms_per_file": round(b_marginal * 1e3, 2),
                    "c_ms_per_file": round(c_total / big * 1e3, 4),
                    "marginal_ms_per_file": round(a_marginal * 1e3, 4),
                    "speedup_vs_replace": round(speedup, 1) if speedup else None,
                }
            )
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
