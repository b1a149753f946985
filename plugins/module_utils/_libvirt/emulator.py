# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which NIC models a QEMU emulator binary offers (no Ansible imports, no libvirt import).

libvirt 9.0 defines any model name and its domain capabilities list no NIC models; QEMU refuses an
unknown one only at start (``'fakemodel' is not a valid device model name``). So the emulator is
asked directly, through the host object: ``EMULATOR -machine none -display none -nodefaults -device
help`` lists its devices, the NICs under ``Network devices:``. That is possible only where the emulator
is on this host (local ``qemu:///`` URIs). Answers are cached per process and in the host's cache,
keyed by the emulator's path, size and modification time, so a new QEMU package is asked again.
Which QEMU device libvirt uses for a model comes from the model catalogue.
"""

from __future__ import annotations

import os
import re

from .._common import models as _models
from .._common.errors import NicTuneError

_NAME_RE = re.compile(r'^name "([^"]+)"(?:, bus ([^,]+))?(?:, alias "([^"]+)")?')
_MEMORY_CACHE = {}


def is_local_uri(uri):
    """True when ``uri`` reaches a QEMU driver on this host (so its emulators can be run here)."""
    match = re.match(r"^([a-z0-9]+)(?:\+([a-z0-9]+))?://([^/?]*)/", uri or "")
    if not match:
        return False
    driver, transport, host = match.groups()
    if driver != "qemu":
        return False
    if transport not in (None, "unix"):
        return False
    return host in ("", "localhost")


def parse_device_help(text):
    """``{device name or alias: bus}`` of the NICs in the output of ``-device help``."""
    out = {}
    in_network = False
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith("name "):
            in_network = line.strip() == "Network devices:"
            continue
        if not in_network:
            continue
        match = _NAME_RE.match(line.strip())
        if match:
            name, bus, alias = match.groups()
            out[name] = bus
            if alias:
                out[alias] = bus
    return out


def _ask(host, emulator):
    cmd = [emulator, "-machine", "none", "-display", "none", "-nodefaults", "-device", "help"]
    try:
        rc, out, err = host.run_command(cmd)
    except OSError as exc:
        raise NicTuneError("cannot ask emulator %s for its NIC models: %s" % (emulator, exc))
    if rc != 0 or "Network devices:" not in (out or ""):
        lines = (err or "").strip().splitlines()
        raise NicTuneError(
            "cannot ask emulator %s for its NIC models: '-device help' exited with %d%s"
            % (emulator, rc, (": " + lines[-1]) if lines else "")
        )
    return out


def offered_models(host, emulator):
    """``{device: bus}`` of every NIC device ``emulator`` offers (cached by path, size and mtime)."""
    try:
        st = os.stat(emulator)
    except OSError as exc:
        raise NicTuneError("emulator %s of the domain is not on this host: %s" % (emulator, exc.strerror))
    key = "qemu-nic-models|%s|%d|%d" % (emulator, st.st_size, int(st.st_mtime))
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    cached = host.recall(key)
    if isinstance(cached, dict) and cached:
        _MEMORY_CACHE[key] = cached
        return cached
    models = parse_device_help(_ask(host, emulator))
    _MEMORY_CACHE[key] = models
    host.remember(key, models)
    return models


def check_offered(model, address_type, offered):
    """None when the emulator (``offered`` from ``offered_models``) has ``model``; else the reason."""
    device = _models.qemu_device(model, address_type)
    if device in offered:
        bus = (offered[device] or "").strip()
        if address_type == "pci" and bus and bus != "PCI":
            return "its %s device sits on the %s bus, not on the PCI address this NIC has" % (device, bus)
        return None
    if device == model:
        return "it has no %s device" % device
    return "it has no %s device, which libvirt uses for model %s" % (device, model)


def describe_offered(offered):
    """The libvirt model names for the NIC devices in ``offered`` (ISA-only devices left out), sorted."""
    names = set()
    for device, bus in offered.items():
        if (bus or "").strip() == "ISA":
            continue
        name = _models.libvirt_name_of_device(device)
        if name:
            names.add(name)
    return sorted(names)
