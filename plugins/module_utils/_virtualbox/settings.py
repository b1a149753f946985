# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reader and byte-preserving editor of VirtualBox machine settings files (``.vbox``) (no Ansible imports).

A ``.vbox`` file is ``<VirtualBox xmlns=... version="1.N-host">`` → ``<Machine>`` → ``<Hardware>`` →
``<Network>`` → ``<Adapter slot= enabled= MACAddress= cable= type=>`` with the attachment as a child element
(``<NAT/>``, ``<BridgedInterface name=/>`` ...; settings of attachments not in use sit under ``<DisabledModes>``).
``<Snapshot>`` elements repeat a whole ``<Hardware>``: the machine as it was; they are read (VirtualBox refuses a
file whose snapshots hold an unknown type too) and never changed.

The document is scanned once (:mod:`.._common.xml_scan`: DOCTYPEs and entities refused, byte offsets kept); an
edit replaces only the value of the ``type`` attribute of the machine's selected ``<Adapter>`` start tags (or
adds ``type=`` after the tag's last attribute, quoted like it, where VirtualBox's default applies), so every
other byte stays: attribute order and quotes, indentation, line endings, the declared encoding, the settings
``version``, the MACs. The result is read back before it is returned.

VirtualBox's own reader is the reference (``src/VBox/Main/xml/Settings.cpp``): the two settings namespaces,
``slot`` required, ``enabled`` false and ``cable`` false (true from settings 1.16) when absent, the adapter type
of an ``<Adapter>`` without ``type`` by settings version (see the catalogue), type names compared
case-sensitively.
"""

from __future__ import annotations

import re

from .._common import models as _models
from .._common import xml_scan as _xml_scan
from .._common.errors import ConfigSyntaxError, NicTuneError
from . import adapters as _adapters

#: The settings namespaces: VirtualBox's own, and innotek's, kept in files first written by older releases.
NAMESPACES = ("http://www.virtualbox.org/", "http://www.innotek.de/VirtualBox-settings")
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:-(\S+))?$")
#: ``.vbox`` attachment element -> (VBoxManage's word for it, the attribute naming what it connects to).
_ATTACHMENT_ELEMENTS = {
    element: (word, attribute)
    for word, elements, _key in _adapters.ATTACHMENTS
    for element, attribute in elements.items()
}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
#: Settings version from which VirtualBox takes an absent ``cable`` as connected.
_CABLE_DEFAULT_ON_SINCE = (1, 16)
WHAT = "VirtualBox settings"


def _bool(value, default):
    """A boolean attribute as VirtualBox reads it: a value it does not know leaves the default."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return default


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


