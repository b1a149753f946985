# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Proxmox core against a corpus of real qemu-server configs (Proxmox's own test configs and two home labs).

The corpus lives outside the project (``<repo>/../shared/corpus``, or ``$NICTUNE_CORPUS``); these tests skip
when it is absent. Every config must round-trip byte for byte; setting ``e1000e`` on every NIC must change
the model token of each ``netN:`` line of the current configuration and nothing else; the two files Proxmox's
strict reader refuses must be refused at the line where the format breaks, and a task over them writes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import ConfigSyntaxError, NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.backend import describe_file, plan_file
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.qemu_config import QemuConfig

# beside the checkout, or where NICTUNE_CORPUS says
CORPUS = Path(os.environ.get("NICTUNE_CORPUS") or Path(__file__).resolve().parents[5] / "shared" / "corpus") / "proxmox"
FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.conf")) if CORPUS.is_dir() else []
# The parse-config tests of qemu-server that its strict reader refuses, and the line where each breaks.
MALFORMED = {
    "qemu-server/parse-config-input/duplicate-sections.conf": (23, "[PENDING] is written twice"),
    "qemu-server/parse-config-input/unknown-sections.conf": (20, "unknown section [special:unknown123]"),
}
GOOD = [f for f in FILES if f not in MALFORMED]
needs_corpus = pytest.mark.skipif(
    not FILES, reason="corpus not found at %s (set NICTUNE_CORPUS to use another place)" % CORPUS
)
OPTIONS = {"model": "e1000e", "match": normalise_match(None), "proxmox_via": "file"}
_NET_LINE_RE = re.compile(r"^(net[0-9]+:[ \t]*)([a-z0-9_-]+)(=.*)$")


def _read(name):
    return (CORPUS / name).read_bytes()


def _plan(name, data):
    warnings = []
    new, result = plan_file(str(CORPUS / name), data, OPTIONS, warnings.append)
    return new, result, warnings


def _current_section_end(lines):
    """Index of the first section header: lines before it are the current configuration."""
    for number, line in enumerate(lines):
        if line.startswith("["):
            return number
    return len(lines)


@needs_corpus
def test_the_corpus_is_there_and_holds_both_kinds():
    assert len(GOOD) >= 100
    assert set(MALFORMED) <= set(FILES)


@needs_corpus
@pytest.mark.parametrize("name", FILES)
def test_round_trip_byte_for_byte_or_refused_where_it_breaks(name):
    data = _read(name)
    if name in MALFORMED:
        line, reason = MALFORMED[name]
        with pytest.raises(ConfigSyntaxError) as exc:
            QemuConfig.parse(data, name)
        assert (exc.value.line, exc.value.path) == (line, name)
        assert reason in exc.value.reason
        return
    assert QemuConfig.parse(data, name).to_bytes() == data


_LOCK_RE = re.compile(rb"^lock: .*\n", re.MULTILINE)


@needs_corpus
@pytest.mark.parametrize("name", GOOD)
def test_e1000e_changes_only_the_model_token_of_current_netn_lines(name):
    data = _read(name)
    cfg = QemuConfig.parse(data, name)
    if cfg.main.get("lock"):
        # Proxmox refuses changes to a locked VM (a snapshot or backup under way): so does the plan. The edit
        # itself is then checked on the same file without its lock line.
        new, result, _warnings = _plan(name, data)
        assert new == data and result["skipped"] and "locked" in result["reason"]
        data = _LOCK_RE.sub(b"", data, count=1)
    before_info = describe_file(name, data, lambda m: None)
    new, result, _warnings = _plan(name, data)
    old_lines = data.decode("latin-1").split("\n")
    new_lines = new.decode("latin-1").split("\n")
    assert len(new_lines) == len(old_lines)
    end = _current_section_end(old_lines)
    edited = 0
    for number, (old, new_line) in enumerate(zip(old_lines, new_lines)):
        match = _NET_LINE_RE.match(old)
        if number < end and match:
            assert new_line == match.group(1) + "e1000e" + match.group(3), (number + 1, old, new_line)
            edited += 1
        else:
            assert new_line == old, (number + 1, old, new_line)  # snapshot sections, [PENDING] and the rest
    current = [n for n in before_info["nics"] if n["in_config"]]
    assert edited == len(current)
    assert [n["changed"] for n in result["nics"]] == [n["model"] != "e1000e" for n in current]
    after_info = describe_file(name, new, lambda m: None)
    assert [n["model"] for n in after_info["nics"]] == ["e1000e"] * len(current)
    assert [n["mac"] for n in after_info["nics"]] == [n["mac"] for n in current]
    again, second, _warnings = _plan(name, new)
    assert again == new
    assert not any(n["changed"] for n in second["nics"])


@needs_corpus
def test_a_task_over_the_parse_config_inputs_fails_naming_both_files_and_writes_nothing(tmp_path, make_host):
    source = CORPUS / "qemu-server" / "parse-config-input"
    shutil.copytree(str(source), str(tmp_path / "qemu-server"))
    for path in (tmp_path / "qemu-server").iterdir():
        path.chmod(0o644)  # the corpus is read-only
    before = {p.name: p.read_bytes() for p in (tmp_path / "qemu-server").iterdir()}
    params = {"backend": "proxmox", "path": [str(tmp_path / "qemu-server" / "*.conf")], "model": "e1000e",
              "proxmox_mode": "file", "proxmox_pending": "skip", "match": None}  # fmt: skip
    with pytest.raises(NicTuneError) as exc:
        run.apply(make_host(), params)
    assert "2 of %d files cannot be used; nothing was written" % len(before) in str(exc.value)
    assert "duplicate-sections.conf:23: [PENDING] is written twice" in str(exc.value)
    assert "unknown-sections.conf:20: unknown section [special:unknown123]" in str(exc.value)
    assert {p.name: p.read_bytes() for p in (tmp_path / "qemu-server").iterdir()} == before
