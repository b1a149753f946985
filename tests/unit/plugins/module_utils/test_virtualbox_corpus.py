# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VirtualBox file backend against real .vbox files written by others (../shared/corpus/virtualbox), and
variants of them made here from what they show: the other settings namespace, CRLF, ISO-8859-1 with a Latin-1
name, every slot enabled, and adapters without a type (VirtualBox's default by settings version)."""

from __future__ import annotations

import glob
import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox import backend
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox.settings import NAMESPACES, MachineSettings

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", "..", "..", ".."))
CORPUS = os.environ.get("NICTUNE_CORPUS") or os.path.join(os.path.dirname(_ROOT), "shared", "corpus")
FILES = sorted(glob.glob(os.path.join(CORPUS, "virtualbox", "**", "*.vbox"), recursive=True))
NEW_NS, OLD_NS = (ns.encode() for ns in NAMESPACES)
_TAG_RE = re.compile(rb"(<Adapter\b[^>]*>)")
_TYPE_VALUE_RE = re.compile(rb"(\stype\s*=\s*)(\"[^\"]*\"|'[^']*')")
_MACHINE_PART_RE = re.compile(rb"^(.*?)(<Snapshot\b|</Machine>)", re.S)


def _machine_adapters_only(data, change):
    """``change(tag)`` applied to the <Adapter> start tags of the machine (before any <Snapshot>)."""
    head = _MACHINE_PART_RE.match(data).group(1)
    return _TAG_RE.sub(lambda m: change(m.group(1)), head) + data[len(head) :]


VARIANTS = {
    "as-is": lambda d: d,
    "other-namespace": lambda d: d.replace(OLD_NS, NEW_NS) if OLD_NS in d else d.replace(NEW_NS, OLD_NS),
    "crlf": lambda d: d.replace(b"\n", b"\r\n"),
    "latin1-name": lambda d: re.sub(
        rb'(<Machine\b[^>]*?\sname=")[^"]*"',
        '\\1Bürorechner-ÄÖ"'.encode("latin-1"),
        re.sub(rb"^<\?xml[^>]*\?>", b'<?xml version="1.0" encoding="ISO-8859-1"?>', d),
        count=1,
    ),
    "all-slots-enabled": lambda d: _machine_adapters_only(
        d, lambda t: t.replace(b'enabled="false"', b'enabled="true"')
    ),
    "no-type-settings-1.16": lambda d: re.sub(
        rb'(<VirtualBox\b[^>]*\sversion=")[^"]*"',
        b'\\g<1>1.16-linux"',
        _machine_adapters_only(d, lambda t: _TYPE_VALUE_RE.sub(b"", t)),
        count=1,
    ),
}
CASES = [(os.path.relpath(path, CORPUS), name) for path in FILES for name in VARIANTS]


def _read(rel, variant):
    with open(os.path.join(CORPUS, rel), "rb") as handle:
        return VARIANTS[variant](handle.read())


def _tree(data):
    return ET.fromstring(data, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))


def _c14n(root):
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


def _machine_adapters(root):
    ns = root.tag[: root.tag.index("}") + 1]
    return root.findall(f"{ns}Machine/{ns}Hardware/{ns}Network/{ns}Adapter")


def test_corpus_present():
    if not FILES:
        pytest.skip("corpus not found at %s/virtualbox (set NICTUNE_CORPUS to use another)" % CORPUS)
    assert len(FILES) >= 7, "expected the seven .vbox files of the corpus"


@pytest.mark.skipif(not FILES, reason="corpus ../shared/corpus not present (set NICTUNE_CORPUS)")
@pytest.mark.parametrize("rel,variant", CASES, ids=["%s[%s]" % c for c in CASES])
def test_round_trip_and_virtio(rel, variant):
    data = _read(rel, variant)
    settings = MachineSettings(data, rel)
    assert len(settings.adapters) == 8
    if variant == "latin1-name":
        assert b"\xfc" in data and settings.name == "Bürorechner-ÄÖ"
    # Round trip: read, plan nothing, the bytes come back as they are.
    same, _result = backend.plan_file(rel, data, {"model": None, "match": {}}, lambda m: None)
    assert same == data and settings.edit([]) == data
    info = backend.describe_file(rel, data, lambda m: None)
    assert [n["slot"] for n in info["nics"]] == list(range(8)) and all(n["mac"] for n in info["nics"])

    new, result = backend.plan_file(rel, data, {"model": "virtio", "match": {}}, lambda m: None)
    enabled = [a["slot"] for a in settings.adapters if a["enabled"]]
    assert [n["slot"] for n in result["nics"] if n["changed"]] == [
        s for s in enabled if result["nics"][s]["type_before"] != "virtio"
    ]

    # Canonical XML: the old document with exactly those type attributes set is the new one.
    expected = _tree(data)
    for node in _machine_adapters(expected):
        if node.get("enabled") == "true":
            node.set("type", "virtio")
    assert _c14n(expected) == _c14n(_tree(new))

    # Bytes: outside the machine's <Adapter> start tags nothing differs; inside them only the type value.
    old_parts, new_parts = _TAG_RE.split(data), _TAG_RE.split(new)
    assert len(old_parts) == len(new_parts)
    changed_tags = 0
    for old, now in zip(old_parts, new_parts):
        if old == now:
            continue
        assert old.startswith(b"<Adapter") and b'type="virtio"' in now, (old, now)
        assert _TYPE_VALUE_RE.sub(b"", old) == _TYPE_VALUE_RE.sub(b"", now)
        changed_tags += 1
    assert changed_tags == sum(n["changed"] for n in result["nics"])
    snapshots_at = data.find(b"<Snapshot ")
    if snapshots_at >= 0:
        assert new[new.find(b"<Snapshot ") :] == data[snapshots_at:]

    # Read back: the types, every MAC, the settings version; and a second run changes nothing.
    after = MachineSettings(new, rel)
    assert [a["mac"] for a in after.adapters] == [a["mac"] for a in settings.adapters]
    assert after.version_text == settings.version_text and after.name == settings.name
    assert [a["type"] == "virtio" for a in after.adapters] == [
        a["enabled"] or a["type"] == "virtio" for a in settings.adapters
    ]
    again, result2 = backend.plan_file(rel, new, {"model": "virtio", "match": {}}, lambda m: None)
    assert again == new and not any(n["changed"] for n in result2["nics"])
