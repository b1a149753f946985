# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill nic_model with SIGKILL while it writes many files, again and again, and check what is left.

A directory of --files configs (xl.cfg files and domain XML files, 3 in 4 of them Xen) is switched between e1000
and rtl8139 by the real nic_model module (run as Ansible runs it on a host: ``python nic_model.py ARGS``, with
backup: true), and each run is killed with SIGKILL after a random delay chosen so that most kills land while it
writes. After every kill each file must be one of the versions a complete run can make (never mixed, truncated or
empty), and every backup must be such a complete version too. Every --check-every kills, and at the end, a run is
let finish: it must leave no temporary file behind (it removes those the killed runs left) and every file must then
have the model it set.

Prints the counts; the last line is one JSON object. Targets: mixed_or_truncated_files 0, partial_backups 0,
stale_temporaries_after_next_run 0.

Run from the repository root:  benchmarks/kill_soak [--kills N] [--files N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from xen_bulk import realistic_config

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model.backends import file_backend

MODULE = os.path.join(ROOT, "plugins", "modules", "nic_model.py")
MODELS = ("e1000", "rtl8139")
XML = """<domain type='kvm'>
  <name>guest%04d</name>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='network'>
      <mac address='52:54:00:00:%02x:%02x'/>
      <source network='default'/>
    </interface>
  </devices>
</domain>
"""


def make_files(directory, count, rng):
    for i in range(count):
        if i % 4 == 3:
            name, text = "guest%04d.xml" % i, XML % (i, i // 256, i % 256)
        else:
            name, text = "guest%04d.cfg" % i, realistic_config(i, rng)
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(text)


def versions(path, data):
    """Every content a complete run of this soak can give the file: the closure of the original under both models."""
    _name, backend = file_backend("auto", path)
    found = {data}
    todo = [data]
    while todo:
        current = todo.pop()
        for model in MODELS:
            options = {"model": model, "xen_type": None, "pin_mac": False, "match": normalise_match(None)}
            new, _result = backend.plan_file(path, current, options, lambda _msg: None)
            if new not in found:
                found.add(new)
                todo.append(new)
    return found


def model_of(path, data):
    _name, backend = file_backend("auto", path)
    nics = backend.describe_file(path, data, lambda _msg: None)["nics"]
    return {nic["model"] for nic in nics if nic["model"]}


def run_module(directory, model, args_dir):
    args = os.path.join(args_dir, "args-%s.json" % model)
    with open(args, "w") as handle:
        task = {"path": [directory + "/guest*.cfg", directory + "/guest*.xml"], "model": model, "backup": True}
        json.dump({"ANSIBLE_MODULE_ARGS": task}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    return subprocess.Popen(
        [sys.executable, MODULE, args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )


def survey(directory, valid, seen_backups):
    """(mixed or truncated files, partial backups among the new ones, temporaries)"""
    bad_files, bad_backups, temporaries = [], [], []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".nictune"):
            temporaries.append(name)
            continue
        if name in seen_backups:
            continue
        with open(os.path.join(directory, name), "rb") as handle:
            data = handle.read()
        if name.endswith("~"):
            seen_backups.add(name)
            base = ".".join(name.split(".")[:2])
            if data not in valid[base]:
                bad_backups.append(name)
        elif data not in valid[name]:
            bad_files.append(name)
    return bad_files, bad_backups, temporaries


def converged(directory, valid, model):
    return all(model_of(name, open(os.path.join(directory, name), "rb").read()) <= {model} for name in valid)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=75)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--check-every", type=int, default=10, help="let a run finish after this many kills")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="nictune-kill-soak-")
    directory = os.path.join(work, "configs")
    os.makedirs(directory)
    try:
        make_files(directory, args.files, rng)
        valid = {}
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), "rb") as handle:
                valid[name] = versions(name, handle.read())
        # calibrate: how long a complete run that changes every file takes (mostly start-up; the writes come last);
        # measured again at every complete run, as the backups make the directory grow
        for model in MODELS:
            start = time.monotonic()
            proc = run_module(directory, model, work)
            out, err = proc.communicate()
            duration = time.monotonic() - start
            if proc.returncode:
                sys.exit("the calibration run failed:\n%s%s" % (out.decode()[-2000:], err.decode()[-2000:]))
        print("%d files; one complete run takes %.2f s" % (args.files, duration), flush=True)
        counts = {
            "kills": 0,
            "kills_mid_write": 0,
            "runs_finished_before_kill": 0,
            "mixed_or_truncated_files": 0,
            "partial_backups": 0,
            "temporaries_left_by_kills": 0,
            "stale_temporaries_after_next_run": 0,
            "finished_runs": 0,
            "finished_runs_not_converged": 0,
        }
        model_index = 0
        seen_backups = set()
        checked_at = 0
        while counts["kills"] < args.kills:
            model_index += 1
            model = MODELS[model_index % 2]
            before = {n: open(os.path.join(directory, n), "rb").read() for n in valid}
            proc = run_module(directory, model, work)
            time.sleep(rng.uniform(0.6, 1.0) * duration)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                counts["kills"] += 1
            else:
                counts["runs_finished_before_kill"] += 1
            proc.communicate()
            bad_files, bad_backups, temporaries = survey(directory, valid, seen_backups)
            counts["mixed_or_truncated_files"] += len(bad_files)
            counts["partial_backups"] += len(bad_backups)
            counts["temporaries_left_by_kills"] += len(temporaries)
            after = {n: open(os.path.join(directory, n), "rb").read() for n in valid}
            changed = sum(1 for n in valid if after[n] != before[n])
            if 0 < changed < len(valid):
                counts["kills_mid_write"] += 1
            for name in bad_files + bad_backups:
                print("  BROKEN after kill %d: %s" % (counts["kills"], name))
            due = counts["kills"] - checked_at >= args.check_every or counts["kills"] >= args.kills
            if due and counts["kills"] > checked_at:
                checked_at = counts["kills"]
                model_index += 1
                model = MODELS[model_index % 2]
                start = time.monotonic()
                proc = run_module(directory, model, work)
                out, err = proc.communicate()
                duration = time.monotonic() - start
                counts["finished_runs"] += 1
                result = json.loads(out) if out.strip().startswith(b"{") else {}
                if proc.returncode or result.get("failed"):
                    print("  a finished run failed: %s %s" % (result.get("msg"), err.decode()[-500:]))
                _bad_files, _bad_backups, left = survey(directory, valid, seen_backups)
                counts["stale_temporaries_after_next_run"] += len(left)
                if not converged(directory, valid, model):
                    counts["finished_runs_not_converged"] += 1
                print(
                    "after %3d kills (%d mid-write): mixed or truncated files %d, partial backups %d, temporaries left "
                    "by kills %d, left after the next complete run %d"
                    % (
                        counts["kills"],
                        counts["kills_mid_write"],
                        counts["mixed_or_truncated_files"],
                        counts["partial_backups"],
                        counts["temporaries_left_by_kills"],
                        counts["stale_temporaries_after_next_run"],
                    ),
                    flush=True,
                )
        counts["files"] = args.files
        counts["backups"] = sum(1 for n in os.listdir(directory) if n.endswith("~"))
        print(json.dumps(counts, sort_keys=True))
        bad = (
            counts["mixed_or_truncated_files"] + counts["partial_backups"] + counts["stale_temporaries_after_next_run"]
        )
        return 1 if bad or counts["finished_runs_not_converged"] else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
