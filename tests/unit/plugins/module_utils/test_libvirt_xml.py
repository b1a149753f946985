# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text-preserving domain XML NIC editor."""

from __future__ import annotations

import time

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml as libvirt_xml

BASE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- kept in git; do not reformat -->
<domain type="kvm">
    <name>web01</name>
    <uuid>00000000-0000-0000-0000-000000000001</uuid>
    <os>
        <type arch="x86_64" machine="pc-q35-7.2">hvm</type>
    </os>
    <devices>
        <emulator>/usr/bin/qemu-system-x86_64</emulator>
        <interface type="bridge">
            <mac address="52:54:00:00:00:01"/>
            <source bridge="br0"/>
            <!-- uplink -->
            <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
        </interface>
        <interface type='network'>
            <mac address='52:54:00:00:00:02'/>
            <source network='default'/>
            <model type='e1000'/>
        </interface>
        <interface type='network'>
            <source network='lan'/>
            <model type = "ViRtIo" />
            <driver name='vhost' queues='4'>
                <host csum='off'/>
            </driver>
        </interface>
        <hostdev mode='subsystem' type='pci'>
            <source><address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source>
        </hostdev>
        <interface type='hostdev' managed='yes'>
            <source><address type='pci' domain='0x0000' bus='0x07' slot='0x10' function='0x0'/></source>
        </interface>
    </devices>
</domain>
"""


def _plan(data, model="virtio", match=None, **extra):
    warnings = []
    options = dict({"model": model, "match": normalise_match(match)}, **extra)
    new, result = libvirt_xml.plan_file("x.xml", data, options, warnings.append)
    return new, result, warnings


def test_describe():
    facts = libvirt_xml.describe_file("x.xml", BASE, lambda m: None)
    assert facts["domain"] == "web01"
    assert facts["uuid"].endswith("0001")
    assert facts["domain_type"] == "kvm"
    assert facts["machine"] == "pc-q35-7.2"
    assert facts["emulator"] == "/usr/bin/qemu-system-x86_64"
    nics = facts["nics"]
    assert [n["model"] for n in nics] == ["rtl8139", "e1000", "virtio", None]
    assert [n["model_explicit"] for n in nics] == [False, True, True, False]
    assert [n["bridge"] for n in nics] == ["br0", "default", "lan", None]
    assert nics[0]["pci_address"] == "0000:01:00.0"
    assert nics[0]["mac"] == "52:54:00:00:00:01"
    assert nics[3]["type"] == "hostdev"


def test_virtio_everywhere_keeps_every_other_byte():
    new, result, warnings = _plan(BASE, "virtio")
    expected = BASE.replace(
        b'<source bridge="br0"/>\n', b'<source bridge="br0"/>\n            <model type="virtio"/>\n'
    ).replace(b"<model type='e1000'/>", b"<model type='virtio'/>")
    assert new == expected
    assert [n["changed"] for n in result["nics"]] == [True, True, False, False]
    assert result["nics"][3]["skipped"] is True
    assert "hostdev" in result["nics"][3]["reason"]
    assert warnings == []


def test_non_virtio_drops_driver_and_warns():
    new, result, warnings = _plan(BASE, "e1000", match={"index": 2})
    assert b'<model type = "e1000" />' in new
    assert b"<driver" not in new and b"<host csum" not in new
    assert b"</model>" not in new
    assert len(warnings) == 1 and "driver" in warnings[0]
    assert [n["selected"] for n in result["nics"]] == [False, False, True, False]


@pytest.mark.parametrize(
    "match,changed",
    [
        ({"index": [0, 2]}, [True, False, True, False]),
        ({"mac": "52-54-00-00-00-02"}, [False, True, False, False]),
        ({"bridge": "br0"}, [True, False, False, False]),
        ({"bridge": ["default", "lan"]}, [False, True, True, False]),
        ({"model": "rtl8139"}, [True, False, False, False]),
        ({"model": ["virtio"]}, [False, False, True, False]),
        ({"model": "rtl8139", "bridge": "lan"}, [False, False, False, False]),
    ],
)
def test_selection(match, changed):
    _new, result, _w = _plan(BASE, "e1000e", match=match)
    assert [n["changed"] for n in result["nics"]] == changed
    assert result["skipped"] is (not any(changed))


def test_second_run_changes_nothing():
    new, _r, _w = _plan(BASE, "e1000")
    again, result, _w = _plan(new, "e1000")
    assert again == new
    assert not any(n["changed"] for n in result["nics"])


def test_case_of_known_model_is_not_a_change():
    new, result, _w = _plan(BASE, "VIRTIO", match={"index": 2})
    assert new == BASE
    assert result["nics"][2]["model_before"] == "virtio"


@pytest.mark.parametrize(
    "iface,expected",
    [
        (
            b"    <interface type='user'/>\n",
            b"    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n",
        ),
        (
            b'    <interface type="user"></interface>\n',
            b'    <interface type="user">\n      <model type="virtio"/>\n    </interface>\n',
        ),
        (
            b"    <interface type='user'><mac address='52:54:00:00:00:09'/></interface>\n",
            b"    <interface type='user'><mac address='52:54:00:00:00:09'/><model type='virtio'/></interface>\n",
        ),
        (
            b"\t<interface type='user'>\n\t\t<target dev='t0'/>\n\t</interface>\n",
            b"\t<interface type='user'>\n\t\t<model type='virtio'/>\n\t\t<target dev='t0'/>\n\t</interface>\n",
        ),
        (
            b"    <interface type='user'>\n      <model/>\n    </interface>\n",
            b"    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n",
        ),
    ],
)
def test_insertion_formatting(iface, expected):
    doc = b"<domain type='qemu'>\n  <devices>\n" + iface + b"  </devices>\n</domain>\n"
    new, result, _w = _plan(doc)
    assert new == b"<domain type='qemu'>\n  <devices>\n" + expected + b"  </devices>\n</domain>\n"
    assert result["nics"][0]["changed"]


def test_interfaces_outside_devices_are_not_guest_nics():
    doc = b"""<domain type='kvm'><devices>
  <interface type='user'><model type='rtl8139'/></interface>
  <hostdev><interface type='x'><model type='rtl8139'/></interface></hostdev>
