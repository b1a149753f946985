# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeded mutation fuzzing of the config editors, with the edit-then-reparse check.

A *core* (see :mod:`cores`) names one parser/editor: its seed inputs, the mutations that suit its format, the
options a task may give, and the callables ``plan(path, data, options, warn)``, ``describe(path, data, warn)`` and
``check_edit(old, new, result, options)``. For each input the harness:

1. mutates a seed (one to four mutations, picked by a seeded random generator);
2. runs ``describe`` and ``plan``: a ``NicTuneError`` that names the file is a *clean error* (the file is refused
   with a reason), any other exception, or an error that does not say which file it is about, a *crash*;
3. where ``plan`` changed the data: runs the core's ``check_edit`` (the edited file parses again with the core's own
   parser, and with the real one where there is one; it differs from the input only where the model, type or MAC
   changed; the model read back is the one planned), and plans the edited file again, which must change nothing.
   A result that claims a change the bytes do not show is an error too. Each problem is a *broken output*.

Everything is reproducible from ``--seed``: input ``i`` of chunk ``c`` of a core always gets the same mutations.
Failing inputs are written to ``--save`` (default ``.build/fuzz-failures``) with a note saying what went wrong.

Adding a core (a new backend) is one entry in :data:`cores.CORES`.
"""

from __future__ import annotations

import glob
import json
import os
import random
import time
import traceback
from multiprocessing import get_context

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("NICTUNE_CORPUS") or os.path.join(os.path.dirname(ROOT), "shared", "corpus")
#: The path every input is planned under: a clean error must name it.
INPUT_PATH = "fuzz.input"


def seed_files(*patterns):
    """``[(label, bytes)]`` of the files (below 1 MiB) matching ``patterns``, labelled relative to the checkout's
    parent folder; patterns that match nothing (a corpus that is absent) give nothing."""
    out = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path) and os.path.getsize(path) < (1 << 20):
                with open(path, "rb") as handle:
                    out.append((os.path.relpath(path, os.path.dirname(ROOT)), handle.read()))
    return out


def match_option(rng, macs, bridges, extra=()):
    """A ``match`` option for a task: mostly none (every NIC), else one of the keys every backend knows (a MAC of
    ``macs``, the bridges ``bridges``) or one of ``extra`` (dicts, for keys only some backends know)."""
    return normalise_match(
        rng.choice(
            [
                None,
                None,
                None,
                {"index": [rng.randrange(4)]},
                {"model": ["rtl8139"]},
                {"model": ["e1000", "virtio"]},
                {"bridge": list(bridges)},
                {"mac": [rng.choice(macs)]},
                *extra,
            ]
        )
    )


def corpus_and_test_files(folder, suffix, target):
    """Seeds of one format: the files ending in ``suffix`` below the corpus's ``folder`` and below the ``files`` of
    integration target ``target``."""
    return seed_files(
        os.path.join(CORPUS, folder, "**", "*" + suffix),
        os.path.join(ROOT, "tests", "integration", "targets", target, "files", "**", "*" + suffix),
    )


# -- generic mutations: each takes (rng, data, core) and returns new bytes -------------------------------------------


def _span(rng, data, most=64):
    if not data:
        return 0, 0
    start = rng.randrange(len(data))
    return start, min(len(data), start + rng.randint(1, most))


def flip_byte(rng, data, _core):
    if not data:
        return data
    pos = rng.randrange(len(data))
    return data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1 :]


def random_byte(rng, data, _core):
    pos = rng.randint(0, len(data))
    byte = rng.choice([rng.randrange(256), 0x0A, 0x0D, 0x09, 0x20, 0x22, 0x27, 0x5C, 0xE9, 0xFF, 0x00])
    return data[:pos] + bytes([byte]) + data[pos:]


def delete_span(rng, data, _core):
    start, end = _span(rng, data)
    return data[:start] + data[end:]


def duplicate_span(rng, data, _core):
    start, end = _span(rng, data, 200)
    pos = rng.randint(0, len(data))
    return data[:pos] + data[start:end] + data[pos:]


def insert_token(rng, data, core):
    pos = rng.randint(0, len(data))
    # tokens go mostly where they make sense: at the start of a line, or after a quote, comma or tag
    anchors = [i + 1 for i, byte in enumerate(data) if byte in b"\n,'\">"]
    if anchors and rng.random() < 0.7:
        pos = rng.choice(anchors)
    return data[:pos] + rng.choice(core.tokens) + data[pos:]


def occurrences(data, needle, most=50):
    """Where ``needle`` starts in ``data`` (the first ``most`` places)."""
    starts = []
    pos = data.find(needle)
    while pos >= 0 and len(starts) < most:
        starts.append(pos)
        pos = data.find(needle, pos + 1)
    return starts


def replace_token(rng, data, core):
    present = [t for t in core.tokens if len(t) > 1 and t in data]
    if not present:
        return insert_token(rng, data, core)
    old = rng.choice(present)
    pos = rng.choice(occurrences(data, old))
    return data[:pos] + rng.choice(core.tokens) + data[pos + len(old) :]


def insert_after(rng, data, core, anchor, pieces):
    """``data`` with one of ``pieces`` (bytes, or a callable ``rng -> bytes``) just after an occurrence of
    ``anchor``; a token of the core where ``anchor`` does not occur (the structure-aware mutators' common step)."""
    starts = occurrences(data, anchor)
    if not starts:
        return insert_token(rng, data, core)
    pos = rng.choice(starts) + len(anchor)
    piece = rng.choice(pieces)
    if callable(piece):
        piece = piece(rng)
    return data[:pos] + piece + data[pos:]


def splice_seed(rng, data, core):
    _name, other = rng.choice(core.seed_list)
    start, end = _span(rng, other, 400)
    pos = rng.randint(0, len(data))
    return data[:pos] + other[start:end] + data[pos:]


def crlf(rng, data, _core):
    return data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data.replace(b"\n", b"\r\n", rng.randint(1, 3))


def truncate(rng, data, _core):
    return data[: rng.randint(0, len(data))]


GENERIC = (
    flip_byte,
    random_byte,
    delete_span,
    duplicate_span,
    insert_token,
    replace_token,
    splice_seed,
    crlf,
    truncate,
)


def mutations(*specific):
    """A core's ``[(weight, mutation)]``: the generic ones, the token ones, then the core's ``specific`` ones."""
    return [(3, f) for f in GENERIC] + [(6, insert_token), (6, replace_token), *specific]


class Core:
    """One parser/editor under test; see the module docstring."""

    def __init__(self, name, *, seeds, tokens, mutators, options, plan, describe, check_edit):
        self.name = name
        self.seeds = seeds  # callable -> [(label, bytes)]
        self.tokens = [t if isinstance(t, bytes) else t.encode("latin-1") for t in tokens]
        self.mutators = mutators  # [(weight, function)]
        self.options = options  # callable rng -> options dict
        self.plan = plan
        self.describe = describe
        self.check_edit = check_edit
        self.seed_list = None

    def load(self):
        if self.seed_list is None:
            self.seed_list = [(label, data) for label, data in self.seeds() if data]
            if not self.seed_list:
                raise RuntimeError("core %s has no seed inputs" % self.name)
        return self

    def mutate(self, rng):
        label, data = rng.choice(self.seed_list)
        names = []
        weights = [w for w, _f in self.mutators]
        functions = [f for _w, f in self.mutators]
        for _round in range(rng.choice((0, 1, 1, 1, 1, 2, 2, 3))):
            function = rng.choices(functions, weights)[0]
            data = function(rng, data, self)
            names.append(function.__name__)
        return label, names, data


def _nics_changed(result):
    return [n for n in result.get("nics") or [] if n.get("changed")]


def check_one(core, data, options):
    """``(outcome, detail)`` for one input: outcome is "ok", "clean", "crash" or "broken"."""
    warnings = []
    try:
        core.describe(INPUT_PATH, data, warnings.append)
    except NicTuneError as exc:
        if exc.path != INPUT_PATH:
            return "crash", "describe: an error that does not name the file: %s" % exc
    except Exception:  # pylint: disable=broad-except
        return "crash", "describe: " + traceback.format_exc(limit=6)
    try:
        new, result = core.plan(INPUT_PATH, data, options, warnings.append)
    except NicTuneError as exc:
        if exc.path != INPUT_PATH:
            return "crash", "plan: an error that does not name the file: %s" % exc
        return "clean", None
    except Exception:  # pylint: disable=broad-except
        return "crash", "plan: " + traceback.format_exc(limit=6)
    if new == data:
        if _nics_changed(result):
            return "broken", "the result claims a change but the bytes are the same"
        return "ok", None
    try:
        problems = list(core.check_edit(data, new, result, options))
        again, result2 = core.plan(INPUT_PATH, new, options, [].append)
        if again != new or _nics_changed(result2):
            problems.append("planning the edited file again changes it again (not idempotent)")
    except NicTuneError as exc:
        problems = ["the edited file is refused: %s" % exc]
    except Exception:  # pylint: disable=broad-except
        return "crash", "check of the edit: " + traceback.format_exc(limit=6)
    if problems:
        return "broken", "; ".join(problems)
    return "changed", None


def _chunk_rng(seed, core_name, chunk):
    return random.Random("%s/%s/%d" % (seed, core_name, chunk))


def run_chunk(args):
    """Worker: ``count`` inputs of one core; returns counts and up to 20 failures."""
    core_name, chunk, count, seed, save = args
    from cores import CORES  # pylint: disable=import-outside-toplevel

    core = CORES[core_name].load()
    rng = _chunk_rng(seed, core_name, chunk)
    counts = {"inputs": 0, "ok": 0, "changed": 0, "clean": 0, "crash": 0, "broken": 0}
    failures = []
    for index in range(count):
        label, mutations, data = core.mutate(rng)
        options = core.options(rng)
        outcome, detail = check_one(core, data, options)
        counts["inputs"] += 1
        counts[outcome] += 1
        if outcome in ("crash", "broken") and len(failures) < 20:
            failure = {
                "core": core_name,
                "chunk": chunk,
                "index": index,
                "seed_input": label,
                "mutations": mutations,
                "options": options,
                "outcome": outcome,
                "detail": detail,
            }
            if save:
                os.makedirs(save, exist_ok=True)
                stem = os.path.join(save, "%s-%d-%d" % (core_name, chunk, index))
                with open(stem + ".input", "wb") as handle:
                    handle.write(data)
                with open(stem + ".json", "w") as handle:
                    json.dump(failure, handle, indent=1, default=str)
                failure["saved"] = stem + ".input"
            failures.append(failure)
    return core_name, counts, failures


def run(core_names, per_core, seed, jobs, save=None, chunk_size=500):
    """Fuzz ``per_core`` inputs of each core over ``jobs`` processes; returns the summary dict."""
    tasks = []
    for name in core_names:
        chunks = max(1, (per_core + chunk_size - 1) // chunk_size)
        for chunk in range(chunks):
            count = min(chunk_size, per_core - chunk * chunk_size)
            if count > 0:
                tasks.append((name, chunk, count, seed, save))
    started = time.monotonic()
    totals = {name: {"inputs": 0, "ok": 0, "changed": 0, "clean": 0, "crash": 0, "broken": 0} for name in core_names}
    failures = []
    if jobs > 1:
        with get_context("fork").Pool(jobs) as pool:
            outputs = pool.imap_unordered(run_chunk, tasks)
            for name, counts, found in outputs:
                for key, value in counts.items():
                    totals[name][key] += value
                failures.extend(found)
    else:
        for task in tasks:
            name, counts, found = run_chunk(task)
            for key, value in counts.items():
                totals[name][key] += value
            failures.extend(found)
    summary = {
        "seed": seed,
        "seconds": round(time.monotonic() - started, 1),
        "inputs": sum(t["inputs"] for t in totals.values()),
        "clean_errors": sum(t["clean"] for t in totals.values()),
        "edited": sum(t["changed"] for t in totals.values()),
        "crashes": sum(t["crash"] for t in totals.values()),
        "broken_outputs": sum(t["broken"] for t in totals.values()),
        "per_core": totals,
    }
    return summary, failures


def print_report(summary, failures, out):
    for name, counts in summary["per_core"].items():
        out(
            "%-12s inputs %7d   edited %6d   unchanged %6d   clean errors %6d   crashes %d   broken outputs %d"
            % (
                name,
                counts["inputs"],
                counts["changed"],
                counts["ok"],
                counts["clean"],
                counts["crash"],
                counts["broken"],
            )
        )
    for failure in failures[:10]:
        out(
            "%s %s: core %s, seed input %s, mutations %s, options %s\n  %s"
            % (
                failure["outcome"].upper(),
                failure.get("saved", ""),
                failure["core"],
                failure["seed_input"],
                ",".join(failure["mutations"]) or "-",
                json.dumps(failure["options"], sort_keys=True, default=str),
                (failure["detail"] or "").strip().replace("\n", "\n  "),
            )
        )
    out(
        "inputs tried %d, clean errors %d, edited %d, crashes %d, broken outputs %d, %.1f s"
        % (
            summary["inputs"],
            summary["clean_errors"],
            summary["edited"],
            summary["crashes"],
            summary["broken_outputs"],
            summary["seconds"],
        )
    )
