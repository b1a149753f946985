# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model catalogue: every NIC model this collection knows, in one place (no Ansible imports).

For each model: its canonical name and the other names it goes by, the name each platform writes for
it, how it ranks per platform, which guest driver each OS needs (Linux kernel modules and the driver
name ``ethtool -i`` shows; Windows driver packages and their licences) and which bus/address types
accept it. The Xen rules, the libvirt editor, the emulator check, the upgrade plan, the guest decision
and the guest role's variables all derive from this module; a unit test fails if a list of model names
appears anywhere else in the collection.

Platforms:

* ``kvm``: QEMU/KVM through libvirt (libvirt's ``<model type=...>`` names);
* ``xen_hvm``: Xen HVM guests through xl (``model=`` of an emulated vif; QEMU device names; Xen's
  paravirtual NIC is ``type=vif``);
* ``proxmox``: Proxmox VE qemu-server (``netN: <model>=<MAC>,...``);
* ``virtualbox``: VirtualBox (``<Adapter type=...>`` / ``VBoxManage --nictypeN``).

Xen's paravirtual NIC has one canonical name here: ``xen_pv``.
"""

from __future__ import annotations

import functools

from .errors import NicTuneError

PLATFORMS = ("kvm", "xen_hvm", "proxmox", "virtualbox")

# Licences of what may be installed on Windows, as SPDX ids (LicenseRef- for the non-SPDX ones).
FREE_LICENSES = ("BSD-3-Clause", "BSD-2-Clause", "GPL-2.0-or-later")
INTEL_LICENSE = "LicenseRef-Intel-Network-Driver"
KERNEL_LICENSE = "GPL-2.0-only"

# Every model. ``names``: what each platform writes for it (the first is what this collection writes;
# the others are read as the same model). ``linux``: kernel modules that must all be present (``needs``),
# modules that also bind the device (``also``) and the driver name ethtool shows (``ethtool``).
# ``windows``: driver packages (keys of WINDOWS_PACKAGES) in order of preference. ``family``: the model
# whose guest drivers this one uses. ``buses``: address types this model can sit on (None: PCI only).
_MODELS = (
    {
        "name": "rtl8139",
        "title": "Realtek RTL8139C+ (emulated)",
        "aliases": ("8139cp", "rtl-8139"),
        "names": {"kvm": ("rtl8139",), "xen_hvm": ("rtl8139",), "proxmox": ("rtl8139",)},
        "xen_documented": True,
        "linux": {
            "needs": ("8139cp",),
            "also": ("8139too",),
            "ethtool": ("8139cp", "8139too"),
            "note": "QEMU and Xen emulate an RTL8139C+ (PCI revision 0x20): 8139cp drives it, 8139too refuses C+ chips",
        },
        "windows": ("realtek_rtl8139",),
    },
    {
        "name": "e1000",
        "title": "Intel 82540EM (PRO/1000 MT)",
        "aliases": ("e1000-82540em", "82540em"),
        "names": {
            "kvm": ("e1000",),
            "xen_hvm": ("e1000",),
            "proxmox": ("e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em"),
            "virtualbox": ("82540EM", "82543GC", "82545EM"),
        },
        "xen_documented": True,
        "linux": {"needs": ("e1000",), "ethtool": ("e1000",)},
        "windows": ("intel_proset",),
    },
    {
        "name": "e1000e",
        "title": "Intel 82574L",
        "aliases": (),
        "names": {"kvm": ("e1000e",), "xen_hvm": ("e1000e",), "proxmox": ("e1000e",)},
        "linux": {"needs": ("e1000e",), "ethtool": ("e1000e",)},
        "windows": ("windows_inbox_e1000e", "intel_proset"),
    },
    {
        "name": "igb",
        "title": "Intel 82576",
        "aliases": (),
        "names": {"kvm": ("igb",)},
        "linux": {"needs": ("igb",), "ethtool": ("igb",)},
    },
    {
        "name": "virtio",
        "title": "virtio-net (paravirtual)",
        "aliases": ("virtio-net", "virtio_net", "virtio-net-pci"),
        "names": {
            "kvm": ("virtio",),
            "xen_hvm": ("virtio-net-pci",),
            "proxmox": ("virtio",),
            "virtualbox": ("virtio",),
        },
        "linux": {"needs": ("virtio_net", "virtio_pci"), "ethtool": ("virtio_net",)},
        "windows": ("netkvm",),
        "buses": ("pci", "ccw", "virtio-mmio"),
    },
    {
        "name": "virtio-transitional",
        "title": "virtio-net, transitional PCI device",
        "aliases": ("virtio-net-pci-transitional",),
        "names": {"kvm": ("virtio-transitional",)},
        "family": "virtio",
    },
    {
        "name": "virtio-non-transitional",
        "title": "virtio-net, virtio 1.0 only PCI device",
        "aliases": ("virtio-net-pci-non-transitional",),
        "names": {"kvm": ("virtio-non-transitional",)},
        "family": "virtio",
    },
    {
        "name": "xen_pv",
        "title": "Xen paravirtual NIC (netfront)",
        "aliases": ("xen-pv", "xen", "vif", "netfront", "xen-netfront", "xen_netfront"),
        "names": {"xen_hvm": ()},
        "linux": {"needs": ("xen_netfront",), "ethtool": ("vif",)},
        "windows": ("xenproject_pv", "gplpv"),
    },
    {
        "name": "vmxnet3",
        "title": "VMware vmxnet3 (paravirtual)",
        "aliases": (),
        "names": {"kvm": ("vmxnet3",), "proxmox": ("vmxnet3",)},
        "linux": {"needs": ("vmxnet3",), "ethtool": ("vmxnet3",)},
        "windows": ("vmware_vmxnet3",),
    },
    {
        "name": "pcnet",
        "title": "AMD PCnet (Am79C970A, Am79C973, Am79C960)",
        "aliases": ("pcnet32", "am79c970a", "am79c973", "am79c960"),
        "names": {
            "xen_hvm": ("pcnet",),
            "proxmox": ("pcnet",),
            "virtualbox": ("Am79C973", "Am79C970A", "Am79C960"),
        },
        "linux": {"needs": ("pcnet32",), "ethtool": ("pcnet32",)},
    },
    {
        "name": "ne2k_pci",
        "title": "Realtek RTL8029 (NE2000 PCI)",
        "aliases": ("ne2k-pci",),
        "names": {"xen_hvm": ("ne2k_pci",), "proxmox": ("ne2k_pci",)},
        "linux": {"needs": ("ne2k_pci",), "ethtool": ("ne2k-pci",)},
    },
    {
        "name": "ne2k_isa",
        "title": "NE2000 ISA",
        "aliases": (),
        "names": {"proxmox": ("ne2k_isa",)},
        "buses": ("isa",),
    },
    {
        "name": "i82551",
        "title": "Intel 82551 (eepro100)",
        "aliases": (),
        "names": {"xen_hvm": ("i82551",), "proxmox": ("i82551",)},
        "linux": {"needs": ("e100",), "ethtool": ("e100",)},
    },
    {
        "name": "i82557b",
        "title": "Intel 82557B (eepro100)",
        "aliases": (),
        "names": {"xen_hvm": ("i82557b",), "proxmox": ("i82557b",)},
        "family": "i82551",
    },
    {
        "name": "i82559er",
        "title": "Intel 82559ER (eepro100)",
        "aliases": (),
        "names": {"xen_hvm": ("i82559er",), "proxmox": ("i82559er",)},
        "family": "i82551",
    },
    {
        "name": "usb-net",
        "title": "USB network device",
        "aliases": (),
        "names": {"kvm": ("usb-net",)},
        "buses": ("usb",),
    },
    {
        "name": "spapr-vlan",
        "title": "PowerPC sPAPR virtual LAN",
        "aliases": (),
        "names": {"kvm": ("spapr-vlan",)},
        "buses": ("spapr-vio",),
    },
    {
        "name": "lan9118",
        "title": "SMSC LAN9118 (ARM boards)",
        "aliases": (),
        "names": {"kvm": ("lan9118",)},
    },
    {
        "name": "smc91c111",
        "title": "SMSC 91C111 (ARM boards)",
        "aliases": (),
        "names": {"kvm": ("smc91c111",)},
    },
)

# Best first, per platform: the order the upgrade ranks what a guest can drive.
RANKINGS = {
    "kvm": ("virtio", "e1000e", "e1000", "rtl8139"),
    "xen_hvm": ("xen_pv", "e1000", "rtl8139"),
    "proxmox": ("virtio", "e1000e", "e1000", "rtl8139"),
    "virtualbox": ("virtio", "e1000", "pcnet"),
}

# Multiqueue: the choice by measuring tries a multi-queue NIC as a candidate of its own where the platform can write
# one (libvirt: <driver queues='N'/> on a virtio interface; the guest's channels set to match with ethtool -L).
# ``name`` is the candidate's name in a trial (not a model: the NIC's model stays ``model``).
MULTIQUEUE = {"kvm": {"name": "virtio-mq", "model": "virtio"}}

# What a platform offers when the hypervisor cannot be asked (Xen's emulator does not list its models).
DEFAULT_OFFERED = RANKINGS

# Models the guest decision judges when not told otherwise: those with a known guest driver.
GUEST_MODELS = ("rtl8139", "e1000", "e1000e", "virtio", "xen_pv", "vmxnet3")

# The model each platform gives a NIC whose model is not written.
PLATFORM_DEFAULTS = {"kvm": "rtl8139", "xen_hvm": "rtl8139", "virtualbox": "e1000"}

# Windows driver packages: INF names in the driver store, provider names that tell packages apart when
# several share an INF name, the licence and where they come from.
WINDOWS_PACKAGES = {
    "netkvm": {
        "model": "virtio",
        "name": "virtio-win NetKVM",
        "license": "BSD-3-Clause",
        "infs": ("netkvm.inf",),
        "providers": (),
        "source": "virtio-win (https://github.com/virtio-win/kvm-guest-drivers-windows)",
    },
    "xenproject_pv": {
        "model": "xen_pv",
        "name": "Xen Project PV drivers (xenbus, xenvif, xennet)",
        "license": "BSD-2-Clause",
        "infs": ("xennet.inf",),
        "providers": ("xen project",),
        "source": "Xen Project Windows PV drivers (https://xenproject.org/windows-pv-drivers/)",
    },
    "gplpv": {
        "model": "xen_pv",
        "name": "GPLPV",
        "license": "GPL-2.0-or-later",
        "infs": ("xennet.inf",),
        "providers": ("james harper", "gplpv"),
        "source": "GPLPV by James Harper",
    },
    "windows_inbox_e1000e": {
        "model": "e1000e",
        "name": "Intel 82574L driver shipped with Windows (in-box since Windows 8 / Server 2012)",
        "license": "LicenseRef-Microsoft-Windows",
        "infs": (),
        "providers": (),
        "inbox_since": (6, 2),
        "source": "Windows",
        "installable": False,
    },
    "intel_proset": {
        "model": "e1000",
        "name": "Intel PRO/1000 network driver (PROSet)",
        "license": INTEL_LICENSE,
        # INF names differ by Windows and driver release: PRO/1000 (82540EM) e1g*/e1000*, 82574L e1q*/e1c*/e1i*.
        "model_infs": {"e1000": ("e1g*.inf", "e1000*.inf"), "e1000e": ("e1q*.inf", "e1c*.inf", "e1i*.inf")},
        "providers": ("intel",),
        "source": "Intel",
        "intel": True,
    },
    "realtek_rtl8139": {
        "model": "rtl8139",
        "name": "Realtek RTL8139 driver",
        "license": "LicenseRef-Realtek",
        "infs": ("netrtl.inf", "netrtl32.inf", "netrtl64.inf", "rtl8139.inf"),
        "providers": (),
        "source": "Windows (up to Windows 7) or Realtek",
        "installable": False,
    },
    "vmware_vmxnet3": {
        "model": "vmxnet3",
        "name": "VMware vmxnet3 driver (VMware Tools)",
        "license": "LicenseRef-VMware-Tools",
        "infs": ("vmxnet3.inf", "vmxnet3ndis6.inf"),
        "providers": ("vmware",),
        "source": "VMware Tools",
    },
}

# libvirt interface types whose NIC is a passed-through device (no emulated model), and those that
# work only with a virtio front end.
NO_MODEL_INTERFACE_TYPES = ("hostdev",)
VIRTIO_ONLY_INTERFACE_TYPES = ("vhostuser", "vdpa")

# QEMU devices libvirt uses for its model names where they differ (per address type).
_QEMU_DEVICES = {
    ("virtio", None): "virtio-net-pci",
    ("virtio", "pci"): "virtio-net-pci",
    ("virtio", "ccw"): "virtio-net-ccw",
    ("virtio", "virtio-mmio"): "virtio-net-device",
    ("virtio-transitional", None): "virtio-net-pci-transitional",
    ("virtio-non-transitional", None): "virtio-net-pci-non-transitional",
}


def _build():
    by_name = {}
    lookup = {}
    for entry in _MODELS:
        name = entry["name"]
        by_name[name] = entry
        for alias in (name, *entry.get("aliases", ())):
            lookup[alias.lower()] = name
        for written in entry.get("names", {}).values():
            for alias in written:
                lookup.setdefault(alias.lower(), name)
    return by_name, lookup


_BY_NAME, _LOOKUP = _build()
MODELS = tuple(entry["name"] for entry in _MODELS)


def canonical(name):
    """The canonical model for ``name`` (any alias or platform spelling, any case), or None when unknown."""
    if name is None:
        return None
    return _LOOKUP.get(str(name).strip().lower())


def normalise(name):
    """The canonical model for ``name``; NicTuneError naming the known models when it is unknown."""
    found = canonical(name)
    if found is None:
        raise NicTuneError("unknown NIC model %r; known: %s" % (name, ", ".join(MODELS)))
    return found


def entry(model):
    """The catalogue entry of canonical ``model`` (a dict; do not change it)."""
    return _BY_NAME[model]


def family(model):
    """The model whose guest drivers ``model`` uses (itself for most)."""
    return _BY_NAME[model].get("family", model) if model in _BY_NAME else model


@functools.lru_cache(maxsize=None)  # the catalogue never changes; asked once per NIC written
def platform_names(platform):
    """Every name ``platform`` writes for a model, in catalogue order (what its configs may hold)."""
    out = []
    for item in _MODELS:
        for written in item.get("names", {}).get(platform, ()):
            if written not in out:
                out.append(written)
    return tuple(out)


def platform_models(platform):
    """The canonical models ``platform`` offers, in catalogue order."""
    return tuple(item["name"] for item in _MODELS if platform in item.get("names", {}))


def written_name(model, platform):
    """What ``platform`` writes for canonical ``model`` (None for Xen's PV NIC, which has no model name)."""
    names = _BY_NAME[model].get("names", {}).get(platform)
    if names is None:
        raise NicTuneError("model %s is not offered on %s" % (model, platform))
    return names[0] if names else None


def from_platform(platform, written):
    """The canonical model of a name as ``platform`` writes it (case as the platform compares it), or None."""
    if written is None:
        return None
    text = str(written).strip()
    for item in _MODELS:
        names = item.get("names", {}).get(platform, ())
        if text in names or (platform != "virtualbox" and text.lower() in [n.lower() for n in names]):
            return item["name"]
    return None


def xen_documented_names():
    """The ``model=`` names Xen itself documents for HVM guests (xl.cfg(5)); the others are QEMU devices."""
    return tuple(item["names"]["xen_hvm"][0] for item in _MODELS if item.get("xen_documented"))


def ranking(platform):
    """Models of ``platform`` best first (a list); NicTuneError for an unknown platform."""
    if platform not in RANKINGS:
        raise NicTuneError("no ranking for platform %r; known: %s" % (platform, ", ".join(RANKINGS)))
    return list(RANKINGS[platform])


def multiqueue(platform):
    """``{"name", "model"}`` of the multi-queue candidate ``platform`` can write, or None where it has none."""
    found = MULTIQUEUE.get(platform)
    return dict(found) if found else None


def multiqueue_model(candidate):
    """The model of the multi-queue candidate named ``candidate`` (on any platform), or None for another name."""
    for found in MULTIQUEUE.values():
        if found["name"] == candidate:
            return found["model"]
    return None


def default_offered(platform):
    return list(DEFAULT_OFFERED.get(platform, ()))


def linux_driver(model):
    """``{"needs", "also", "ethtool", "note"}`` of the kernel driver for ``model`` (via its family), or None."""
    found = _BY_NAME.get(family(model), {}).get("linux")
    if found is None:
        return None
    return {
        "needs": list(found["needs"]),
        "also": list(found.get("also", ())),
        "ethtool": list(found.get("ethtool", ())),
        "note": found.get("note"),
    }


def linux_modules(models=None):
    """Every kernel module the catalogue names for ``models`` (default: the guest models), each once."""
    names = []
    for model in models or GUEST_MODELS:
        driver = linux_driver(model)
        for mod in (driver["needs"] + driver["also"]) if driver else ():
            if mod not in names:
                names.append(mod)
    return names


def ethtool_drivers(models=None):
    """The driver names ethtool shows for the NICs of ``models`` (default: the guest models), each once."""
    names = []
    for model in models or GUEST_MODELS:
        driver = linux_driver(model)
        for name in driver["ethtool"] if driver else ():
            if name not in names:
                names.append(name)
    return names


def windows_candidates(model):
    """Windows driver packages (keys of WINDOWS_PACKAGES) that can drive ``model``, preferred first."""
    return list(_BY_NAME.get(family(model), {}).get("windows", ()))


def installable_windows_packages():
    return tuple(key for key, pkg in WINDOWS_PACKAGES.items() if pkg.get("installable", True))


def buses(model):
    """Address types ``model`` can sit on (``pci`` for most)."""
    return tuple(_BY_NAME.get(model, {}).get("buses", ("pci",)))


def models_for_address(address_type):
    """The models an ``<address type=...>`` tied to one bus accepts, or None when any PCI model will do."""
    if address_type in (None, "pci", "drive"):
        return None
    accepted = tuple(item["name"] for item in _MODELS if address_type in item.get("buses", ()))
    return accepted or None


def is_virtio(model):
    return family(model) == "virtio"


def qemu_device(model, address_type=None):
    """The QEMU device libvirt uses for its ``model`` (on ``address_type``)."""
    return _QEMU_DEVICES.get((model, address_type)) or _QEMU_DEVICES.get((model, None)) or model


def libvirt_name_of_device(device):
    """The libvirt model name for a QEMU NIC device (None for devices libvirt reaches under another name)."""
    for (model, _address), qemu in _QEMU_DEVICES.items():
        if qemu == device:
            return model
    if device.startswith("virtio-net") or device == "e1000-82540em":
        return None
    return device


def describe():
    """The catalogue as data (for docs and for the roles): one dict per model."""
    out = []
    for item in _MODELS:
        out.append(
            {
                "name": item["name"],
                "title": item["title"],
                "aliases": list(item.get("aliases", ())),
                "names": {k: list(v) for k, v in item.get("names", {}).items()},
                "family": family(item["name"]),
                "linux": linux_driver(item["name"]),
                "windows": windows_candidates(item["name"]),
                "buses": list(buses(item["name"])),
            }
        )
    return out


# VirtualBox: the adapter type its settings reader takes for an <Adapter> without a ``type`` attribute depends on
# the settings version of the file (VirtualBox's src/VBox/Main/xml/Settings.cpp, readNetworkAdapters): the
# PCnet-FAST III (Am79C973) from settings 1.16 (VirtualBox 5.1) on, the PCnet-PCI II (Am79C970A) before. That is
# not the type a new VM gets: VirtualBox gives a new VM the adapter of its guest OS type (the 82540EM, e1000, for
# most: PLATFORM_DEFAULTS) and writes it out. Newest settings version first.
VIRTUALBOX_UNWRITTEN_TYPES = (((1, 16), "Am79C973"), ((0, 0), "Am79C970A"))

# Adapter types VirtualBox 7 also reads and offers (ISA cards for very old guests) that have no model in this
# catalogue: a file holding them is valid; they are reported as they are and never written.
VIRTUALBOX_UNCATALOGUED_TYPES = ("NE1000", "NE2000", "WD8003", "WD8013", "3C503", "3C501")


def virtualbox_unwritten_type(version):
    """The adapter type VirtualBox reads for an ``<Adapter>`` without ``type`` in a file of settings ``version``.

    ``version`` is ``(major, minor)`` from the ``version`` attribute of ``<VirtualBox>`` (``1.12-linux``: (1, 12)).
    """
    for since, written in VIRTUALBOX_UNWRITTEN_TYPES:
        if tuple(version) >= since:
            return written
    return VIRTUALBOX_UNWRITTEN_TYPES[-1][1]


# -- model names as the ``model`` option gives them: one rule for every backend -----------------------------------

MODEL_NAME_MAX = 64
_MODEL_NAME_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_MODEL_NAME_CHARS = frozenset(_MODEL_NAME_FIRST + "_.-")
# What a platform refuses beyond the common rule (libvirt: "Model name contains invalid characters").
_MODEL_NAME_REFUSED = {"kvm": (".", "libvirt accepts letters, digits, '_' and '-' only")}
PLATFORM_LABELS = {"kvm": "libvirt", "xen_hvm": "Xen HVM guests", "proxmox": "Proxmox VE", "virtualbox": "VirtualBox"}
_UNKNOWN_MODEL_OUTCOME = {
    "kvm": "libvirt passes it to QEMU as given, and QEMU refuses an unknown model only when the domain starts",
    "xen_hvm": "libxl passes it to QEMU as given, and QEMU may refuse it at xl create",
}


def check_model_name(model, platform=None):
    """The one rule for a model name given to any backend; returns ``model`` or raises NicTuneError.

    1 to 64 ASCII letters, digits, ``_``, ``.`` and ``-``, starting with a letter or a digit. The name is never
    stripped or re-cased here: ``"e1000\\n"`` is refused, not read as ``e1000``. ``platform`` adds what that
    platform refuses on top (libvirt: ``.``).
    """
    text = model if isinstance(model, str) else None
    problem = None
    if not text:
        problem = "it is empty" if text == "" else "it is not a string"
    elif len(text) > MODEL_NAME_MAX:
        problem = "it is longer than %d characters" % MODEL_NAME_MAX
    elif text[0] not in _MODEL_NAME_FIRST or not set(text) <= _MODEL_NAME_CHARS:
        problem = "use ASCII letters, digits, '_', '.' and '-' only, starting with a letter or digit"
    else:
        refused, why = _MODEL_NAME_REFUSED.get(platform, ("", ""))
        if set(text) & set(refused):
            problem = why
    if problem:
        raise NicTuneError("model %r is not a usable NIC model name: %s" % (model, problem))
    return text


def unknown_model_warning(model, platform):
    """The warning every backend gives when it writes a model name ``platform`` does not know, or None.

    libvirt compares its known names without regard to case; the other platforms compare them as written.
    """
    names = platform_names(platform)
    if model in names or (platform == "kvm" and str(model).lower() in [name.lower() for name in names]):
        return None
    label = PLATFORM_LABELS.get(platform, platform)
    same = canonical(model)
    if same is not None and _BY_NAME[same].get("names", {}).get(platform):
        return "model %r is another platform's name for %s; for %s write %s (and make sure the guest has a driver)" % (
            model,
            _BY_NAME[same]["title"],
            label,
            written_name(same, platform),
        )
    outcome = _UNKNOWN_MODEL_OUTCOME.get(platform, "it is written as given and may be refused when the guest starts")
    if platform == "xen_hvm":
        documented = xen_documented_names()
        return "model %r is not one Xen documents for HVM guests (%s) nor a known QEMU NIC (%s); %s" % (
            model,
            ", ".join(documented),
            ", ".join(name for name in names if name not in documented),
            outcome,
        )
    return "model %r is not a NIC model the catalogue knows for %s (%s); %s" % (model, label, ", ".join(names), outcome)
