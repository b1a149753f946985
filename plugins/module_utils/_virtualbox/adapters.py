# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VirtualBox network adapters: type names, attachments, and which adapters a task changes (no Ansible imports).

Shared by the ``.vbox`` file editor (:mod:`.settings`) and the ``VBoxManage`` path (:mod:`.manage`): both turn
what they read into adapter facts (dicts, below) and let :func:`plan` decide, so a file and a registered VM
follow the same rules.

Adapter facts: ``slot`` (0-based, as in the file; ``VBoxManage --nictype<N>`` counts from 1), ``enabled``,
``type`` (VirtualBox's name of the adapter type in force, None when not known), ``type_written`` (whether the
file writes it), ``mac`` (``aa:bb:cc:dd:ee:ff`` or None), ``attachment`` (VBoxManage's word: ``nat``,
``bridged``, ``intnet``, ``hostonly``, ``hostonlynetwork``, ``natnetwork``, ``generic``, ``cloudnetwork`` or
``null`` for "not attached"), ``network`` (bridged/host-only interface or network name, None for NAT) and
``cable_connected``.
"""

from __future__ import annotations

from .._common import models as _models
from .._common.errors import NicTuneError
from .._common.selection import nic_selected, normalise_mac

PLATFORM = "virtualbox"
#: Every adapter type VirtualBox reads, as it spells them (it compares them case-sensitively).
CATALOGUED_TYPES = _models.platform_names(PLATFORM)
KNOWN_TYPES = CATALOGUED_TYPES + tuple(_models.VIRTUALBOX_UNCATALOGUED_TYPES)
#: Attachments: VBoxManage's word (``showvminfo``'s ``nic<N>``, ``modifyvm --nic<N>``), the ``.vbox`` elements for
#: it with the attribute naming what it connects to, and the ``showvminfo`` key of that (``<key><N>``).
ATTACHMENTS = (
    ("nat", {"NAT": None}, None),
    ("bridged", {"BridgedInterface": "name", "HostInterface": "name"}, "bridgeadapter"),
    ("intnet", {"InternalNetwork": "name"}, "intnet"),
    ("hostonly", {"HostOnlyInterface": "name"}, "hostonlyadapter"),
    ("hostonlynetwork", {"HostOnlyNetwork": "name"}, "hostonly-network"),
    ("generic", {"GenericInterface": "driver", "VDE": "network"}, "generic"),
    ("natnetwork", {"NATNetwork": "name"}, "nat-network"),
    ("cloudnetwork", {"CloudNetwork": "name"}, "cloud-network"),
)


def canonical_model(adapter_type):
    """The catalogue's model for VirtualBox adapter type ``adapter_type`` (None when it has none)."""
    return _models.from_platform(PLATFORM, adapter_type)


def check_type(adapter_type):
    """Why VirtualBox would refuse ``adapter_type`` as it is written in a settings file, or None."""
    if adapter_type in KNOWN_TYPES:
        return None
    return "unknown adapter type %r (VirtualBox reads only %s)" % (adapter_type, ", ".join(KNOWN_TYPES))


def target(model):
    """``(adapter_type, canonical, exact)`` for the ``model`` option.

    A VirtualBox type name (any case: ``82545em``) asks for exactly that type (``exact``); a catalogue name or
    alias (``e1000``) asks for its model, and an adapter already of that model (any of its VirtualBox types)
    is left alone; a new one gets the first type the catalogue writes for it on VirtualBox.
    """
    text = str(model).strip()
    for name in CATALOGUED_TYPES:
        if name.lower() == text.lower():
            return name, canonical_model(name), True
    canonical = _models.canonical(text)
    if canonical is None:
        problem = "unknown NIC model %r" % text
    elif PLATFORM not in _models.entry(canonical).get("names", {}):
        problem = "model %s is not offered by VirtualBox" % canonical
    else:
        problem = None
    if problem:
        offered = ", ".join("%s (%s)" % (m, "/".join(_models.entry(m)["names"][PLATFORM])) for m in offered_models())
        raise NicTuneError("%s; VirtualBox offers %s" % (problem, offered))
    return _models.written_name(canonical, PLATFORM), canonical, False


