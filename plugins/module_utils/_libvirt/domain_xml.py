# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text-preserving NIC model editor for libvirt domain XML (no Ansible imports, no libvirt import).

The document is scanned once with expat, recording the byte offsets of every element (start tag,
end of the start tag, start of the end tag, end); an edit then splices only the ``type`` value of a
``<model>`` start tag (found by walking the tag's attributes, keeping its quote style), inserts a
``<model type='...'/>`` indented like the interface's other children with the file's own line ending,
or removes a ``<driver>`` element that only virtio models accept. With ``queues`` (multi-queue virtio) it
sets, adds or removes the ``queues`` attribute of the interface's ``<driver>`` (adding ``<driver queues='N'/>``
where there is none, removing a ``<driver>`` left without attributes). An edit only inserts bytes or
replaces that one value (and the ``<driver>`` element or its ``queues``): every other byte of the input is kept,
indentation, attribute order and quotes, comments, text, processing instructions, the XML declaration.

Safety: a DOCTYPE, any entity declaration and any external entity reference are refused before
anything is expanded; parameter entities are never parsed; nothing is fetched.
"""

from __future__ import annotations

from .._common import models as _models
from .._common import xml_scan as _xml_scan
from .._common.errors import ConfigSyntaxError, NicTuneError
from .._common.selection import nic_selected

#: Model names libvirt knows as an enum (compared case-insensitively by libvirt: ``ViRtIo`` is virtio).
KNOWN_MODELS = _models.platform_names("kvm")
VIRTIO_MODELS = tuple(name for name in KNOWN_MODELS if _models.is_virtio(name))
#: The most queues the ``queues`` option takes: a bound against typos (a guest uses one queue pair per vCPU).
MAX_QUEUES = 256
#: Interface types whose NIC is a passed-through device (no emulated model), and those that need virtio.
_NO_MODEL_TYPES = _models.NO_MODEL_INTERFACE_TYPES
_VIRTIO_ONLY_TYPES = _models.VIRTIO_ONLY_INTERFACE_TYPES


def canonical_model(model):
    """libvirt's spelling of ``model``: known names in lower case, others as they are."""
    if model is None:
        return None
    text = str(model).strip()
    return text.lower() if text.lower() in KNOWN_MODELS else text


def check_model_name(model):
    """Raise NicTuneError unless libvirt would accept ``model`` as a name (the catalogue's rule for ``kvm``)."""
    _models.check_model_name(model, "kvm")


def parse(data, path=None):
    """Scan ``data`` (bytes); return the root node with byte offsets. Refuses DTDs and entities."""
    root = _xml_scan.scan(data, path, what="domain XML")
    if root.name != "domain":
        raise ConfigSyntaxError(
            "not a libvirt domain XML: the root element is <%s>, not <domain>" % root.name, path=path
        )
    return root


def _os_info(root):
    os_node = root.child("os")
    type_node = os_node.child("type") if os_node is not None else None
    if type_node is None:
        return None, None, None
    return type_node.text_value() or None, type_node.attrs.get("arch"), type_node.attrs.get("machine")


def default_model(domain_type, arch, machine, os_type="hvm", nic_type=None):
    """The model libvirt gives a NIC without ``<model>``, or None (no model / unknown).

    Verified here for x86 (pc and q35, libvirt 9.0 + QEMU 7.2: libvirt writes ``rtl8139`` at define).
    The other architectures follow libvirt's ``qemuDomainDefaultNetModel``.
    """
    if nic_type in _NO_MODEL_TYPES:
        return None
    if nic_type == "vdpa":
        return "virtio"
    machine = (machine or "").lower()
    arch = (arch or "").lower()
    if domain_type == "xen":
        return _models.PLATFORM_DEFAULTS["xen_hvm"] if os_type == "hvm" else None
    if domain_type not in ("qemu", "kvm", "hvf"):
        return None
    if arch.startswith("s390"):
        return "virtio"
    if arch in ("armv6l", "armv7l", "aarch64"):
        if machine == "versatilepb":
            return "smc91c111"
        if machine == "virt" or machine.startswith("virt-"):
            return "virtio"
        return "lan9118"
    if arch.startswith("riscv") and (machine == "virt" or machine.startswith("virt-")):
        return "virtio"
    return _models.PLATFORM_DEFAULTS["kvm"]


