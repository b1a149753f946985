# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cores the fuzz harness knows: name -> seeds, mutations, options and the edit-then-reparse check.

A new file backend is added with one :class:`harness.Core` entry in :data:`CORES`: its seeds (a few built-in inputs
plus the corpus and the repository's own test files), tokens of its format for the token mutations, the options a
task may give, and ``check_edit(old, new, result, options)`` that yields a text for each problem of an edit. The Xen
and libvirt domain XML cores are here; the Proxmox VE and VirtualBox cores have a module each (:mod:`proxmox_core`,
:mod:`virtualbox_core`).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import proxmox_core
import virtualbox_core
from harness import (
    CORPUS,
    ROOT,
    Core,
    delete_span,
    insert_after,
    match_option,
    mutations,
    seed_files,
    splice_seed,
)

from ansible_collections.nictune.fleet.plugins.module_utils._common import models
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml
from ansible_collections.nictune.fleet.plugins.module_utils._xen import backend as xen
from ansible_collections.nictune.fleet.plugins.module_utils._xen.xl_config import XlConfig

XEN_XML_MACS = ("00:16:3e:00:00:01", "52:54:00:00:00:01")
XEN_XML_BRIDGES = ("xenbr0", "br0", "default")

# -- Xen xl.cfg ------------------------------------------------------------------------------------------------------

XEN_SEEDS = [
    ("builtin:hvm", b"name = \"web01\"\ntype = \"hvm\"\nvif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0', '' ]\n"),
    ("builtin:escapes", b"name = 'w'\nbuilder = 'hvm'\nvif = [ 'bridge=xenbr0,vifname=a\\tb,script=\\\"x\\\"' ]\n"),
    (
        "builtin:multiline",
        b'# guest\nname = "db"\ntype = "hvm"\nvif = [\n  # first\n  "bridge=xenbr0, model=e1000",   # e\n'
        b'  "type=vif,bridge=xenbr1",\n]\nvif += [ "model=rtl8139" ]\n',
    ),
    ("builtin:pv", b'name = "pv"\ntype = "pv"\nkernel = "/boot/vmlinuz"\nvif = [ "bridge=xenbr0" ]\n'),
    ("builtin:latin1", b'# d\xe9mo\nname = "g\xe9"\ntype = "hvm"\nvif = [ "bridge=br\xe9,model=rtl8139" ]\n'),
    ("builtin:octal", b"name = 'o'\ntype = 'hvm'\nvif = [ 'vifname=\\101\\102,bridge=b' ]; memory = 512"),
]
XEN_TOKENS = [
    "'",
    '"',
    "[",
    "]",
    ",",
    "\n",
    "#",
    ";",
    "=",
    "+=",
    " ",
    "\t",
    "\\t",
    '\\"',
    "\\'",
    "\\\\",
    "\\012",
    "\\x41",
    "\r",
    "\xe9",
    "\x00",
    "vif = [ '' ]\n",
    "vif += [ 'bridge=xenbr1' ]\n",
    'type = "hvm"\n',
    'builder = "hvm"\n',
    "pvh = 1\n",
    'name = "x"\n',
    "model=e1000",
    "model=rtl8139",
    "model=",
    "type=ioemu",
    "type=vif",
    "type=netfront",
    "mac=00:16:3e:00:00:01",
    "mac=00:16:3e:5e:c5:7d",
    "bridge=xenbr0",
    ",,",
    " , ",
    "[ [ 'a' ] ]",
    "0x1f",
    "12",
]
XEN_MODELS = ("e1000", "rtl8139", "e1000", "virtio-net-pci", "ne2k_pci", "e1000e", "virtio", "fake-model", None)


def _xen_seeds():
    corpus = [
        (label, data)
        for label, data in seed_files(os.path.join(CORPUS, "xl", "**", "*"))
        if not label.endswith((".xml", ".tsv"))
    ]
    own = seed_files(
        os.path.join(ROOT, "docs", "examples", "xen", "*.cfg"),
        os.path.join(ROOT, "tests", "integration", "targets", "nic_model_xen", "files", "*"),
    )
    return XEN_SEEDS + corpus + own


def _insert_vif(rng, data, core):
    entries = [b" '',", b" 'model=e1000',", b' "type=vif",', b" 'bridge=xenbr0,model=rtl8139', ", b" 'mac=x',"]
    return insert_after(rng, data, core, b"vif = [", entries)


def _xen_options(rng):
    return {
        "model": rng.choice(XEN_MODELS),
        "xen_type": rng.choice((None, None, None, "ioemu", "vif")),
        "pin_mac": rng.random() < 0.3,
        "backup": False,
        "match": match_option(rng, XEN_XML_MACS, XEN_XML_BRIDGES),
    }


def _string_atoms(cfg):
    atoms = []

    def walk(node):
        if node.kind == "list":
            for item in node.items:
                walk(item)
        elif node.start is not None:
            atoms.append(node)

    for assignment in cfg.assignments():
        walk(assignment.value)
    return sorted(atoms, key=lambda atom: atom.start)


def _raw_items(token, value, allowed):
    """The items of a vif spec token as written (escapes and all), without empty ones and those of ``allowed`` keys.

    xl's escapes never give a comma, so the raw and the decoded text split into the same items.
    """
    raw = token[1:-1].split(b",")
    plain = value.split(",")
    if len(raw) != len(plain):
        return None
    kept = []
    for raw_item, plain_item in zip(raw, plain):
        key, _sep, _value = plain_item.lstrip(" ").partition("=")
        if plain_item.strip(" ") and key not in allowed:
            kept.append(raw_item)
    return kept


def _xen_check(old, new, result, options):
    try:
        old_cfg = XlConfig.parse(old, "old")
        new_cfg = XlConfig.parse(new, "new")
    except Exception as exc:  # pylint: disable=broad-except
        yield "the edited file is refused by the xl parser: %s" % exc
        return
    old_atoms, new_atoms = _string_atoms(old_cfg), _string_atoms(new_cfg)
    if len(old_atoms) != len(new_atoms):
        yield "the edit changed the number of values"
        return
    pos_old = pos_new = 0
    vif = old_cfg.get("vif")
    in_force = {item.start: i for i, item in enumerate(vif.value.items)} if vif and vif.value.kind == "list" else {}
    allowed = (
        {"model"} | ({"type"} if options.get("xen_type") else set()) | ({"mac"} if options.get("pin_mac") else set())
    )
    for before, after in zip(old_atoms, new_atoms):
        if old[pos_old : before.start] != new[pos_new : after.start]:
            yield "bytes outside the values changed near byte %d" % before.start
            return
        pos_old, pos_new = before.end, after.end
        if before.value == after.value and old[before.start : before.end] == new[after.start : after.end]:
            continue
        if before.start not in in_force:
            yield "a value that is not a NIC of the vif list in force changed (byte %d)" % before.start
            continue
        kept_before = _raw_items(old[before.start : before.end], before.value, allowed)
        kept_after = _raw_items(new[after.start : after.end], after.value, allowed)
        if kept_before != kept_after:
            yield "NIC %d: items other than %s changed (as written: %r -> %r)" % (
                in_force[before.start],
                ", ".join(sorted(allowed)),
                old[before.start : before.end],
                new[after.start : after.end],
            )
    if old[pos_old:] != new[pos_new:]:
        yield "bytes after the last value changed"
    nics = xen.describe_file("new", new, [].append)["nics"]
    for nic in result["nics"]:
        if nic["changed"] and nic["model_after"] is not None and nics[nic["index"]]["model"] != nic["model_after"]:
            yield "NIC %d: model %r planned, %r in force after the edit" % (
                nic["index"],
                nic["model_after"],
                nics[nic["index"]]["model"],
            )


# -- libvirt domain XML ----------------------------------------------------------------------------------------------

XML_HEAD = b"<domain type='kvm'>\n  <name>d1</name>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
XML_SEEDS = [
    (
        "builtin:odd-markup",
        XML_HEAD + b"  <devices>\n    <interface type='user'>\n      <!-- DMZ: keep -->\n    </interface >\n"
        b"    <interface foo=\" type='x'\" type='network'><source network='default'/>"
        b"<model foo=\" type='x'\" type='e1000'/></interface>\n"
        b"    <interface type='bridge'/>\n  </devices>\n</domain>\n",
    ),
    (
        "builtin:crlf",
        (
            XML_HEAD + b"  <devices>\n    <interface type='network'>\n      <mac address='52:54:00:00:00:01'/>\n"
            b"      <source network='default'/>\n      <driver queues='2'/>\n    </interface>\n"
            b"    <interface type='network'>\n    </interface>\n  </devices>\n</domain>\n"
        ).replace(b"\n", b"\r\n"),
    ),
    (
        "builtin:latin1",
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<domain type="qemu"><name>caf\xe9</name><devices>'
        b"<interface type='network'><source network='d\xe9mo'/>caf\xe9<?pi x?></interface>"
        b"<interface type='hostdev'/></devices></domain>",
    ),
]
XML_TOKENS = [
    "<!-- c -->",
    "</interface >",
    "<interface type='user'>\n</interface >",
    "<interface type='network'/>",
    "<interface type='vhostuser'><model type='virtio'/></interface>",
    " foo=\" type='x'\"",
    " type='x'",
    "<model type='e1000'/>",
    "<model/>",
    "<model type='ViRtIo'/>",
    "<driver queues='2'/>",
    "<driver name='vhost'><host csum='off'/></driver>",
    "&amp;",
    "&#x41;",
    "&lt;",
    "<![CDATA[<model type='x'/>]]>",
    "<?pi x?>",
    "\r\n",
    "\n      ",
    "\t",
    "\xe9",
    "\xc3\xa9",
    "<mac address='52:54:00:00:00:01'/>",
    "<source bridge='br0'/>",
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>",
    "<address type='usb' bus='0' port='1'/>",
    "<address type='ccw'/>",
    "type='hostdev'",
    "'",
    '"',
    "<",
    ">",
    "/>",
    "</devices>",
    "<devices>",
    " xmlns:x='urn:x' x:type='y'",
    "<!DOCTYPE domain>",
]
XML_MODELS = ("virtio", "e1000", "rtl8139", "e1000e", "vmxnet3", "usb-net", "spapr-vlan", "virtoi", "VirtIO", None)
XML_INTERFACES = [
    b"<interface type='user'>\n</interface >",
    b"<interface type='user'><!-- NIC for the DMZ: do not remove --></interface>",
    b"\n    <interface type='network'>\n      <source network='default'/>\n    </interface>",
    b"<interface type='bridge'><source bridge='br0'/><model type='rtl8139'/></interface>",
    b"<interface type='network'><model foo=\" type='x'\" type='e1000'/></interface>",
    b"<interface type='user'>text<?pi?></interface >",
    b"<interface type='direct'><source dev='eth0'/><driver queues='4'/></interface>",
    b"<interface type='user'/>",
]


def _xml_seeds():
    return (
        XML_SEEDS
        + seed_files(
            os.path.join(CORPUS, "libvirt", "*", "*.xml"),
            os.path.join(CORPUS, "xl", "*", "*.xml"),
        )
        + seed_files(
            os.path.join(ROOT, "tests", "integration", "targets", "nic_model_libvirt_xml", "files", "**", "*.xml"),
            os.path.join(ROOT, "tests", "integration", "targets", "nic_model_libvirt", "files", "*.xml"),
        )
    )


def _insert_interface(rng, data, core):
    return insert_after(rng, data, core, b"<devices>", XML_INTERFACES)


def _xml_options(rng):
    options = {"model": rng.choice(XML_MODELS), "match": match_option(rng, XEN_XML_MACS, XEN_XML_BRIDGES)}
    if rng.random() < 0.3:
        options["queues"] = rng.choice((1, 2, 4))
    return options


def _tree(data):
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    return ET.fromstring(data, parser=parser)


def _remove(parent, child):
    """Remove ``child`` keeping its tail text (the way a DOM removal keeps the text around it)."""
    children = list(parent)
    pos = children.index(child)
    if child.tail:
        if pos:
            children[pos - 1].tail = (children[pos - 1].tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)


def _canonical(node):
    def text(value):
        return " ".join((value or "").split())

    return (
        node.tag if isinstance(node.tag, str) else str(node.tag.__name__),
        sorted(node.attrib.items()),
        text(node.text),
        [_canonical(child) for child in node],
        text(node.tail),
    )


def _guest_interfaces(root):
    devices = root.find("devices")
    return [] if devices is None else devices.findall("interface")


def _xml_check(old, new, result, options):
    try:
        domain_xml.Domain(new, "new")
    except Exception as exc:  # pylint: disable=broad-except
        yield "the edited file is refused by the domain XML parser: %s" % exc
        return
    try:
        old_root = _tree(old)
    except ET.ParseError:
        return  # ElementTree refuses the input already (e.g. an unbound namespace prefix, which expat alone takes)
    try:
        new_root = _tree(new)
    except ET.ParseError as exc:
        yield "the edited file is refused by Python's ElementTree: %s" % exc
        return
    changed = {nic["index"]: nic for nic in result["nics"] if nic["changed"]}
    old_ifaces, new_ifaces = _guest_interfaces(old_root), _guest_interfaces(new_root)
    if len(old_ifaces) != len(new_ifaces):
        yield "the number of guest interfaces changed"
        return
    for index, nic in changed.items():
        for root_ifaces, tree in ((old_ifaces, "old"), (new_ifaces, "new")):
            iface = root_ifaces[index]
            for child in [c for c in iface if c.tag == "model"][:1]:
                _remove(iface, child)
            if tree == "old" and not models.is_virtio(nic["model_after"]):
                for child in [c for c in iface if c.tag == "driver"]:
                    _remove(iface, child)
            # queues: the attribute of <driver> may be set, added or removed, and a <driver> with nothing left added
            # or removed
            for child in [c for c in iface if c.tag == "driver"]:
                child.attrib.pop("queues", None)
                if not child.attrib and not len(child) and not (child.text or "").strip():
                    _remove(iface, child)
    if _canonical(old_root) != _canonical(new_root):
        yield "the edit changed more than the model (and <driver> or its queues) of the changed NICs"
    nics = domain_xml.describe_file("new", new, None)["nics"]
    for index, nic in changed.items():
        if nics[index]["model"] != nic["model_after"]:
            yield "NIC %d: model %r planned, %r read back" % (index, nic["model_after"], nics[index]["model"])
        if nics[index]["queues"] != nic["queues_after"]:
            yield "NIC %d: queues %r planned, %r read back" % (index, nic["queues_after"], nics[index]["queues"])


CORES = {
    "xen": Core(
        "xen",
        seeds=_xen_seeds,
        tokens=XEN_TOKENS,
        mutators=mutations((4, _insert_vif), (1, splice_seed)),
        options=_xen_options,
        plan=xen.plan_file,
        describe=xen.describe_file,
        check_edit=_xen_check,
    ),
    "libvirt_xml": Core(
        "libvirt_xml",
        seeds=_xml_seeds,
        tokens=XML_TOKENS,
        mutators=mutations((6, _insert_interface), (2, delete_span)),
        options=_xml_options,
        plan=domain_xml.plan_file,
        describe=domain_xml.describe_file,
        check_edit=_xml_check,
    ),
    "proxmox": proxmox_core.CORE,
    "virtualbox": virtualbox_core.CORE,
}
