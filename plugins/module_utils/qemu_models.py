# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which NIC models a QEMU emulator binary offers (no Ansible imports, no libvirt import).

libvirt 9.0 defines any model name and its domain capabilities list no NIC models; QEMU refuses an
unknown one only at start (``'fakemodel' is not a valid device model name``). So the emulator is
asked directly: ``EMULATOR -machine none -display none -nodefaults -device help`` lists its devices,
the NICs under ``Network devices:``. That is possible only where the emulator is on this host
(local ``qemu:///`` URIs). Answers are cached per process and on disk, keyed by the emulator's path,
size and modification time, so a new QEMU package is asked again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile

from .errors import NicTuneError

_NAME_RE = re.compile(r'^name "([^"]+)"(?:, bus ([^,]+))?(?:, alias "([^"]+)")?')
_MEMORY_CACHE = {}
_CACHE_FILE = "qemu-nic-models.json"


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


def qemu_device(model, address_type=None):
    """The QEMU device that libvirt uses for the libvirt NIC ``model``."""
    if model == "virtio":
        if address_type == "ccw":
            return "virtio-net-ccw"
        if address_type == "virtio-mmio":
            return "virtio-net-device"
        return "virtio-net-pci"
    if model == "virtio-transitional":
        return "virtio-net-pci-transitional"
    if model == "virtio-non-transitional":
        return "virtio-net-pci-non-transitional"
    return model


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


def _cache_path(cache_dir):
    if cache_dir is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        cache_dir = os.path.join(base, "nictune")
    return os.path.join(cache_dir, _CACHE_FILE)


def _load_disk(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _store_disk(path, key, models):
    """Best effort: a cache that cannot be written only costs another ~0.1 s next time."""
    try:
        data = _load_disk(path)
        data[key] = models
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".qemu-nic-models.")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def _run(emulator):
    env = dict(os.environ, LC_ALL="C")
    cmd = [emulator, "-machine", "none", "-display", "none", "-nodefaults", "-device", "help"]
    try:
        proc = subprocess.run(cmd, capture_output=True, env=env, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NicTuneError("cannot ask emulator %s for its NIC models: %s" % (emulator, exc))
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or "Network devices:" not in text:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NicTuneError(
            "cannot ask emulator %s for its NIC models: '-device help' exited with %d%s"
            % (emulator, proc.returncode, (": " + err[-1]) if err else "")
        )
    return text


def offered_models(emulator, cache_dir=None, runner=None):
    """``{device: bus}`` of every NIC device ``emulator`` offers (cached by path, size and mtime)."""
    try:
        st = os.stat(emulator)
    except OSError as exc:
        raise NicTuneError("emulator %s of the domain is not on this host: %s" % (emulator, exc.strerror))
    key = "%s|%d|%d" % (emulator, st.st_size, int(st.st_mtime))
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    path = _cache_path(cache_dir)
    cached = _load_disk(path).get(key)
    if isinstance(cached, dict) and cached:
        _MEMORY_CACHE[key] = cached
        return cached
    models = parse_device_help((runner or _run)(emulator))
    _MEMORY_CACHE[key] = models
    _store_disk(path, key, models)
    return models


def check_offered(model, address_type, offered):
    """None when the emulator (``offered`` from ``offered_models``) has ``model``; else the reason."""
    device = qemu_device(model, address_type)
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
        name = _libvirt_name(device)
        if name:
            names.add(name)
    return sorted(names)


def _libvirt_name(device):
    """The libvirt model name for a QEMU NIC device (None for devices libvirt reaches under another name)."""
    names = {
        "virtio-net-pci": "virtio",
        "virtio-net-pci-transitional": "virtio-transitional",
        "virtio-net-pci-non-transitional": "virtio-non-transitional",
        "virtio-net-ccw": "virtio",
    }
    if device in names:
        return names[device]
    if device.startswith("virtio-net") or device == "e1000-82540em":
        return None
    return device