class MachineSettings:
    """A parsed ``.vbox`` file: the machine, its adapters (facts as :mod:`.adapters` describes) and the nodes."""

    def __init__(self, data, path=None):
        self.data = data if isinstance(data, bytes) else data.encode("utf-8")
        self.path = path
        root = _xml_scan.scan(self.data, path, what=WHAT)
        if root.name != "VirtualBox":
            raise ConfigSyntaxError(
                "not a VirtualBox settings file: the root element is <%s>, not <VirtualBox>" % root.name, path=path
            )
        namespace = root.attrs.get("xmlns")
        if namespace not in NAMESPACES:
            raise ConfigSyntaxError(
                "not a VirtualBox settings file: namespace %r (VirtualBox writes %s)"
                % (namespace, " or ".join(NAMESPACES)),
                path=path,
                line=root.line,
            )
        self.version_text = root.attrs.get("version")
        found = _VERSION_RE.match(self.version_text or "")
        if found is None:
            raise ConfigSyntaxError(
                "<VirtualBox> needs a settings version like 1.16-linux, found %r" % self.version_text,
                path=path,
                line=root.line,
            )
        self.version = (int(found.group(1)), int(found.group(2)))
        machine = root.child("Machine")
        if machine is None:
            raise ConfigSyntaxError(
                "no <Machine>: not a machine settings file (.vbox); VirtualBox.xml, the global settings, has none",
                path=path,
                line=root.line,
            )
        self.machine = machine
        self.name = machine.attrs.get("name")
        self.uuid = (machine.attrs.get("uuid") or "").strip("{}").lower() or None
        self.os_type = machine.attrs.get("OSType")
        self.saved_state = bool(machine.attrs.get("stateFile"))
        hardware = machine.child("Hardware")
        network = hardware.child("Network") if hardware is not None else None
        self.nodes = [c for c in network.children if c.name == "Adapter"] if network is not None else []
        self._check_every_adapter(root)
        self.adapters = [self._facts(node) for node in self.nodes]
        seen = {}
        for adapter, node in zip(self.adapters, self.nodes):
            if adapter["slot"] in seen:
                raise ConfigSyntaxError(
                    "<Adapter slot=%d> appears twice in the machine (also on line %d)"
                    % (adapter["slot"], seen[adapter["slot"]]),
                    path=path,
                    line=node.line,
                )
            seen[adapter["slot"]] = node.line

    def _check_every_adapter(self, root):
        """VirtualBox reads every ``<Adapter>``, the snapshots' too, and refuses the file for a bad slot or type."""
        for node in _walk(root):
            if node.name != "Adapter" or node.parent is None or node.parent.name != "Network":
                continue
            slot = node.attrs.get("slot")
            if slot is None or not slot.isdigit():
                raise ConfigSyntaxError(
                    "<Adapter> needs a slot number (found %r)" % (slot,), path=self.path, line=node.line
                )
            written = node.attrs.get("type")
            if written is not None:
                problem = _adapters.check_type(written)
                if problem:
                    raise ConfigSyntaxError("<Adapter slot=%s>: %s" % (slot, problem), path=self.path, line=node.line)

    def _facts(self, node):
        attrs = node.attrs
        written = attrs.get("type")
        attachment, network = "null", None
        for child in node.children:
            if child.name == "DisabledModes":
                continue
            if child.name in _ATTACHMENT_ELEMENTS:
                attachment, key = _ATTACHMENT_ELEMENTS[child.name]
                network = child.attrs.get(key) if key else None
            break
        return {
            "slot": int(attrs["slot"]),
            "enabled": _bool(attrs.get("enabled"), False),
            "type": written if written is not None else _models.virtualbox_unwritten_type(self.version),
            "type_written": written is not None,
            "mac": _adapters.vbox_mac(attrs.get("MACAddress")),
            "attachment": attachment,
            "network": network,
            "cable_connected": _bool(attrs.get("cable"), self.version >= _CABLE_DEFAULT_ON_SINCE),
            "line": node.line,
        }

    def edit(self, changes):
        """The file's bytes with ``changes`` (``[(slot, adapter_type)]``) made; read back before it is returned."""
        by_slot = {a["slot"]: node for a, node in zip(self.adapters, self.nodes)}
        edits = []
        for slot, adapter_type in changes:
            node = by_slot[slot]
            value = adapter_type.encode("ascii")
            spans = _xml_scan.attribute_spans(self.data, node)
            if "type" in spans:
                start, end, _quote = spans["type"]
                edits.append((start, end, value))
            else:
                quote = spans[list(spans)[-1]][2] if spans else b'"'
                pos = _xml_scan.attributes_end(self.data, node)
                edits.append((pos, pos, b" type=" + quote + value + quote))
        new_data = _xml_scan.splice(self.data, edits)
        again = MachineSettings(new_data, self.path)
        wanted = dict(changes)
        for adapter in again.adapters:
            if adapter["slot"] in wanted and adapter["type"] != wanted[adapter["slot"]]:  # pragma: no cover - a bug
                raise NicTuneError(
                    "the edited file reads back adapter type %s instead of %s for slot %d"
                    % (adapter["type"], wanted[adapter["slot"]], adapter["slot"]),
                    path=self.path,
                )
        return new_data

    def label(self):
        return self.name or self.uuid or "(unnamed)"
