# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The .vbox reader/editor and the VirtualBox file backend: table-driven cases built from what real files show
(both settings namespaces, ISO-8859-1, eight slots, disabled adapters with a type and MAC, snapshots repeating
the hardware), refusals, the hold rules, and a seeded fuzz test of edit-then-reparse."""

from __future__ import annotations

import random
import re

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import nic_selected, normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox import backend
from ansible_collections.nictune.fleet.plugins.module_utils._virtualbox.settings import MachineSettings

NEW_NS = "http://www.virtualbox.org/"
OLD_NS = "http://www.innotek.de/VirtualBox-settings"
UUID = "0b2c5e4a-1111-4c3b-9d7e-5f2a8e6b1c01"
_ADAPTER_TAG_RE = re.compile(rb"<Adapter\b[^>]*>")
_TYPE_RE = re.compile(rb"\s+type\s*=\s*(\"[^\"]*\"|'[^']*')")


def adapter(slot, vbox_type="82540EM", enabled="true", mac=None, body="<NAT/>", indent="        "):
    type_attr = "" if vbox_type is None else ' type="%s"' % vbox_type
    mac = mac or "0800270000%02X" % (slot + 1)
    head = '%s<Adapter slot="%d" enabled="%s" MACAddress="%s" cable="true" speed="0"%s' % (
        indent,
        slot,
        enabled,
        mac,
        type_attr,
    )
    if not body:
        return head + "/>\n"
    return "%s>\n%s  %s\n%s</Adapter>\n" % (head, indent, body, indent)


def vbox(adapters, *, ns=NEW_NS, version="1.19-linux", decl='<?xml version="1.0"?>', snapshot="", machine_extra=""):
    return (
        '%s\n<VirtualBox xmlns="%s" version="%s">\n'
        '  <Machine uuid="{%s}" name="web01" OSType="Debian_64"%s>\n'
        "    <Hardware>\n      <Network>\n%s      </Network>\n    </Hardware>\n%s"
        "  </Machine>\n</VirtualBox>\n" % (decl, ns, version, UUID, machine_extra, "".join(adapters), snapshot)
    ).encode("utf-8")


def without_types(data):
    """``data`` with the ``type`` attribute taken out of every <Adapter> start tag."""
    return _ADAPTER_TAG_RE.sub(lambda m: _TYPE_RE.sub(b"", m.group(0)), data)


def plan(data, model="virtio", match=None, facts=None, **extra):
    warnings = []
    options = dict(model=model, match=normalise_match(match), host_facts=facts, **extra)
    new, result = backend.plan_file("t.vbox", data, options, warnings.append)
    return new, result, warnings


def types(data):
    return {a["slot"]: a["type"] for a in MachineSettings(data).adapters}


FLEET = vbox(
    [
        adapter(0, "82540EM"),
        adapter(1, "Am79C973", body='<BridgedInterface name="eth0"/>'),
        adapter(2, "82545EM", body='<HostOnlyInterface name="vboxnet0"/>'),
        adapter(3, "82540EM", enabled="false", body="<DisabledModes><NAT/></DisabledModes>"),
        adapter(4, "virtio", body='<InternalNetwork name="intnet"/>'),
    ]
)
NO_TYPE_516 = vbox([adapter(0, None), adapter(1, "82540EM")], version="1.16-windows")
NO_TYPE_412 = vbox([adapter(0, None), adapter(1, "82540EM")], ns=OLD_NS, version="1.12-macosx")

# (id, document, model, match, slot -> type after, changed slots)
CASES = [
    (
        "fleet-virtio",
        FLEET,
        "virtio",
        None,
        {0: "virtio", 1: "virtio", 2: "virtio", 3: "82540EM", 4: "virtio"},
        [0, 1, 2],
    ),
    ("family-kept", FLEET, "e1000", None, {0: "82540EM", 1: "82540EM", 2: "82545EM", 3: "82540EM"}, [1, 4]),
    ("exact-type", FLEET, "82545em", None, {0: "82545EM", 1: "82545EM", 2: "82545EM", 4: "82545EM"}, [0, 1, 4]),
    ("pcnet", FLEET, "pcnet", None, {0: "Am79C973", 1: "Am79C973", 2: "Am79C973"}, [0, 2, 4]),
    ("match-attachment", FLEET, "virtio", {"attachment": "bridged"}, {0: "82540EM", 1: "virtio"}, [1]),
    ("match-mac", FLEET, "virtio", {"mac": "08-00-27-00-00-03"}, {2: "virtio", 1: "Am79C973"}, [2]),
    ("match-model-vbox", FLEET, "virtio", {"model": "82545EM"}, {0: "82540EM", 2: "virtio"}, [2]),
    ("match-model-canonical", FLEET, "virtio", {"model": "e1000"}, {0: "virtio", 1: "Am79C973", 2: "virtio"}, [0, 2]),
    ("match-bridge", FLEET, "virtio", {"bridge": "vboxnet0"}, {2: "virtio", 0: "82540EM"}, [2]),
    ("match-index-disabled", FLEET, "virtio", {"index": 3}, {3: "82540EM"}, []),
    ("no-type-5.1-default-is-pcnet-fast", NO_TYPE_516, "pcnet", None, {0: "Am79C973", 1: "Am79C973"}, [1]),
    ("no-type-5.1-virtio", NO_TYPE_516, "virtio", None, {0: "virtio", 1: "virtio"}, [0, 1]),
    ("no-type-old-default-is-pcnet-pci", NO_TYPE_412, "pcnet", None, {0: "Am79C970A", 1: "Am79C973"}, [1]),
    ("no-type-old-exact", NO_TYPE_412, "Am79C973", None, {0: "Am79C973"}, [0, 1]),
]


@pytest.mark.parametrize("doc,model,match,after,changed", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan_table(doc, model, match, after, changed):
    new, result, _w = plan(doc, model, match)
    got = types(new)
    assert {slot: got[slot] for slot in after} == after
    assert [n["slot"] for n in result["nics"] if n["changed"]] == changed
    assert without_types(new) == without_types(doc)
    assert [a["mac"] for a in MachineSettings(new).adapters] == [a["mac"] for a in MachineSettings(doc).adapters]
    again, result2, _w = plan(new, model, match)
    assert again == new and not any(n["changed"] for n in result2["nics"])


def test_result_fields():
    _new, result, _w = plan(FLEET, "virtio")
    assert (result["domain"], result["uuid"], result["os_type"]) == ("web01", UUID, "Debian_64")
    assert result["settings_version"] == "1.19-linux" and result["pending"] is False and result["state"] is None
    slot1 = result["nics"][1]
    assert slot1["vboxmanage_index"] == 2 and slot1["attachment"] == "bridged" and slot1["bridge"] == "eth0"
    assert (slot1["type_before"], slot1["type_after"], slot1["model_before"], slot1["model_after"]) == (
        "Am79C973",
        "virtio",
        "pcnet",
        "virtio",
    )
    disabled = result["nics"][3]
    assert disabled["skipped"] and disabled["reason"] == "adapter disabled" and not disabled["changed"]


def test_missing_type_is_inserted_quoted_like_the_tag():
    doc = vbox(
        ["        <Adapter slot='0' enabled='true' MACAddress='080027AABBCC'>\n          <NAT/>\n        </Adapter>\n"]
    )
    new, _r, _w = plan(doc, "virtio")
    assert b"<Adapter slot='0' enabled='true' MACAddress='080027AABBCC' type='virtio'>" in new
    empty = vbox(['        <Adapter slot="0" enabled="true"/>\n'])
    new, _r, _w = plan(empty, "virtio")
    assert b'<Adapter slot="0" enabled="true" type="virtio"/>' in new


def test_odd_attribute_order_quoting_and_spacing_are_kept():
    tag = (
        "        <Adapter  type = 'Am79C973'   tracefile=\"/tmp/x type='82540EM'.pcap\" MACAddress='080027AABBCC'\n"
        '            slot="0"\tenabled="true" >\n          <NAT/>\n        </Adapter>\n'
    )
    doc = vbox([tag])
    new, result, _w = plan(doc, "virtio")
    assert result["nics"][0]["changed"]
    assert new == doc.replace(b"type = 'Am79C973'", b"type = 'virtio'")


def test_snapshot_hardware_is_read_and_never_changed():
    snapshot = (
        '    <Snapshot uuid="{11111111-2222-3333-4444-555555555555}" name="before">\n'
        "      <Hardware>\n        <Network>\n%s        </Network>\n      </Hardware>\n"
        '      <Snapshots>\n        <Snapshot uuid="{11111111-2222-3333-4444-666666666666}" name="deeper">\n'
        "          <Hardware><Network>%s</Network></Hardware>\n        </Snapshot>\n      </Snapshots>\n"
        "    </Snapshot>\n"
    ) % (
        adapter(0, "Am79C970A", indent="          ") + adapter(1, "82543GC", indent="          "),
        adapter(0, "82545EM", body=None, indent=""),
    )
    doc = vbox([adapter(0, "82540EM"), adapter(1, "82540EM", enabled="false")], snapshot=snapshot)
    new, result, _w = plan(doc, "virtio")
    assert [n["changed"] for n in result["nics"]] == [True, False]
    assert new[new.index(b"<Snapshot ") :] == doc[doc.index(b"<Snapshot ") :]
    assert types(new) == {0: "virtio", 1: "82540EM"}
    bad = doc.replace(b'type="82543GC"', b'type="82543gc"')
    with pytest.raises(NicTuneError) as err:
        plan(bad, "virtio")
    assert (
        "unknown adapter type '82543gc'" in str(err.value)
        and err.value.line == bad[: bad.index(b"82543gc")].count(b"\n") + 1
    )


def test_crlf_line_endings_are_kept():
    doc = FLEET.replace(b"\n", b"\r\n")
    new, result, _w = plan(doc, "virtio")
    assert sum(n["changed"] for n in result["nics"]) == 3
    assert new.count(b"\r\n") == doc.count(b"\r\n") and b"\n" not in new.replace(b"\r\n", b"")
    assert without_types(new) == without_types(doc)


def test_iso_8859_1_file_is_read_and_kept():
    decl = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!--WARNING: THIS IS AN AUTO-GENERATED FILE-->'
    doc = vbox([adapter(0, "82540EM")], decl=decl, ns=OLD_NS, version="1.12-linux").replace(
        b'name="web01"', 'name="Bürorechner"'.encode("latin-1")
    )
    assert b"\xfc" in doc
    new, result, _w = plan(doc, "virtio")
    assert result["domain"] == "Bürorechner" and result["nics"][0]["changed"]
    assert new == doc.replace(b'type="82540EM"', b'type="virtio"')
    assert backend.describe_file("t.vbox", new, None)["domain"] == "Bürorechner"


def test_uncatalogued_isa_type_is_read_and_can_be_replaced():
    doc = vbox([adapter(0, "NE2000"), adapter(1, "3C501", enabled="false")])
    info = backend.describe_file("t.vbox", doc, None)
    assert [(n["type"], n["model"]) for n in info["nics"]] == [("NE2000", None), ("3C501", None)]
    new, _r, _w = plan(doc, "e1000")
    assert types(new) == {0: "82540EM", 1: "3C501"}


def test_describe_lists_every_adapter_with_virtualbox_defaults():
    doc = NO_TYPE_412.replace(b' cable="true"', b"")
    info = backend.describe_file("t.vbox", doc, None)
    first = info["nics"][0]
    assert (first["type"], first["type_explicit"], first["model"], first["cable_connected"]) == (
        "Am79C970A",
        False,
        "pcnet",
        False,
    )
    newer = backend.describe_file("t.vbox", NO_TYPE_516.replace(b' cable="true"', b""), None)
    assert newer["nics"][0]["cable_connected"] is True and newer["nics"][0]["type"] == "Am79C973"
    fleet = backend.describe_file("t.vbox", FLEET, None)
    assert [n["enabled"] for n in fleet["nics"]] == [True, True, True, False, True]
    assert [n["attachment"] for n in fleet["nics"]] == ["nat", "bridged", "hostonly", "null", "intnet"]
    assert fleet["nics"][0]["mac"] == "08:00:27:00:00:01" and fleet["saved_state"] is False


# (id, document, fragment of the error)
BAD = [
    ("doctype", b'<!DOCTYPE VirtualBox [<!ENTITY x "y">]>\n' + FLEET, "DOCTYPE"),
    ("entity", FLEET.replace(b'name="web01"', b'name="&x;"'), "undefined entity"),
    ("malformed", FLEET.replace(b"</Network>", b"</Netwrk>"), "not well-formed"),
    ("utf-16", b"\xff\xfe<\x00V\x00", "UTF-16"),
    # found by the fuzz harness: an encoding Python does not know, or a multi-byte one, raised LookupError/ValueError
    (
        "unknown-encoding",
        FLEET.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ASO-8859-1"?>'),
        "ASO",
    ),
    (
        "multi-byte-encoding",
        FLEET.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-32"?>'),
        "UTF-32",
    ),
    ("not-virtualbox", b"<domain type='kvm'/>", "root element is <domain>"),
    ("namespace", FLEET.replace(NEW_NS.encode(), b"http://example.org/"), "namespace 'http://example.org/'"),
    ("no-version", FLEET.replace(b' version="1.19-linux"', b""), "settings version"),
    ("global-settings", vbox([]).replace(b"<Machine", b"<Global").replace(b"</Machine>", b"</Global>"), "no <Machine>"),
    ("no-slot", FLEET.replace(b'slot="2" ', b""), "slot number"),
    ("duplicate-slot", FLEET.replace(b'slot="2"', b'slot="1"'), "appears twice"),
    ("unknown-type", FLEET.replace(b'"82545EM"', b'"e1000"'), "unknown adapter type 'e1000'"),
    ("type-case", FLEET.replace(b'"82545EM"', b'"82545em"'), "unknown adapter type '82545em'"),
]


@pytest.mark.parametrize("doc,fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused_with_file_line_and_reason(doc, fragment):
    for call in (lambda: backend.describe_file("bad.vbox", doc, None), lambda: plan(doc)):
        with pytest.raises(NicTuneError) as err:
            call()
        assert fragment in str(err.value)
        assert err.value.path in ("bad.vbox", "t.vbox")


def test_refusal_names_the_line():
    doc = FLEET.replace(b'"82545EM"', b'"Foo"')
    with pytest.raises(NicTuneError) as err:
        backend.describe_file("bad.vbox", doc, None)
    assert str(err.value).startswith("bad.vbox:%d: " % (doc[: doc.index(b'"Foo"')].count(b"\n") + 1))


@pytest.mark.parametrize(
    "model,fragment",
    [("e1000e", "model e1000e is not offered by VirtualBox"), ("tulip", "unknown NIC model 'tulip'")],
)
def test_models_virtualbox_does_not_offer(model, fragment):
    with pytest.raises(NicTuneError) as err:
        plan(FLEET, model)
    assert fragment in str(err.value) and "e1000 (82540EM/82543GC/82545EM)" in str(err.value)


def test_xen_options_warn():
    _n, _r, warnings = plan(FLEET, "virtio", pin_mac=True, xen_type="ioemu")
    assert len(warnings) == 2 and all("xen backend" in w for w in warnings)


# (id, host facts, machine attributes, pending, state, fragment of the reason)
HOLDS = [
    ("running", {"running": {UUID: "web01"}, "registered": {UUID: "web01"}}, "", True, "running", "powered off"),
    ("saved-state", {}, ' stateFile="Snapshots/x.sav"', True, "saved", "saved state"),
    ("registered", {"registered": {UUID: "web01"}}, "", False, None, "vms: [web01]"),
]


@pytest.mark.parametrize("facts,extra,pending,state,fragment", [h[1:] for h in HOLDS], ids=[h[0] for h in HOLDS])
def test_machine_held_by_virtualbox_is_never_edited(facts, extra, pending, state, fragment):
    doc = vbox([adapter(0, "82540EM"), adapter(1, "82540EM", enabled="false")], machine_extra=extra)
    new, result, _w = plan(doc, "virtio", facts=facts)
    assert new == doc
    assert result["skipped"] and result["pending"] is pending and result["state"] == state
    assert fragment in result["reason"]
    held = result["nics"][0]
    assert not held["changed"] and held["pending"] is pending and held["type_after"] == "82540EM"


def test_unregistered_file_on_a_virtualbox_host_is_edited():
    facts = {"running": {}, "registered": {"99999999-2222-3333-4444-555555555555": "other"}}
    new, result, _w = plan(FLEET, "virtio", facts=facts)
    assert new != FLEET and not result["skipped"]


def test_nothing_to_change_is_not_held():
    facts = {"running": {UUID: "web01"}, "registered": {UUID: "web01"}}
    new, result, _w = plan(FLEET, "e1000", match={"index": 0}, facts=facts)
    assert new == FLEET and not result["skipped"] and result["state"] == "running"


def test_attachment_match_is_virtualbox_only():
    with pytest.raises(NicTuneError, match=r"match\.attachment applies only to backend virtualbox"):
        nic_selected(normalise_match({"attachment": "nat"}), {"index": 0, "mac": None, "bridge": None, "model": None})


def test_sniff(tmp_path):
    vbox_file = tmp_path / "a.xml"
    vbox_file.write_bytes(FLEET)
    libvirt_file = tmp_path / "b.xml"
    libvirt_file.write_bytes(b"<domain type='kvm'><name>x</name></domain>")
    assert backend.sniff(str(tmp_path / "any.vbox")) and backend.sniff(str(vbox_file))
    assert not backend.sniff(str(libvirt_file)) and not backend.sniff(str(tmp_path / "missing.cfg"))


# --- fuzz: random adapters, attribute orders, quotes, spacing; edit, reparse, compare bytes -----------------

_FUZZ_TYPES = ("82540EM", "82543GC", "82545EM", "Am79C970A", "Am79C973", "Am79C960", "virtio", "NE1000", None)
_FUZZ_MODELS = ("virtio", "e1000", "pcnet", "82545EM", "Am79C960")
_FUZZ_BODIES = ("<NAT/>", '<BridgedInterface name="br0"/>', "<DisabledModes/>", "", '<NATNetwork name="n"/>')


def _fuzz_adapter(rng, slot):
    attrs = [("slot", str(slot)), ("enabled", rng.choice(("true", "false", "1"))), ("MACAddress", "080027%06X" % slot)]
    vbox_type = rng.choice(_FUZZ_TYPES)
    if vbox_type:
        attrs.append(("type", vbox_type))
    if rng.random() < 0.5:
        attrs.append(("tracefile", "/t/type='x'.pcap"))
    rng.shuffle(attrs)
    text = "<Adapter"
    for name, value in attrs:
        quote = rng.choice("\"'") if "'" not in value else '"'
        text += rng.choice((" ", "  ", "\n   ", "\t")) + name + rng.choice(("=", " = ")) + quote + value + quote
    body = rng.choice(_FUZZ_BODIES)
    if not body and rng.random() < 0.5:
        return text + rng.choice(("/>", " />")) + "\n"
    return text + rng.choice((">", " >")) + body + "</Adapter>\n"


def test_fuzz_edit_then_reparse():
    rng = random.Random(1717)
    for _round in range(300):
        adapters = [_fuzz_adapter(rng, slot) for slot in rng.sample(range(8), rng.randint(0, 8))]
        doc = vbox(adapters, version=rng.choice(("1.12-linux", "1.16-windows", "1.19-macosx")))
        if rng.random() < 0.3:
            doc = doc.replace(b"\n", b"\r\n")
        model = rng.choice(_FUZZ_MODELS)
        new, result, _w = plan(doc, model)
        assert without_types(new) == without_types(doc)
        after = types(new)
        for nic in result["nics"]:
            assert after[nic["slot"]] == nic["type_after"]
            assert nic["changed"] == (nic["type_after"] != nic["type_before"])
        again, _r, _w = plan(new, model)
        assert again == new