def offered_models():
    """The catalogue's models VirtualBox offers, best first where the ranking knows them."""
    ranked = [m for m in _models.ranking(PLATFORM) if m in _models.platform_models(PLATFORM)]
    return ranked + [m for m in _models.platform_models(PLATFORM) if m not in ranked]


def vbox_mac(text):
    """A MAC as VirtualBox writes it (``080027AABBCC``) in the colon form the other backends return."""
    if text is None:
        return None
    raw = str(text).strip().replace(":", "").replace("-", "")
    if len(raw) != 12:
        return normalise_mac(text)
    return normalise_mac(":".join(raw[i : i + 2] for i in range(0, 12, 2)))


def _selected(match, adapter):
    if not match:
        return True
    views = []
    for model in dict.fromkeys([canonical_model(adapter["type"]), adapter["type"]]):
        views.append(
            {
                "index": adapter["slot"],
                "mac": adapter["mac"],
                "bridge": adapter["network"],
                "model": model,
                "attachment": adapter["attachment"],
            }
        )
    return any(nic_selected(match, view) for view in views)


def needs_change(adapter_type, wanted):
    """Whether an adapter of ``adapter_type`` must change for ``wanted`` (a :func:`target` triple)."""
    written, canonical, exact = wanted
    if exact:
        return adapter_type != written
    return canonical_model(adapter_type) != canonical


def describe(adapter):
    """nic_model_info's entry for one adapter."""
    return {
        "index": adapter["slot"],
        "slot": adapter["slot"],
        "vboxmanage_index": adapter["slot"] + 1,
        "enabled": adapter["enabled"],
        "type": adapter["type"],
        "type_explicit": adapter.get("type_written"),
        "model": canonical_model(adapter["type"]),
        "mac": adapter["mac"],
        "attachment": adapter["attachment"],
        "bridge": adapter["network"],
        "cable_connected": adapter["cable_connected"],
    }


def plan(adapters, options, warn, label):
    """Decide per adapter; returns ``(entries, changes, result_fields)``.

    ``entries``: nic_model's per-NIC results; ``changes``: ``[(slot, adapter_type)]`` to write; ``result_fields``:
    ``skipped`` and ``reason`` for the machine. Disabled adapters are never changed (VirtualBox keeps a type for
    them, which the next enable would use: change it then). ``label`` names the machine in messages.
    """
    for key in ("xen_type", "pin_mac"):
        if options.get(key):
            warn("%s applies only to the xen backend; it is ignored for VirtualBox machine %s" % (key, label))
    model = options.get("model")
    wanted = target(model) if model is not None else None
    match = options.get("match") or {}
    entries, changes = [], []
    for adapter in adapters:
        selected = _selected(match, adapter)
        model_before = canonical_model(adapter["type"])
        entry = {
            "index": adapter["slot"],
            "slot": adapter["slot"],
            "vboxmanage_index": adapter["slot"] + 1,
            "enabled": adapter["enabled"],
            "mac": adapter["mac"],
            "attachment": adapter["attachment"],
            "bridge": adapter["network"],
            "type_before": adapter["type"],
            "type_after": adapter["type"],
            "model_before": model_before,
            "model_after": model_before,
            "selected": selected,
            "changed": False,
            "pending": False,
            "skipped": False,
            "reason": None,
        }
        entries.append(entry)
        if not selected:
            continue
        if not adapter["enabled"]:
            entry.update(skipped=True, reason="adapter disabled")
        elif wanted is None:
            entry.update(skipped=True, reason="no model given")
        elif needs_change(adapter["type"], wanted):
            entry.update(type_after=wanted[0], model_after=wanted[1], changed=True)
            changes.append((adapter["slot"], wanted[0]))
    fields = {"skipped": False, "reason": None}
    enabled = [e for e in entries if e["enabled"]]
    if not enabled:
        fields.update(skipped=True, reason="no enabled network adapter")
    elif not any(e["selected"] for e in enabled):
        fields.update(skipped=True, reason="no enabled adapter selected by match")
    return entries, changes, fields


def hold(entries, fields, reason, pending):
    """Keep every planned change back (the machine must not be edited now): mark those adapters, explain why."""
    for entry in entries:
        if entry["changed"]:
            entry.update(
                changed=False,
                pending=pending,
                type_after=entry["type_before"],
                model_after=entry["model_before"],
                reason=reason,
            )
    fields.update(skipped=True, reason=reason, pending=pending)