def _pci_address(node):
    if node is None or node.attrs.get("type") != "pci":
        return None
    try:
        parts = [int(node.attrs.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function")]
    except ValueError:
        return None
    return "%04x:%02x:%02x.%x" % tuple(parts)


def _positive_int(text):
    """``text`` as a positive int, or None (absent or not a number)."""
    try:
        value = int(str(text).strip(), 10)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _vcpus(root):
    """The vCPUs the domain starts with: ``<vcpu current=N>`` where set, else the ``<vcpu>`` count (None: not said)."""
    node = root.child("vcpu")
    if node is None:
        return None
    return _positive_int(node.attrs.get("current")) or _positive_int(node.text_value())


def _driver_name(driver):
    """``<driver name=...>`` of an interface in lower case, or None when the element or the name is absent."""
    name = (driver.attrs.get("name") or "").strip().lower() if driver is not None else ""
    return name or None


def _source_names(iface):
    source = iface.child("source")
    if source is None:
        return []
    names = []
    for key in ("bridge", "network", "dev", "name", "path"):
        if source.attrs.get(key):
            names.append(source.attrs[key])
    return names


class Domain:
    """A parsed domain XML document with its guest NICs."""

    def __init__(self, data, path=None):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.data = data
        self.path = path
        self.root = parse(data, path)
        root = self.root
        name = root.child("name")
        uuid = root.child("uuid")
        self.name = name.text_value() if name is not None else None
        self.uuid = uuid.text_value() if uuid is not None else None
        self.domain_type = root.attrs.get("type")
        self.os_type, self.arch, self.machine = _os_info(root)
        self.vcpus = _vcpus(root)
        devices = root.child("devices")
        emulator = devices.child("emulator") if devices is not None else None
        self.emulator = emulator.text_value() if emulator is not None else None
        self.interfaces = [c for c in devices.children if c.name == "interface"] if devices is not None else []

    @property
    def platform(self):
        """The model catalogue's platform of this domain: ``kvm``, ``xen_hvm`` or ``xen_pv`` (None: other drivers)."""
        if self.domain_type == "xen":
            return "xen_pv" if self.pv else "xen_hvm"
        return "kvm" if self.domain_type in ("qemu", "kvm", "hvf", "test") else None

    @property
    def pv(self):
        return self.domain_type == "xen" and self.os_type not in (None, "hvm")

    def nic(self, index):
        """The facts of guest NIC ``index`` as a dict."""
        iface = self.interfaces[index]
        model_node = iface.child("model")
        written = model_node.attrs.get("type") if model_node is not None else None
        nic_type = iface.attrs.get("type")
        if self.pv:
            model = None
        elif written:
            model = canonical_model(written)
        else:
            model = default_model(self.domain_type, self.arch, self.machine, self.os_type, nic_type)
        if nic_type in _NO_MODEL_TYPES:
            model = None
        mac = iface.child("mac")
        address = iface.child("address")
        driver = iface.child("driver")
        sources = _source_names(iface)
        return {
            "index": index,
            "type": nic_type,
            "mac": mac.attrs.get("address").lower() if mac is not None and mac.attrs.get("address") else None,
            "bridge": sources[0] if sources else None,
            "bridges": sources,
            "model": model,
            "model_explicit": bool(written),
            "pci_address": _pci_address(address),
            "address_type": address.attrs.get("type") if address is not None else None,
            # <driver name=...>: vhost (in-kernel) or qemu (userspace) back end of a virtio NIC; None when not written
            "backend_driver": _driver_name(driver),
            "queues": _positive_int(driver.attrs.get("queues")) if driver is not None else None,
            "line": iface.line,
        }

    def nics(self):
        return [self.nic(i) for i in range(len(self.interfaces))]


def _selected(match, nic):
    if not match:
        return True
    bridges = nic["bridges"] or [None]
    return any(
        nic_selected(match, {"index": nic["index"], "mac": nic["mac"], "bridge": b, "model": nic["model"]})
        for b in bridges
    )


def _line_start(data, pos):
    return data.rfind(b"\n", 0, pos) + 1


def _indent_before(data, pos):
    """The whitespace that precedes ``pos`` on its line, or None when other text precedes it."""
    start = _line_start(data, pos)
    prefix = data[start:pos]
    return prefix if not prefix.strip() else None


def _attribute_values(data, node):
    """``{name: (start, end)}``: the byte span of each attribute value of ``node``'s start tag, quotes included.

    The tag is walked attribute by attribute (:func:`.._common.xml_scan.attribute_spans`), so text inside another
    attribute's value (``foo=" type='x'"``) is never taken for an attribute.
    """
    return {
        name.encode("ascii", "replace"): (start - 1, end + 1)
        for name, (start, end, _quote) in _xml_scan.attribute_spans(data, node).items()
    }


def _quote_of(data, node):
    span = _attribute_values(data, node).get(b"type")
    return data[span[0] : span[0] + 1] if span else b"'"


def _newline(data, pos):
    """The line ending used around ``pos``: CRLF where the line before (or, on the first line, after) ends so."""
    end = data.rfind(b"\n", 0, pos)
    if end < 0:
        end = data.find(b"\n", pos)
    return b"\r\n" if end > 0 and data[end - 1 : end] == b"\r" else b"\n"


def _model_edits(data, iface, model):
    """The splices that set ``<model type>`` of ``iface`` to ``model``: one value replaced, or bytes inserted."""
    model_b = model.encode("ascii")
    node = iface.child("model")
    if node is not None:
        span = _attribute_values(data, node).get(b"type")
        if span is not None:
            quote = data[span[0] : span[0] + 1]
            return [(span[0], span[1], quote + model_b + quote)]
        name_end = node.start + len(b"<model")
        return [(name_end, name_end, b" type='" + model_b + b"'")]
    quote = _quote_of(data, iface)
    return _insert_children(data, iface, [b"<model type=" + quote + model_b + quote + b"/>"], ("mac", "source"))


def _insert_children(data, iface, elements, after):
    """The splice that inserts ``elements`` (bytes, in this order) into ``iface``: after its last child named in
    ``after`` (else first), each on a line of its own indented like the other children where the interface spans
    lines, else inline."""
    newline = _newline(data, iface.start)
    anchor = None
    for child in iface.children:
        if child.name in after:
            anchor = child
    first = iface.children[0] if iface.children else None
    if first is not None:
        child_indent = _indent_before(data, first.start)
        pos = anchor.end if anchor is not None else iface.tag_end
        if child_indent is None:
            return [(pos, pos, b"".join(elements))]
        return [(pos, pos, b"".join(newline + child_indent + e for e in elements))]
    element = b"".join(elements)
    own_indent = _indent_before(data, iface.start)
    if own_indent is None:
        if iface.empty:
            return [(iface.tag_end - 2, iface.tag_end, b">" + element + b"</interface>")]
        return [(iface.tag_end, iface.tag_end, element)]
    child_indent = own_indent + _indent_unit(data, iface, own_indent)
    lines = (newline + child_indent).join(elements)
    if iface.empty:
        tag = data[iface.start : iface.tag_end]
        trimmed = tag[:-2].rstrip()
        inner = newline + child_indent + lines + newline + own_indent
        return [(iface.start, iface.tag_end, trimmed + b">" + inner + b"</interface>")]
    # an element without child elements may still hold comments, text or processing instructions: keep
    # them all and only insert the elements, on lines of their own where the content already spans lines
    content = data[iface.tag_end : iface.close_start]
    if not content:
        inner = newline + child_indent + lines + newline + own_indent
    elif b"\n" in content:
        inner = newline + child_indent + lines
    else:
        inner = element
    return [(iface.tag_end, iface.tag_end, inner)]


def _indent_unit(data, iface, own_indent):
    parent = iface.parent
    if parent is not None:
        parent_indent = _indent_before(data, parent.start)
        if parent_indent is not None and own_indent.startswith(parent_indent) and len(own_indent) > len(parent_indent):
            return own_indent[len(parent_indent) :]
    return b"\t" if own_indent.startswith(b"\t") else b"  "


def check_queues(queues):
    """``queues`` (nic_model's option) as an int from 1 to :data:`MAX_QUEUES`, or None when not given."""
    if queues is None:
        return None
    if isinstance(queues, bool) or not isinstance(queues, int) or not 1 <= queues <= MAX_QUEUES:
        raise NicTuneError("queues must be a whole number from 1 to %d, got %r" % (MAX_QUEUES, queues))
    return queues


def _quote_style(data, node, fallback):
    spans = _xml_scan.attribute_spans(data, node)
    return next(iter(spans.values()))[2] if spans else fallback


def _queue_edits(data, iface, queues, inserting):
    """``(edits, elements)`` that make the interface's virtio queues ``queues`` (1: single queue, no ``queues``
    attribute): the edits of an existing ``<driver>``, or the ``<driver queues='N'/>`` to insert - ``elements``, to
    insert with a new ``<model>`` when ``inserting`` one, else placed after the existing ``<model>`` here."""
    driver = iface.child("driver")
    quote = _quote_of(data, iface)
    if queues > 1:
        value = str(queues).encode("ascii")
        if driver is None:
            element = b"<driver queues=" + quote + value + quote + b"/>"
            if inserting or iface.child("model") is None:
                return [], [element]
            return _insert_children(data, iface, [element], ("mac", "source", "model")), []
        span = _xml_scan.attribute_spans(data, driver).get("queues")
        if span is not None:
            return [(span[0], span[1], value)], []
        q = _quote_style(data, driver, quote)
        pos = _xml_scan.attributes_end(data, driver)
        return [(pos, pos, b" queues=" + q + value + q)], []
    item = _xml_scan.attribute_items(data, driver).get("queues") if driver is not None else None
    if item is None:
        return [], []
    content = b"" if driver.empty else data[driver.tag_end : driver.close_start]
    if set(driver.attrs) == {"queues"} and not content.strip():
        return [_remove_edit(data, driver)], []
    return [(item[0], item[1], b"")], []


def _remove_edit(data, node):
    start, end = node.start, node.end
    indent = _indent_before(data, start)
    if indent is not None and start - len(indent) > 0:
        start = start - len(indent) - 1  # the newline before the line
        if data[start - 1 : start] == b"\r":
            start -= 1
    return (start, end, b"")


def _nic_label(domain, nic):
    who = "domain %s" % (domain.name or "(unnamed)")
    what = "NIC %d" % nic["index"]
    if nic["mac"]:
        what += " (%s)" % nic["mac"]
    return "%s, %s" % (who, what)


def _warn_xen_options(options, warn):
    for key in ("xen_type", "pin_mac"):
        if options.get(key):
            warn("%s applies only to the xen backend; it is ignored for libvirt domains" % key)


def plan(data, options, warn, path=None):
    """Plan the change of one domain; return ``(new_data, result, domain)``.

    ``result`` is the per-domain result of nic_model (without path/backend/changed/restart_required).
    Raises NicTuneError for a NIC whose interface type or address cannot take the model.
    """
    domain = Domain(data, path)
    model = options.get("model")
    queues = check_queues(options.get("queues"))
    match = options.get("match") or {}
    _warn_xen_options(options, warn)
    if model is not None:
        check_model_name(model)
        model = canonical_model(model)
    if queues and model is not None and model not in VIRTIO_MODELS and queues > 1:
        raise NicTuneError("queues %d needs a virtio model, not %s" % (queues, model), path=path)
    result = {"domain": domain.name, "guest_type": domain.os_type, "skipped": False, "reason": None, "nics": []}
    edits = []
    nics = domain.nics()
    if domain.pv:
        result.update(
            skipped=True, reason="PV guest (os type %r): its NICs use netfront and have no model" % domain.os_type
        )
    elif not nics:
        result.update(skipped=True, reason="the domain has no NIC")
    any_selected = False
    for nic in nics:
        selected = not domain.pv and _selected(match, nic)
        entry = {
            "index": nic["index"],
            "mac": nic["mac"],
            "bridge": nic["bridge"],
            "type": nic["type"],
            "model_before": nic["model"],
            "model_after": nic["model"],
            "queues_before": nic["queues"],
            "queues_after": nic["queues"],
            "selected": selected,
            "changed": False,
            "skipped": False,
            "reason": None,
        }
        result["nics"].append(entry)
        if not selected:
            continue
        any_selected = True
        if nic["type"] in _NO_MODEL_TYPES:
            entry.update(skipped=True, reason="type=%r NIC is a passed-through device and has no model" % nic["type"])
            continue
        if model is None and queues is None:
            entry.update(skipped=True, reason="no model given")
            continue
        if model is None and nic["model"] not in VIRTIO_MODELS:
            entry.update(skipped=True, reason="queues apply to virtio NICs only; this one is %s" % nic["model"])
            continue
        iface = domain.interfaces[nic["index"]]
        inserts = []
        target = nic["model"]
        if model is not None and nic["model"] != model:  # else already in force (written, or libvirt's default)
            problem = nic_model_clash(nic, model)
            if problem:
                raise NicTuneError("%s: %s" % (_nic_label(domain, nic), problem), path=path, line=nic["line"])
            target = model
            if iface.child("model") is None:
                quote = _quote_of(domain.data, iface)
                inserts.append(b"<model type=" + quote + model.encode("ascii") + quote + b"/>")
            else:
                edits.extend(_model_edits(domain.data, iface, model))
            drivers = [child for child in iface.children if child.name == "driver"]
            if drivers and model not in VIRTIO_MODELS:
                # every one: libvirt reads the first, and a second one would take its place
                edits.extend(_remove_edit(domain.data, driver) for driver in drivers)
                warn(
                    "%s: removed <driver> (options that only virtio NICs have) because model %s does not use them"
                    % (_nic_label(domain, nic), model)
                )
            entry.update(model_after=model, queues_after=None if model not in VIRTIO_MODELS else nic["queues"])
            entry["changed"] = True
        if queues is not None and target in VIRTIO_MODELS and (entry["queues_after"] or 1) != queues:
            queue_edits, elements = _queue_edits(domain.data, iface, queues, bool(inserts))
            edits.extend(queue_edits)
            inserts.extend(elements)
            entry.update(queues_after=queues if queues > 1 else None, changed=True)
            if queues > 1 and domain.vcpus and queues > domain.vcpus:
                warn(
                    "%s: %d queues for %d vCPU(s): a queue pair per vCPU is what the guest can use"
                    % (_nic_label(domain, nic), queues, int(domain.vcpus))
                )
        if inserts:
            edits.extend(_insert_children(domain.data, iface, inserts, ("mac", "source")))
    if nics and not domain.pv and not any_selected:
        result.update(skipped=True, reason="no NIC selected by match")
    unknown = _models.unknown_model_warning(model, "kvm") if edits and model is not None else None
    if unknown:
        warn("%s: %s" % (path or "domain %s" % (domain.name or "(unnamed)"), unknown))
    new_data = _xml_scan.splice(domain.data, edits) if edits else domain.data
    return new_data, result, domain


def nic_model_clash(nic, model):
    """Why ``model`` cannot be set on ``nic`` (a dict from ``Domain.nic``), or None."""
    if nic["type"] in _VIRTIO_ONLY_TYPES and model not in VIRTIO_MODELS:
        return "interface type %r needs a virtio model; %s is refused by libvirt" % (nic["type"], model)
    if model == "usb-net" and nic["address_type"] != "usb":
        return "usb-net is a USB device and needs <address type='usb'>; this NIC %s" % (
            "has a %s address (libvirt accepts it, QEMU refuses to start)" % nic["address_type"]
            if nic["address_type"]
            else "has none (libvirt would put it on PCI, which it refuses)"
        )
    allowed = _models.models_for_address(nic["address_type"])
    if allowed is not None and model not in allowed:
        return "its <address type=%r> is tied to one bus and takes only model %s, not %s; remove the address first" % (
            nic["address_type"],
            " or ".join(allowed),
            model,
        )
    return None


def plan_file(path, data, options, warn):
    """nic_model on one domain XML file: ``(new_data, result)``."""
    new_data, result, _domain = plan(data, options, warn, path=path)
    return new_data, result


def describe(domain):
    """nic_model_info's facts of a parsed ``Domain``."""
    nics = []
    for nic in domain.nics():
        nics.append(
            {
                key: nic[key]
                for key in (
                    "index",
                    "type",
                    "mac",
                    "bridge",
                    "model",
                    "model_explicit",
                    "pci_address",
                    "backend_driver",
                    "queues",
                )
            }
        )
    return {
        "domain": domain.name,
        "uuid": domain.uuid,
        "domain_type": domain.domain_type,
        "machine": domain.machine,
        "arch": domain.arch,
        "emulator": domain.emulator,
        "vcpus": domain.vcpus,
        "guest_type": domain.os_type,
        "platform": domain.platform,
        "nics": nics,
    }


def describe_file(path, data, warn):
    """nic_model_info on one domain XML file."""
    return describe(Domain(data, path))


def sniff(path):
    """True when ``path`` is a libvirt domain XML file rather than another config (by name, else by content)."""
    if path.lower().endswith(".xml"):
        return True
    return (_xml_scan.file_head(path, 512) or b"").lstrip().startswith(b"<")
