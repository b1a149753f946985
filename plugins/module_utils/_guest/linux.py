# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Linux guest has, read from its own files (no Ansible imports, no subprocess): which kernel modules exist
(``modules.dep`` and ``modules.builtin`` of the running kernel, as ``modinfo -n`` resolves them) and which NICs it
has (``/sys/class/net``). The guest_drivers_info module runs this on the guest."""

from __future__ import annotations

import os

from .drivers import normalise_module

_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")


def _module_name(path):
    base = path.strip().rsplit("/", 1)[-1]
    for suffix in _SUFFIXES:
        if base.endswith(suffix):
            return normalise_module(base[: -len(suffix)])
    return None


def modules_in(text):
    """Module names of a ``modules.dep`` or ``modules.builtin`` text (first path of each line), normalised."""
    names = set()
    for line in (text or "").splitlines():
        name = _module_name(line.split(":", 1)[0])
        if name:
            names.add(name)
    return names


def read_text(path):
    """The text of ``path`` (undecodable bytes replaced), or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def kernel_modules(release, root="/"):
    """``(loadable, builtin, found)`` module name sets of kernel ``release``; ``found`` False when the kernel's
    module index could not be read (then the caller must not conclude a module is missing)."""
    base = os.path.join(root, "lib", "modules", release)
    dep = read_text(os.path.join(base, "modules.dep"))
    builtin = read_text(os.path.join(base, "modules.builtin"))
    return modules_in(dep), modules_in(builtin), dep is not None


def nics(root="/", names=None):
    """The guest's Ethernet NICs backed by a device: ``[{"name", "mac", "driver"}]`` sorted by name.

    Bridges, bonds, VLANs, veth and tun have no device driver (or are not Ethernet) and are left out.
    """
    base = os.path.join(root, "sys", "class", "net")
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return []
    out = []
    for name in entries:
        if names and name not in names:
            continue
        path = os.path.join(base, name)
        if (read_text(os.path.join(path, "type")) or "").strip() != "1":
            continue
        driver = os.path.join(path, "device", "driver")
        if not os.path.exists(driver):
            continue
        mac = (read_text(os.path.join(path, "address")) or "").strip().lower()
        if not mac or mac == "00:00:00:00:00:00":
            continue
        out.append({"name": name, "mac": mac, "driver": os.path.basename(os.path.realpath(driver))})
    return out


_UDEVD = ("lib/systemd/systemd-udevd", "usr/lib/systemd/systemd-udevd")
_UDEV_OTHER = ("sbin/udevd", "usr/sbin/udevd", "bin/udevadm", "usr/bin/udevadm", "sbin/udevadm")


def naming_method(root="/"):
    """How a NIC's name can be pinned to its MAC: ``link`` (a systemd .link file, applied by systemd-udevd),
    ``udev_rule`` (a rule for another udev) or ``none`` (no udev: names cannot be pinned)."""
    if any(os.path.exists(os.path.join(root, p)) for p in _UDEVD):
        return "link"
    if any(os.path.exists(os.path.join(root, p)) for p in _UDEV_OTHER):
        return "udev_rule"
    return "none"
