# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edits of the domain XML editor on legal but unusual markup: the result always parses, keeps every
other node, and sets the model that libvirt will read."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml as libvirt_xml


def _doc(iface, newline=b"\n"):
    lines = [b"<domain type='kvm'>", b"  <name>d1</name>", b"  <devices>", iface, b"  </devices>", b"</domain>", b""]
    return newline.join(lines)


def _plan(data, model="virtio", match=None):
    warnings = []
    options = {"model": model, "match": normalise_match(match)}
    new, result = libvirt_xml.plan_file("d1.xml", data, options, warnings.append)
    return new, result, warnings


def _models(data):
    return [nic["model"] for nic in libvirt_xml.describe_file("d1.xml", data, None)["nics"]]


def _is_insertion(old, new):
    """True when ``new`` is ``old`` with bytes inserted at one place (nothing of ``old`` removed or changed)."""
    prefix = 0
    while prefix < len(old) and old[prefix] == new[prefix]:
        prefix += 1
    return new.endswith(old[prefix:]) and len(new) > len(old)


def _comments_and_text(data):
    root = ET.fromstring(data, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
    iface = root.find("devices/interface")
    kept = [c.text for c in iface if c.tag is ET.Comment]
    texts = [(iface.text or "").strip()] + [(c.tail or "").strip() for c in iface]
    return kept, [t for t in texts if t]


@pytest.mark.parametrize("end_tag", [b"</interface >", b"</interface\n    >", b"</interface\t>"])
def test_childless_interface_with_spaced_end_tag_stays_well_formed(end_tag):
    data = _doc(b"    <interface type='user'>\n    " + end_tag)
    new, result, _w = _plan(data)
    assert result["nics"][0]["changed"]
    ET.fromstring(new)  # Python's own parser accepts it
    assert _models(new) == ["virtio"]
    assert end_tag in new
    again, result2, _w = _plan(new)
    assert again == new and not result2["nics"][0]["changed"]


@pytest.mark.parametrize(
    "inner",
    [
        b"\n      <!-- NIC for the DMZ: do not remove -->\n    ",
        b"<!-- NIC for the DMZ: do not remove -->",
        b"\n      <!-- NIC for the DMZ: do not remove -->\n      <?keep this?>\n    ",
        b"\n      DMZ uplink\n    ",
    ],
)
def test_childless_interface_keeps_its_comments_and_text(inner):
    data = _doc(b"    <interface type='user'>" + inner + b"</interface>")
    before = _comments_and_text(data)
    new, _result, _w = _plan(data)
    assert _models(new) == ["virtio"]
    assert _comments_and_text(new) == before
    assert _is_insertion(data, new)


@pytest.mark.parametrize(
    "model_tag",
    [
        b"<model foo=\" type='x'\" type='e1000'/>",
        b'<model foo=\' type="x"\' type="e1000"/>',
        b"<model data-type='rtl' type='e1000'/>",
        b"<model\n        foo='a type=b'\n        type='e1000'/>",
    ],
)
def test_model_type_is_found_by_parsing_not_by_searching_text(model_tag):
    data = _doc(b"    <interface type='user'>\n      " + model_tag + b"\n    </interface>")
    new, result, _w = _plan(data, model="rtl8139")
    assert result["nics"][0]["changed"]
    assert _models(new) == ["rtl8139"]
    foo_before = ET.fromstring(data).find("devices/interface/model").attrib
    foo_after = ET.fromstring(new).find("devices/interface/model").attrib
    assert {k: v for k, v in foo_after.items() if k != "type"} == {k: v for k, v in foo_before.items() if k != "type"}
    again, result2, _w = _plan(new, model="rtl8139")
    assert again == new and not result2["nics"][0]["changed"]


def test_interface_quote_style_is_read_from_its_own_type_attribute():
    data = _doc(b"    <interface foo=\" type='x'\" type=\"user\">\n      <source network='n'/>\n    </interface>")
    new, _result, _w = _plan(data)
    assert b'<model type="virtio"/>' in new


@pytest.mark.parametrize(
    "iface",
    [
        b"    <interface type='network'>\r\n      <source network='default'/>\r\n    </interface>",
        b"    <interface type='network'>\r\n    </interface>",
        b"    <interface type='network'/>",
    ],
)
def test_inserted_model_line_uses_the_file_line_ending(iface):
    data = _doc(iface, newline=b"\r\n")
    new, _result, _w = _plan(data)
    assert _models(new) == ["virtio"]
    assert new.count(b"\n") == new.count(b"\r\n"), new


def test_every_driver_element_goes_when_the_model_is_not_virtio():
    data = _doc(
        b"    <interface type='user'>\n      <model type='virtio'/>\n      <driver ats='on'/>\n"
        b"      <driver queues='2'/>\n    </interface>"
    )
    new, _result, warnings = _plan(data, model="e1000e")
    assert b"<driver" not in new and _models(new) == ["e1000e"]
    assert len(warnings) == 1
