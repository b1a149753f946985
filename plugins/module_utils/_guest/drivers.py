# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which NIC models a guest can drive, what must be installed for the others, what the licences allow.

Pure Python (no Ansible imports), used by the ``guest_drivers_decide`` filter and the ``guest_drivers`` role.

* ``MODELS``: the NIC models judged by default (the model catalogue's guest models; ``xen_pv`` is Xen's
  paravirtual vif). Drivers, packages and licences come from the catalogue (``.._common.models``).
* ``linux_facts(...)`` / ``windows_facts(...)``: build the facts ``decide`` reads from raw command output.
* ``decide(facts, ...)``: the per-guest result, stored by the role as ``guest_drivers_result``.
"""

from __future__ import annotations

import fnmatch
import re

from .._common import models as _models
from .._common.errors import NicTuneError

MODELS = _models.GUEST_MODELS
FREE_LICENSES = _models.FREE_LICENSES
INTEL_LICENSE = _models.INTEL_LICENSE
KERNEL_LICENSE = _models.KERNEL_LICENSE
WINDOWS_DRIVERS = _models.WINDOWS_PACKAGES
# What a user-supplied installer may install (guest_drivers_windows_packages[].driver).
INSTALLABLE_DRIVERS = _models.installable_windows_packages()
INTEL_CLAUSE = (
    "use of the Software is permitted only in conjunction with Intel component products; "
    "an emulated NIC (QEMU/Xen e1000, e1000e) is not an Intel component product"
)

_ACK_NOTE = (
    "guest_drivers_intel_license_acknowledged is true; Intel's licence permits use only in conjunction with "
    "Intel component products"
)
FREE_ALTERNATIVE = (
    "prefer virtio with virtio-win NetKVM (BSD-3-Clause) on KVM/QEMU, or the Xen Project PV drivers "
    "(BSD-2-Clause) or GPLPV (GPL-2.0-or-later) on Xen, to Intel's driver on an emulated e1000"
)

_MODULE_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def normalise_model(name):
    """The canonical model name for ``name`` (e.g. ``vif`` -> ``xen_pv``); NicTuneError when unknown."""
    return _models.normalise(name)


def normalise_module(name):
    """Module names compare with ``-`` and ``_`` equal, as in modprobe: ``xen-netfront`` -> ``xen_netfront``."""
    return str(name).strip().replace("-", "_")


def linux_module_names():
    """Every kernel module the catalogue mentions (what the role asks ``modinfo`` about)."""
    return _models.linux_modules()


def parse_modules_builtin(text):
    """Module names from ``/lib/modules/$(uname -r)/modules.builtin`` (one ``kernel/.../name.ko`` a line)."""
    out = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        base = line.rsplit("/", 1)[-1]
        if base.endswith(".ko"):
            base = base[: -len(".ko")]
        out.append(normalise_module(base))
    return out


def linux_facts(modinfo, builtin_text="", kernel=None):
    """Facts for ``decide`` on a Linux guest.

    ``modinfo``: ``{module: rc or result}`` where a result is a dict with ``rc`` and ``stdout`` of
    ``modinfo -n MODULE`` (as registered by a looped command task) or the rc itself; rc 0 means found.
    ``modinfo -n`` prints ``(builtin)`` for a module built into the kernel (kmod 28+ with
    modules.builtin.modinfo); ``builtin_text`` (the content of modules.builtin) covers older kmod.
    """
    modules = {}
    builtin = set(parse_modules_builtin(builtin_text))
    for name, result in (modinfo or {}).items():
        if isinstance(result, dict):
            rc = result.get("rc")
            out = str(result.get("stdout") or "").strip()
        else:
            rc, out = result, ""
        key = normalise_module(name)
        if rc == 0 and out == "(builtin)":
            builtin.add(key)
        modules[key] = rc == 0
    return {"system": "Linux", "kernel": kernel, "modules": modules, "builtin": sorted(builtin)}


def parse_pnputil(text):
    """Driver store entries from ``pnputil /enum-drivers`` (English output; one block per driver)."""
    drivers = []
    current = {}
    keys = {
        "published name": "published",
        "original name": "inf",
        "provider name": "provider",
        "class name": "class",
        "driver version": "version",
    }
    for line in (text or "").splitlines():
        if ":" not in line:
            if current:
                drivers.append(current)
                current = {}
            continue
        label, _sep, value = line.partition(":")
        key = keys.get(label.strip().lower())
        if key is None:
            continue
        if key == "published" and current:
            drivers.append(current)
            current = {}
        current[key] = value.strip()
    if current:
        drivers.append(current)
    return [_driver_entry(d) for d in drivers if d.get("inf") or d.get("published")]


def _driver_entry(raw):
    inf = str(raw.get("inf") or raw.get("OriginalFileName") or raw.get("published") or "")
    inf = re.split(r"[\\/]", inf)[-1].lower()
    inbox = raw.get("inbox", raw.get("Inbox", False))
    if isinstance(inbox, str):
        inbox = inbox.strip().lower() in ("true", "yes", "1")
    return {
        "inf": inf,
        "provider": str(raw.get("provider") or raw.get("ProviderName") or ""),
        "class": str(raw.get("class") or raw.get("ClassName") or ""),
        "version": str(raw.get("version") or raw.get("Version") or ""),
        "inbox": bool(inbox),
    }


def parse_windows_version(version):
    """``(major, minor, build)`` from ``10.0.17763``, ``6.1.7601.65536`` or ``6.2``; NicTuneError otherwise."""
    parts = re.findall(r"\d+", str(version or ""))
    if len(parts) < 2:
        raise NicTuneError("Windows version must look like MAJOR.MINOR[.BUILD], got %r" % (version,))
    build = int(parts[2]) if len(parts) > 2 else 0
    return (int(parts[0]), int(parts[1]), build)


def normalise_arch(arch):
    """``amd64`` / ``x86`` / ``arm64`` from Ansible's or Windows' spellings (``64-bit``, ``x86_64``, ``AMD64``)."""
    text = str(arch or "").strip().lower()
    if text in ("64-bit", "x86_64", "amd64", "x64"):
        return "amd64"
    if text in ("32-bit", "x86", "i386", "i686"):
        return "x86"
    if text in ("arm64", "aarch64", "arm 64-bit processor"):
        return "arm64"
    return text or None


def windows_facts(version, drivers, architecture=None, current_models=None):
    """Facts for ``decide`` on a Windows guest.

    ``drivers``: the driver store, as parsed by ``parse_pnputil`` or as ``Get-WindowsDriver -Online -All``
    objects (OriginalFileName, ProviderName, ClassName, Inbox). ``current_models``: models of the NICs the
    guest runs on now (a driver is evidently there for those).
    """
    return {
        "system": "Windows",
        "version": ".".join(str(p) for p in parse_windows_version(version)),
        "architecture": normalise_arch(architecture),
        "drivers": [_driver_entry(d) for d in drivers or []],
        "current_models": [normalise_model(m) for m in current_models or []],
    }


def _system_of(facts):
    system = str(facts.get("system") or facts.get("os_family") or "").strip().lower()
    if system == "linux":
        return "Linux"
    if system == "windows":
        return "Windows"
    raise NicTuneError("facts.system must be Linux or Windows, got %r" % (facts.get("system"),))


def _target_models(target_models):
    if target_models is None:
        return list(MODELS)
    if isinstance(target_models, str):
        target_models = [target_models]
    out = []
    for name in target_models:
        model = normalise_model(name)
        if model not in out:
            out.append(model)
    return out


def _new_result(system, models):
    return {
        "os_family": system,
        "models_considered": models,
        "supported_models": [],
        "supported_after_install": [],
        "installed": [],
        "installable": [],
        "missing": [],
        "refused": [],
        "marked": [],
        "recommendations": [],
        "models": {},
    }


def _decide_linux(facts, models, result):
    known = {normalise_module(k): bool(v) for k, v in (facts.get("modules") or {}).items()}
    builtin = {normalise_module(m) for m in facts.get("builtin") or []}

    def present(mod):
        return known.get(mod, False) or mod in builtin

    for mod in linux_module_names():
        if present(mod) and mod not in result["installed"]:
            result["installed"].append(mod)
    for model in models:
        entry = _models.linux_driver(model) or {"needs": [], "also": [], "note": None}
        if not entry["needs"]:
            result["missing"].append({"model": model, "driver": None, "reason": "no Linux driver is known for it"})
            result["models"][model] = {
                "supported": False,
                "driver": None,
                "license": None,
                "present": [],
                "action": "missing",
            }
            continue
        lacking = [m for m in entry["needs"] if not present(m)]
        detail = {
            "supported": not lacking,
            "driver": "+".join(entry["needs"]),
            "license": KERNEL_LICENSE,
            "present": [m for m in entry["needs"] + entry["also"] if present(m)],
            "action": "none" if not lacking else "missing",
        }
        if not lacking:
            result["supported_models"].append(model)
        else:
            reason = "kernel module %s not found by modinfo and not built into kernel %s" % (
                ", ".join(lacking),
                facts.get("kernel") or "(unknown)",
            )
            if entry["note"] and any(present(a) for a in entry["also"]):
                reason += "; only %s is there: %s" % (", ".join(a for a in entry["also"] if present(a)), entry["note"])
            result["missing"].append(
                {
                    "model": model,
                    "driver": "+".join(entry["needs"]),
                    "reason": reason,
                    "install": "a kernel (or the kernel's module package) that has %s" % ", ".join(lacking),
                }
            )
        result["models"][model] = detail
    if "virtio" in models and "virtio" not in result["supported_models"]:
        result["recommendations"].append(
            "virtio is the fastest model on KVM/QEMU: install a kernel that has virtio_net and virtio_pci"
        )
    return result


def _store_has(entry, drivers, model):
    """The driver store entry matching catalogue ``entry`` for ``model``, or None (INF names may be patterns)."""
    infs = (entry.get("model_infs") or {}).get(model) or entry.get("infs") or []
    providers = entry.get("providers") or []
    for drv in drivers:
        if not any(fnmatch.fnmatchcase(drv["inf"], pattern) for pattern in infs):
            continue
        if providers and not any(p in drv["provider"].lower() for p in providers):
            continue
        return drv
    return None


def _installer_for(driver_id, installers, arch):
    for inst in installers:
        if inst.get("driver") != driver_id:
            continue
        inst_arch = normalise_arch(inst.get("architecture")) if inst.get("architecture") else None
        if inst_arch in (None, "any") or arch is None or inst_arch == arch:
            return inst
    return None


def _decide_windows(facts, models, result, accepted, intel_ack, installers):
    version = parse_windows_version(facts.get("version"))
    arch = normalise_arch(facts.get("architecture"))
    drivers = [_driver_entry(d) for d in facts.get("drivers") or []]
    current = [normalise_model(m) for m in facts.get("current_models") or []]
    for inst in installers:
        if inst.get("driver") not in INSTALLABLE_DRIVERS:
            raise NicTuneError(
                "installer %r: unknown driver %r; known: %s"
                % (inst.get("name") or inst.get("source"), inst.get("driver"), ", ".join(INSTALLABLE_DRIVERS))
            )
    intel_refused = False
    for model in models:
        detail = {"supported": False, "driver": None, "license": None, "present": [], "action": "missing"}
        result["models"][model] = detail
        candidates = _models.windows_candidates(model)
        if not candidates:
            result["missing"].append({"model": model, "driver": None, "reason": "no Windows driver is known for it"})
            continue
        found = None
        for driver_id in candidates:
            entry = WINDOWS_DRIVERS[driver_id]
            since = entry.get("inbox_since")
            if since is not None and version[:2] >= since:
                found = (driver_id, {"inf": "(in-box)", "provider": "Microsoft", "inbox": True})
                break
            drv = _store_has(entry, drivers, model)
            if drv is not None:
                found = (driver_id, drv)
                break
        if found is None and model in current:
            found = (candidates[0], {"inf": "(driving the current NIC)", "provider": "", "inbox": False})
        if found is not None:
            driver_id, drv = found
            entry = WINDOWS_DRIVERS[driver_id]
            detail.update(driver=driver_id, license=entry["license"], present=[drv["inf"]], action="none")
            if driver_id not in result["installed"]:
                result["installed"].append(driver_id)
            if entry.get("intel") and not drv.get("inbox"):
                if not intel_ack:
                    intel_refused = True
                    detail["action"] = "refused"
                    result["refused"].append(
                        {
                            "model": model,
                            "driver": driver_id,
                            "license": entry["license"],
                            "reason": "Intel's driver is installed (%s), but its licence allows use only in "
                            "conjunction with Intel component products: %s; set "
                            "guest_drivers_intel_license_acknowledged to use it anyway" % (drv["inf"], INTEL_CLAUSE),
                        }
                    )
                    continue
                result["marked"].append(
                    {
                        "model": model,
                        "driver": driver_id,
                        "license": entry["license"],
                        "reason": "Intel driver on an emulated NIC, used because " + _ACK_NOTE,
                    }
                )
            elif entry.get("intel"):
                result["marked"].append(
                    {
                        "model": model,
                        "driver": driver_id,
                        "license": "LicenseRef-Microsoft-Windows",
                        "reason": "Intel driver shipped in-box with Windows (%s): covered by the Windows licence, "
                        "not installed by this role" % drv["inf"],
                    }
                )
            detail["supported"] = True
            result["supported_models"].append(model)
            continue

        # Nothing drives this model now: what could be installed, and may it be?
        chosen = None
        reasons = []
        for driver_id in candidates:
            entry = WINDOWS_DRIVERS[driver_id]
            if entry.get("inbox_since") is not None:
                reasons.append(
                    "%s is in-box only from NT %d.%d (this is %d.%d)"
                    % (entry["name"], entry["inbox_since"][0], entry["inbox_since"][1], version[0], version[1])
                )
                continue
            if entry.get("installable") is False:
                reasons.append("%s is not installed and this role does not install it" % entry["name"])
                continue
            if entry.get("intel"):
                if not intel_ack:
                    intel_refused = True
                    result["refused"].append(
                        {
                            "model": model,
                            "driver": driver_id,
                            "license": entry["license"],
                            "reason": "not licensed for an emulated NIC: Intel's licence allows use only in "
                            "conjunction with Intel component products (%s); set "
                            "guest_drivers_intel_license_acknowledged: true to install it anyway" % INTEL_CLAUSE,
                        }
                    )
                    reasons.append("%s refused (licence)" % entry["name"])
                    continue
            elif entry["license"] not in accepted:
                result["refused"].append(
                    {
                        "model": model,
                        "driver": driver_id,
                        "license": entry["license"],
                        "reason": "licence %s is not in guest_drivers_accepted_licenses (%s)"
                        % (entry["license"], ", ".join(accepted) or "none"),
                    }
                )
                reasons.append("%s refused (licence %s)" % (entry["name"], entry["license"]))
                continue
            inst = _installer_for(driver_id, installers, arch)
            if inst is None:
                reasons.append(
                    "no installer supplied for %s (guest_drivers_windows_packages, driver: %s%s)"
                    % (entry["name"], driver_id, ", architecture %s" % arch if arch else "")
                )
                continue
            chosen = (driver_id, entry, inst)
            break
        if chosen is not None:
            driver_id, entry, inst = chosen
            detail.update(driver=driver_id, license=entry["license"], action="install")
            result["installable"].append(
                {
                    "model": model,
                    "driver": driver_id,
                    "name": inst.get("name") or entry["name"],
                    "license": entry["license"],
                    "source": inst.get("source"),
                    "installer": inst,
                }
            )
            result["supported_after_install"].append(model)
            if entry.get("intel"):
                result["marked"].append(
                    {
                        "model": model,
                        "driver": driver_id,
                        "license": entry["license"],
                        "reason": "Intel driver to be installed for an emulated NIC because " + _ACK_NOTE,
                    }
                )
        else:
            if any(r.get("model") == model for r in result["refused"]):
                detail["action"] = "refused"
            detail["driver"] = candidates[0]
            detail["license"] = WINDOWS_DRIVERS[candidates[0]]["license"]
            result["missing"].append({"model": model, "driver": candidates[0], "reason": "; ".join(reasons)})
    if intel_refused or any(m["driver"] == "intel_proset" and m["license"] == INTEL_LICENSE for m in result["marked"]):
        result["recommendations"].append(FREE_ALTERNATIVE)
    return result


def decide(
    facts, accepted_licenses=None, intel_license_acknowledged=False, available_installers=None, target_models=None
):
    """The ``guest_drivers_result`` of one guest.

    ``facts``: from ``linux_facts`` or ``windows_facts`` (or the same keys built by hand).
    ``accepted_licenses``: SPDX ids the user accepts for drivers this role installs (default: FREE_LICENSES).
    ``intel_license_acknowledged``: allow Intel's driver on an emulated NIC (it is still marked).
    ``available_installers``: the user's Windows installers, dicts with ``driver`` (a WINDOWS_DRIVERS key),
    ``source`` and optional ``name`` and ``architecture``.
    ``target_models``: the models to judge (default: every model of MODELS).

    Returns a dict: ``os_family``, ``supported_models`` (drivable now), ``supported_after_install``,
    ``installed`` (drivers present now), ``installable`` [{model, driver, name, license, source, installer}],
    ``missing`` [{model, driver, reason}], ``refused`` [{model, driver, license, reason}],
    ``marked`` [{model, driver, license, reason}], ``recommendations`` and ``models`` (per-model detail).
    """
    if not isinstance(facts, dict):
        raise NicTuneError("facts must be a dictionary, got %s" % type(facts).__name__)
    system = _system_of(facts)
    models = _target_models(target_models)
    if accepted_licenses is None:
        accepted = list(FREE_LICENSES)
    elif isinstance(accepted_licenses, str):
        accepted = [accepted_licenses]
    else:
        accepted = [str(x) for x in accepted_licenses]
    if INTEL_LICENSE in accepted:
        raise NicTuneError(
            "%s cannot be accepted through guest_drivers_accepted_licenses: Intel's driver on an emulated NIC "
            "needs guest_drivers_intel_license_acknowledged: true" % INTEL_LICENSE
        )
    installers = list(available_installers or [])
    if not all(isinstance(i, dict) for i in installers):
        raise NicTuneError("available_installers must be a list of dictionaries")
    result = _new_result(system, models)
    if system == "Linux":
        result["kernel"] = facts.get("kernel")
        return _decide_linux(facts, models, result)
    result["windows_version"] = ".".join(str(p) for p in parse_windows_version(facts.get("version")))
    result["architecture"] = normalise_arch(facts.get("architecture"))
    return _decide_windows(facts, models, result, accepted, bool(intel_license_acknowledged), installers)
