# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Xen core against a corpus of real xl/xm configs, and Xen's own parser verdict on each.

The corpus lives outside the project (``<repo>/../shared/corpus``, or ``$NICTUNE_CORPUS``); these
tests skip when it is absent.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import ConfigSyntaxError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import describe_file, plan_file
from ansible_collections.nictune.fleet.plugins.module_utils._xen.vif_spec import VifSpec
from ansible_collections.nictune.fleet.plugins.module_utils._xen.xl_config import XlConfig


def _corpus_dir():
    env = os.environ.get("NICTUNE_CORPUS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[4]
    return repo.parent / "shared" / "corpus"


CORPUS = _corpus_dir()
REFERENCE = CORPUS / "xl" / "REFERENCE-PARSE.tsv"
FOLDERS = ("xlconfigdata", "xmconfigdata", "xen-examples")


def _rows():
    if not REFERENCE.is_file():
        return []
    with open(str(REFERENCE), newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = _rows()
ACCEPTED = [r for r in ROWS if r["xl_parser"] == "OK"]
REFUSED = [r for r in ROWS if r["xl_parser"] != "OK"]
needs_corpus = pytest.mark.skipif(
    not ROWS, reason="corpus not found at %s (set NICTUNE_CORPUS to use another place)" % CORPUS
)
OPTIONS = {"model": "e1000", "xen_type": None, "pin_mac": False, "backup": False, "match": normalise_match(None)}
# e1000 adds model= to the many specs without one; rtl8139 replaces the many written e1000 in place
MODELS = ("e1000", "rtl8139")


def _read(row):
    with open(str(CORPUS / row["file"]), "rb") as handle:
        return handle.read()


def _ids(rows):
    return [r["file"] for r in rows]


@needs_corpus
def test_every_corpus_file_has_a_reference_verdict():
    listed = {r["file"] for r in ROWS}
    on_disk = set()
    for folder in FOLDERS:
        for path in (CORPUS / "xl" / folder).iterdir():
            if path.suffix != ".xml":
                on_disk.add("xl/%s/%s" % (folder, path.name))
    assert on_disk == listed


@needs_corpus
@pytest.mark.parametrize("row", ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_file_round_trips_and_counts_nics(row):
    data = _read(row)
    cfg = XlConfig.parse(data, row["file"])
    assert cfg.to_bytes() == data
    info = describe_file(row["file"], data, [].append)
    expected_nics = int(row["nics"]) if row["nics"] else 0
    assert len(info["nics"]) == expected_nics
    if row["models"]:
        written = [VifSpec(n).get("model") or "-" for n in cfg.get_value("vif")]
        assert ",".join(written) == row["models"]


def _skeleton(data, cfg):
    """The file with every atom replaced by a marker, and the atoms in order."""
    atoms = []

    def walk(node):
        if node.kind == "list":
            for item in node.items:
                walk(item)
        else:
            atoms.append(node)

    for assignment in cfg.assignments():
        walk(assignment.value)
    parts, pos = [], 0
    for atom in atoms:
        parts.append(data[pos : atom.start])
        parts.append(b"\x00ATOM\x00")
        pos = atom.end
    parts.append(data[pos:])
    return b"".join(parts), atoms


@needs_corpus
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("row", ACCEPTED, ids=_ids(ACCEPTED))
def test_plan_changes_only_model_tokens(row, model):
    data = _read(row)
    options = dict(OPTIONS, model=model)
    new, result = plan_file(row["file"], data, options, [].append)
    before_cfg = XlConfig.parse(data, row["file"])
    after_cfg = XlConfig.parse(new, row["file"])  # the result parses back
    before_skel, before_atoms = _skeleton(data, before_cfg)
    after_skel, after_atoms = _skeleton(new, after_cfg)
    assert before_skel == after_skel  # nothing outside the value tokens moved
    assert len(before_atoms) == len(after_atoms)

    emulated = {}
    if result["guest_type"] == "hvm":
        vif_items = before_cfg.get("vif").value.items if before_cfg.get("vif") else []
        for nic in result["nics"]:
            if nic["type"] == "ioemu":
                emulated[vif_items[nic["index"]].start] = nic
    changed_tokens = 0
    for before, after in zip(before_atoms, after_atoms):
        raw_before = data[before.start : before.end]
        raw_after = new[after.start : after.end]
        if raw_before == raw_after:
            continue
        changed_tokens += 1
        assert before.start in emulated, "a token that is not an emulated NIC changed: %r" % raw_before
        assert raw_before[:1] == raw_after[:1]  # quote style kept
        items_before = VifSpec(before.value).items()
        items_after = VifSpec(after.value).items()
        if len(items_after) == len(items_before) + 1:
            assert items_after[:-1] == items_before
            assert items_after[-1] == ("model", model)
        else:
            assert len(items_after) == len(items_before)
            for (kb, vb), (ka, va) in zip(items_before, items_after):
                assert kb == ka
                assert va == vb or (ka == "model" and va == model)
    assert changed_tokens == sum(1 for n in result["nics"] if n["changed"])
    if result["guest_type"] != "hvm":
        assert new == data and result["skipped"]

    again, result2 = plan_file(row["file"], new, options, [].append)
    assert again == new
    assert not any(n["changed"] for n in result2["nics"])
    for nic in describe_file(row["file"], new, [].append)["nics"]:
        if result["guest_type"] == "hvm" and nic["type"] == "ioemu":
            assert nic["model"] == model


@needs_corpus
@pytest.mark.parametrize("row", REFUSED, ids=_ids(REFUSED))
def test_refused_file_gives_located_error(row):
    data = _read(row)
    with pytest.raises(ConfigSyntaxError) as exc:
        XlConfig.parse(data, row["file"])
    assert exc.value.path == row["file"]
    assert exc.value.line is not None
    found = re.search(r"line (\d+)", row["xl_parser"])
    if found:
        assert exc.value.line == int(found.group(1))
    assert str(exc.value).startswith("%s:%d: " % (row["file"], exc.value.line))
    with pytest.raises(ConfigSyntaxError):
        plan_file(row["file"], data, OPTIONS, [].append)


@needs_corpus
def test_verdict_totals():
    accepted = refused = 0
    for row in ROWS:
        try:
            XlConfig.parse(_read(row), row["file"])
            accepted += 1
        except ConfigSyntaxError:
            refused += 1
    assert (accepted, refused) == (len(ACCEPTED), len(REFUSED))
