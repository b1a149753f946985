# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt_xml against real domain XML written by others (libvirt's own test data in ../shared/corpus)."""

from __future__ import annotations

import glob
import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml as libvirt_xml

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", "..", "..", ".."))
CORPUS = os.environ.get("NICTUNE_CORPUS") or os.path.join(os.path.dirname(_ROOT), "shared", "corpus")
_X86 = ("x86_64", "i686", None)
_MODEL_RE = re.compile(rb"\s*<model\s+type\s*=\s*(['\"])[^'\"]*\1\s*/>")


def _corpus_files():
    if not os.path.isdir(CORPUS):
        return []
    return sorted(glob.glob(os.path.join(CORPUS, "libvirt", "*", "*.xml")))


def _eligible(path):
    """x86 qemu/kvm domains with at least one guest NIC (not hostdev), and which our parser accepts."""
    with open(path, "rb") as handle:
        data = handle.read()
    if b"<interface" not in data:
        return None
    try:
        domain = libvirt_xml.Domain(data, path)
    except NicTuneError:
        return None
    if domain.domain_type not in ("qemu", "kvm") or domain.arch not in _X86:
        return None
    if not any(n["type"] != "hostdev" for n in domain.nics()):
        return None
    return data


FILES = _corpus_files()
ELIGIBLE = [(os.path.relpath(p, CORPUS), d) for p in FILES for d in [_eligible(p)] if d is not None]


def _strip(elem):
    """Canonical form: whitespace-only text dropped, interface <model> removed."""
    for iface in elem.iter("interface"):
        for model in iface.findall("model"):
            iface.remove(model)
    for node in elem.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return ET.tostring(elem)


def _guest_ifaces(root):
    devices = root.find("devices")
    return [] if devices is None else devices.findall("interface")


def test_corpus_present():
    if not FILES:
        pytest.skip("corpus not found at %s (set NICTUNE_CORPUS to use another)" % CORPUS)
    assert len(ELIGIBLE) >= 20, "expected many x86 domain XMLs with NICs in the corpus"


@pytest.mark.skipif(not FILES, reason="corpus ../shared/corpus not present (set NICTUNE_CORPUS)")
@pytest.mark.parametrize("name,data", ELIGIBLE, ids=[e[0] for e in ELIGIBLE])
def test_corpus_virtio(name, data):
    warnings = []
    options = {"model": "virtio", "match": {}}
    new, result = libvirt_xml.plan_file(name, data, options, warnings.append)
    before = ET.fromstring(data)
    after = ET.fromstring(new)
    # Only <model> elements differ.
    assert _strip(ET.fromstring(data)) == _strip(ET.fromstring(new))
    for old_if, new_if in zip(_guest_ifaces(before), _guest_ifaces(after)):
        if old_if.get("type") == "hostdev":
            assert ET.tostring(old_if) == ET.tostring(new_if)
            continue
        model = new_if.find("model")
        assert model is not None and model.get("type").lower() == "virtio"
        old_mac, new_mac = old_if.find("mac"), new_if.find("mac")
        assert (old_mac is None) == (new_mac is None)
        if old_mac is not None:
            assert old_mac.attrib == new_mac.attrib
        old_addr, new_addr = old_if.find("address"), new_if.find("address")
        assert (old_addr is None and new_addr is None) or old_addr.attrib == new_addr.attrib
    assert all(n["model_after"] == "virtio" for n in result["nics"] if n["type"] != "hostdev")
    # Idempotent.
    again, result2 = libvirt_xml.plan_file(name, new, options, warnings.append)
    assert again == new
    assert not any(n["changed"] for n in result2["nics"])
    # Byte for byte, the files differ only in <model .../> elements (formatting and comments kept).
    assert _MODEL_RE.sub(b"", new) == _MODEL_RE.sub(b"", data)