</devices><metadata><interface><model type='rtl8139'/></interface></metadata></domain>"""
    new, result, _w = _plan(doc, "e1000")
    assert len(result["nics"]) == 1
    assert new.count(b"rtl8139") == 2


@pytest.mark.parametrize(
    "domain_type,arch,machine,nic_type,expected",
    [
        ("kvm", "x86_64", "pc-i440fx-7.2", "bridge", "rtl8139"),
        ("qemu", "x86_64", "q35", "network", "rtl8139"),
        ("kvm", None, None, "user", "rtl8139"),
        ("kvm", "aarch64", "virt", "user", "virtio"),
        ("kvm", "armv7l", "vexpress-a9", "user", "lan9118"),
        ("kvm", "s390x", "s390-ccw-virtio", "user", "virtio"),
        ("kvm", "x86_64", "pc", "hostdev", None),
        ("kvm", "x86_64", "pc", "vdpa", "virtio"),
        ("test", "i686", None, "network", None),
        ("xen", "x86_64", "xenfv", "bridge", "rtl8139"),
    ],
)
def test_default_model(domain_type, arch, machine, nic_type, expected):
    assert libvirt_xml.default_model(domain_type, arch, machine, "hvm", nic_type) == expected


def test_pv_xen_domain_is_skipped():
    doc = b"<domain type='xen'><os><type>linux</type></os><devices><interface type='bridge'/></devices></domain>"
    new, result, _w = _plan(doc, "e1000")
    assert new == doc
    assert result["skipped"] and "PV" in result["reason"]


def test_no_nic():
    doc = b"<domain type='kvm'><name>x</name><devices/></domain>"
    new, result, _w = _plan(doc)
    assert new == doc and result["skipped"] and result["nics"] == []


@pytest.mark.parametrize(
    "iface,model,fragment",
    [
        (b"<interface type='vhostuser'><model type='virtio'/></interface>", "e1000", "needs a virtio model"),
        (b"<interface type='user'><address type='ccw' cssid='0xfe'/></interface>", "e1000", "ccw"),
        (b"<interface type='user'><address type='virtio-mmio'/></interface>", "e1000", "virtio-mmio"),
        (b"<interface type='user'><address type='spapr-vio'/></interface>", "virtio", "spapr-vlan"),
        (b"<interface type='user'><address type='pci' slot='3'/></interface>", "usb-net", "USB device"),
        (b"<interface type='user'/>", "usb-net", "USB device"),
    ],
)
def test_clashes_are_errors(iface, model, fragment):
    doc = b"<domain type='kvm'><name>d1</name><devices>" + iface + b"</devices></domain>"
    with pytest.raises(NicTuneError) as err:
        _plan(doc, model)
    assert fragment in str(err.value) and "domain d1, NIC 0" in str(err.value)


@pytest.mark.parametrize("model", ["e 1000", "virtio'/><x", "", "e1000&amp;"])
def test_bad_model_names(model):
    with pytest.raises(NicTuneError):
        _plan(BASE, model)


def test_xen_options_warn():
    _n, _r, warnings = _plan(BASE, "virtio", pin_mac=True, xen_type="ioemu")
    assert len(warnings) == 2 and all("xen" in w for w in warnings)


@pytest.mark.parametrize(
    "doc,fragment",
    [
        (b"<network><name>x</name></network>", "root element is <network>"),
        (b"<domain><devices><interface></devices></domain>", "not well-formed"),
        (b"\xff\xfe<\x00d\x00", "UTF-8"),
        (b"<domain>&nbsp;</domain>", "undefined entity"),
        (b"<?xml version='1.0' encoding='ASO-8859-1'?><domain/>", "encoding 'ASO-8859-1'"),
        (b"<?xml version='1.0' encoding='shift_jis'?><domain/>", "encoding 'shift_jis'"),
    ],
)
def test_bad_documents(doc, fragment):
    with pytest.raises(NicTuneError) as err:
        libvirt_xml.describe_file("bad.xml", doc, lambda m: None)
    assert fragment in str(err.value)
    assert str(err.value).startswith("bad.xml")


def test_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = (
        '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file://%s">]>\n'
        "<domain type='kvm'><name>&x;</name><devices><interface type='user'/></devices></domain>" % secret
    ).encode()
    for call in (
        lambda: libvirt_xml.describe_file("e.xml", doc, lambda m: None),
        lambda: _plan(doc),
    ):
        with pytest.raises(NicTuneError) as err:
            call()
        assert "TOP-SECRET" not in str(err.value)
        assert "refused" in str(err.value)


def test_parameter_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "TOP-SECRET-CONTENT">')
    doc = ('<!DOCTYPE domain [<!ENTITY %% p SYSTEM "file://%s"> %%p;]><domain>&leak;</domain>' % secret).encode()
    with pytest.raises(NicTuneError) as err:
        _plan(doc)
    assert "TOP-SECRET" not in str(err.value)


def test_billion_laughs_is_refused_quickly():
    lines = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        lines.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    doc = ("<?xml version='1.0'?><!DOCTYPE domain [%s]><domain><name>&lol9;</name></domain>" % "".join(lines)).encode()
    start = time.monotonic()
    with pytest.raises(NicTuneError) as err:
        libvirt_xml.describe_file("bomb.xml", doc, lambda m: None)
    assert time.monotonic() - start < 1.0
    assert "DOCTYPE" in str(err.value)
    assert "lollol" not in str(err.value)


def test_doctype_without_entities_is_refused_too():
    with pytest.raises(NicTuneError):
        libvirt_xml.describe_file("d.xml", b"<!DOCTYPE domain><domain/>", lambda m: None)
