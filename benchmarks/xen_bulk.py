# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge 1,000 realistic xl.cfg files to e1000, three ways, measured side by side in one run:

  (a) one nictune.fleet.nic_model task over a glob (at 100 and at 1,000 files: the difference of the median
      times over --rounds runs is the marginal cost of one more file),
  (b) a per-file loop of ansible.builtin.replace (on a subset: 10 and 40 files, same method),
  (c) plain Python: read, parse, plan and write each file with the collection's core.

Prints the figures; the last line is one JSON object with speedup_vs_replace (per-file cost of b
divided by that of a, both marginal) and marginal_ms_per_file (a's cost per extra file).
Targets: speedup_vs_replace >= 50, marginal_ms_per_file <= 1.

Run from the repository root:  benchmarks/xen_bulk [--files N] [--rounds R]   (scripts/setup.sh prepares .venv)
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

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen import backend as xen

VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook") if os.path.exists(VENV_BIN) else "ansible-playbook"


def realistic_config(i, rng):
    """One guest config of the kinds met in the field: HVM or PV, 1-3 NICs, both quote styles, comments."""
    q = rng.choice(["'", '"'])
    hvm = rng.random() < 0.85
    lines = [
        "# guest %d, managed by the platform team" % i,
        "name = %sguest%04d%s" % (q, i, q),
        ("builder = %shvm%s" % (q, q)) if rng.random() < 0.5 else ("type = %shvm%s" % (q, q) if hvm else 'type = "pv"'),
        "memory = %d" % rng.choice([512, 1024, 2048, 4096]),
        "vcpus = %d" % rng.choice([1, 2, 4]),
        "disk = [ %sphy:/dev/vg0/guest%04d,xvda,w%s ]" % (q, i, q),
    ]
    if not hvm:
        lines[2] = 'type = "pv"'
        lines.insert(3, 'kernel = "/boot/vmlinuz-guest"')
    nics = []
    for n in range(rng.choice([1, 1, 2, 3])):
        items = []
        if rng.random() < 0.6:
            items.append("mac=00:16:3e:%02x:%02x:%02x" % (i // 256, i % 256, n))
        items.append("bridge=xenbr%d" % n)
        if rng.random() < 0.5:
            items.append("model=rtl8139")
        sep = rng.choice([",", ", "])
        nics.append("%s%s%s" % (q, sep.join(items), q))
    if len(nics) > 1 and rng.random() < 0.5:
        lines.append("vif = [\n" + "".join("    %s,   # nic %d\n" % (s, k) for k, s in enumerate(nics)) + "]")
    else:
        lines.append("vif = [ %s ]" % ", ".join(nics))
    lines.append('on_reboot = "restart"')
    return "\n".join(lines) + "\n"


def make_dir(base, count, seed=7):
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    rng = random.Random(seed)
    for i in range(count):
        with open(os.path.join(base, "guest%04d.cfg" % i), "w") as handle:
            handle.write(realistic_config(i, rng))
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


def way_a(workdir, count):
    cfgs = make_dir(os.path.join(workdir, "a%d" % count), count)
    task = "    - nictune.fleet.nic_model:\n        path: %s/*.cfg\n        model: e1000\n" % cfgs
    return run_playbook(workdir, task)


def way_b(workdir, count):
    cfgs = make_dir(os.path.join(workdir, "b%d" % count), count)
    task = (
        "    - ansible.builtin.replace:\n"
        "        path: '{{ item }}'\n"
        "        regexp: 'model=rtl8139'\n"
        "        replace: 'model=e1000'\n"
        "      loop: \"{{ query('ansible.builtin.fileglob', '%s/*.cfg') }}\"\n" % cfgs
    )
    return run_playbook(workdir, task)


def way_c(workdir, count):
    cfgs = make_dir(os.path.join(workdir, "c%d" % count), count)
    options = {"model": "e1000", "xen_type": None, "pin_mac": False, "match": normalise_match(None)}
    start = time.perf_counter()
    for name in sorted(os.listdir(cfgs)):
        path = os.path.join(cfgs, name)
        with open(path, "rb") as handle:
            data = handle.read()
        new, _result = xen.plan_file(path, data, options, lambda msg: None)
        if new != data:
            tmp = path + ".tmp"
            with open(tmp, "wb") as handle:
                handle.write(new)
            os.replace(tmp, path)
    return time.perf_counter() - start


def _median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _marginal(way, workdir, small, big, rounds):
    """Median run time at ``small`` and at ``big`` files over ``rounds`` interleaved runs, and the cost per extra
    file. One ansible-playbook start-up varies by a few tenths of a second from run to run; the median of several
    keeps that noise out of a per-file figure."""
    smalls, bigs = [], []
    for _round in range(rounds):
        smalls.append(way(workdir, small))
        bigs.append(way(workdir, big))
    low, high = _median(smalls), _median(bigs)
    return low, high, (high - low) / (big - small), smalls, bigs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs at each size; medians are compared")
    args = parser.parse_args()
    big, small = args.files, max(1, args.files // 10)
    b_big, b_small = 40, 10
    rounds = max(1, args.rounds)
    workdir = tempfile.mkdtemp(prefix="nictune-xen-bulk-")
    try:
        print(
            "converging %d / %d files with one nic_model task (a), %d round(s) ..." % (small, big, rounds), flush=True
        )
        a_small, a_big, a_marginal, a_smalls, a_bigs = _marginal(way_a, workdir, small, big, rounds)
        print("  (a) runs at %d files: %s s" % (small, " ".join("%.2f" % t for t in a_smalls)))
        print("  (a) runs at %d files: %s s" % (big, " ".join("%.2f" % t for t in a_bigs)))
        print(
            "  (a) medians %5d files: %.2f s   %5d files: %.2f s   marginal %.3f ms/file"
            % (small, a_small, big, a_big, a_marginal * 1e3)
        )
        print("per-file loop of ansible.builtin.replace (b) on %d / %d files ..." % (b_small, b_big), flush=True)
        bs, bb, b_marginal, _bss, _bbs = _marginal(way_b, workdir, b_small, b_big, rounds)
        print(
            "  (b) medians %5d files: %.2f s   %5d files: %.2f s   marginal %.1f ms/file"
            % (b_small, bs, b_big, bb, b_marginal * 1e3)
        )
        c_total = _median([way_c(workdir, big) for _round in range(rounds)])
        print(
            "  (c) plain Python read/parse/write of %d files: %.2f s, %.3f ms/file"
            % (big, c_total, c_total / big * 1e3)
        )
        speedup = b_marginal / a_marginal if a_marginal > 0 else float("inf")
        print(
            "speedup of (a) over (b) per file: %.0fx (target >= 50); marginal cost of (a): %.3f ms/file (target <= 1)"
            % (speedup, a_marginal * 1e3)
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
                    "speedup_vs_replace": round(speedup, 1),
                }
            )
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
