# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade's decisions, as plain Python (no Ansible imports):

* ``platform_of(domain)``: which ranking applies to a domain found by nic_model_info;
* ``find_domain(audit, ...)``: a guest's domain in its hypervisor's audit;
* ``plan_guest(...)``: the target model of one guest and why;
* ``guest_record(...)``: the guest's record through the upgrade: the plan and everything needed to switch;
* ``switch_method(...)``: whether the switch may go live (no restart) or must be cold, and why;
* ``findings(...)``: what the guest's hypervisor should fix for its virtio NICs (no vhost-net back end);
* ``compare(...)``: whether a guest's throughput after the switch is acceptable.
"""

from __future__ import annotations

from .._common import models as _models
from .._common.errors import NicTuneError


def platform_of(domain):
    """``kvm``, ``xen_hvm``, ``xen_pv``, ... or None for a domain dict from nic_model_info."""
    if domain.get("platform"):
        return domain["platform"]
    backend = domain.get("backend")
    if backend == "proxmox":
        return "proxmox"
    if backend == "xen":
        return "xen_hvm" if domain.get("guest_type") == "hvm" else "xen_pv"
    if backend in ("libvirt", "libvirt_xml"):
        if domain.get("domain_type") == "xen":
            return "xen_hvm" if domain.get("guest_type") == "hvm" else "xen_pv"
        return "kvm"
    return None


def _current_model(domain, nic_index):
    nics = [
        n
        for n in domain.get("nics") or []
        if (nic_index is None or n.get("index") == nic_index) and n.get("enabled", True) is not False
    ]
    if not nics:
        return None
    nic = nics[0]
    if domain.get("backend") == "xen" and nic.get("type") == "vif":
        return "xen_pv"
    return _models.canonical(nic.get("model")) or nic.get("model")


def _guest_models(supported):
    if supported is None:
        return None
    return [_models.canonical(m) or str(m).lower() for m in supported]


def plan_guest(name, domain, supported=None, pinned=None, offered=None, ranking=None, readiness_gate=True):
    """Decide the target model of guest ``name`` living in ``domain``.

    ``supported``: models the guest can drive (guest_drivers_result.supported_models), None when unknown.
    ``pinned``: the inventory's nic_model_target. ``offered``: models the hypervisor offers (default: the
    platform's usual set). With ``readiness_gate`` false, what the guest can drive is ignored (for tests of
    the rollback path). Returns a dict: name, platform, current_model, target_model, action
    (``switch``/``keep``/``skip``) and reason.
    """
    out = {"name": name, "platform": None, "current_model": None, "target_model": None}
    if not domain:
        return dict(out, action="skip", reason="domain not found on its hypervisor")
    platform = platform_of(domain)
    current = _current_model(domain, None)
    out.update(platform=platform, current_model=current, domain=domain.get("domain"))
    if platform == "xen_pv":
        return dict(out, action="skip", reason="Xen PV/PVH guest: its NICs are already paravirtual (netfront)")
    if platform not in _models.RANKINGS:
        return dict(out, action="skip", reason="unknown platform for backend %r" % domain.get("backend"))
    if current is None:
        return dict(out, action="skip", reason="guest has no NIC")
    order = [_models.canonical(m) or str(m).lower() for m in ranking] if ranking else _models.ranking(platform)
    offer = [_models.canonical(m) or str(m).lower() for m in (offered or _models.default_offered(platform))]
    drives = _guest_models(supported)
    gate = readiness_gate and drives is not None
    if pinned and str(pinned).strip().lower() in ("", "auto"):
        pinned = None  # "auto" is how an AWX survey says "choose for me"

    if pinned:
        target = _models.canonical(pinned) or str(pinned).lower()
        if target not in offer:
            return dict(out, action="skip", reason="pinned model %s is not offered by the hypervisor" % target)
        if gate and target not in drives:
            return dict(out, action="skip", reason="pinned model %s: the guest has no driver for it" % target)
        reason = "pinned by nic_model_target"
    else:
        candidates = [m for m in order if m in offer]
        usable = [m for m in candidates if not gate or m in drives]
        if not usable:
            return dict(out, action="skip", reason="the guest can drive none of %s" % ", ".join(candidates))
        target = usable[0]
        better = [m for m in candidates if order.index(m) < order.index(target)]
        if better and gate:
            reason = "best the guest can drive (no driver for %s)" % ", ".join(better)
        else:
            reason = "best model the hypervisor offers"
        if not readiness_gate:
            reason += "; readiness gate overridden"
    out["target_model"] = target
    if current == target:
        if not pinned and reason.startswith("best the guest can drive"):
            return dict(out, action="keep", reason="already on %s, the %s" % (target, reason))
        return dict(out, action="keep", reason="already on %s" % target)
    if not pinned and current in order and order.index(current) < order.index(target):
        return dict(out, action="keep", reason="current model %s ranks above %s" % (current, target))
    return dict(out, action="switch", reason=reason)


def check_threshold(threshold):
    """``nic_model_rollback_threshold`` as a float in [0, 1); NicTuneError naming the variable otherwise."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise NicTuneError("nic_model_rollback_threshold must be a number, got %r" % (threshold,))
    if not 0 <= value < 1:
        raise NicTuneError("nic_model_rollback_threshold must be between 0 and 1 (0.1 = 10%%), got %r" % value)
    return value


def compare(before, after, threshold):
    """Judge throughput after a switch against the baseline.

    ``before``/``after``: dicts with ``send_bps`` and ``receive_bps`` (None when not measured).
    ``threshold``: the largest acceptable relative drop (0.10 = 10%) in either direction.
    Returns {"ok": bool, "reason": str, "gain": {"send": ratio|None, "receive": ratio|None}}.
    """
    threshold = check_threshold(threshold)
    gain = {}
    problems = []
    for direction in ("send", "receive"):
        b = (before or {}).get(direction + "_bps")
        a = (after or {}).get(direction + "_bps")
        if not a:
            gain[direction] = None
            problems.append("%s: no measurement after the switch" % direction)
            continue
        if not b:
            gain[direction] = None
            continue
        ratio = float(a) / float(b)
        gain[direction] = round(ratio, 4)
        if ratio < 1 - threshold:
            problems.append(
                "%s fell by %.0f%% (%.0f -> %.0f Mbit/s), more than the %.0f%% allowed"
                % (direction, (1 - ratio) * 100, float(b) / 1e6, float(a) / 1e6, threshold * 100)
            )
    if problems:
        return {"ok": False, "reason": "; ".join(problems), "gain": gain, "threshold": threshold}
    return {"ok": True, "reason": "throughput kept or improved", "gain": gain, "threshold": threshold}


def find_domain(audit, domain=None, config_path=None):
    """The entry of ``audit`` (nic_model_info's ``domains``) for a guest: by its config path as the hypervisor
    resolved it (``path`` or ``realpath``) when ``config_path`` is given, else by domain name; None when absent."""
    for entry in audit or []:
        if config_path:
            if config_path in (entry.get("path"), entry.get("realpath")):
                return entry
        elif domain is not None and entry.get("domain") == domain:
            return entry
    return None


# What the switch needs from the audit entry, copied into the record (and what the choice by measuring groups by).
_SWITCH_FIELDS = (
    "backend",
    "uri",
    "path",
    "vmid",
    "node",
    "uuid",
    "state",
    "machine",
    "guest_type",
    "domain_type",
    "vcpus",
    "nics",
    "hotplug_network",
)

# The fixes the findings name (kept here once: the plan report and the final report show them as they are).
FIX_VHOST_NET = (
    "on the hypervisor, load the module now and at every boot: modprobe vhost_net; "
    "echo vhost_net > /etc/modules-load.d/vhost_net.conf; then cold-restart the guest "
    "(libvirt opens /dev/vhost-net when the domain starts)"
)
FIX_USERSPACE_DRIVER = (
    "remove name='qemu' from the NIC's <driver> (libvirt then uses vhost-net where the host offers it; "
    "or write name='vhost' to require it), then cold-restart the guest"
)
FIX_SOFTWARE_EMULATION = (
    "run the domain as <domain type='kvm'> on a host whose CPU offers hardware virtualisation (vmx or svm) "
    "and has /dev/kvm and vhost_net"
)


def _virtio_nics(entry, record):
    """The domain's NICs that are virtio now, or will be after the planned switch."""
    target = record.get("target_model") if record.get("action") == "switch" else None
    out = []
    for nic in entry.get("nics") or []:
        now = _models.canonical(nic.get("model")) or nic.get("model")
        if (now and _models.is_virtio(now)) or (target and _models.is_virtio(target)):
            out.append(nic)
    return out


def _nic_name(nic):
    return "NIC %s%s" % (nic.get("index"), " (%s)" % nic["mac"] if nic.get("mac") else "")


def findings(entry, record, hypervisor=None):
    """What keeps the guest's virtio NICs (current or planned) off the in-kernel vhost-net back end, each as
    ``{"kind", "what", "fix"}``; an empty list when nothing does or the facts are not known.

    ``entry`` is the guest's domain in nic_model_info's audit (``domain_type``, ``host_vhost_net``, ``nics`` with
    ``backend_driver``), ``record`` the plan (``action``, ``target_model``). Only QEMU/KVM domains are judged:
    libvirt never uses vhost-net for a ``qemu`` (software emulation) domain; for a ``kvm`` domain it needs the
    ``vhost_net`` module and ``/dev/vhost-net`` on the host, and NICs that do not ask for QEMU's userspace back end
    (``<driver name='qemu'/>``).
    """
    if not entry or platform_of(entry) != "kvm":
        return []
    nics = _virtio_nics(entry, record)
    if not nics:
        return []
    where = " on %s" % hypervisor if hypervisor else ""
    if entry.get("domain_type") == "qemu":
        return [
            {
                "kind": "software_emulation",
                "what": "domain type qemu (software emulation)%s: libvirt never uses vhost-net for it, so its virtio "
                "NICs run in QEMU's userspace" % where,
                "fix": FIX_SOFTWARE_EMULATION,
            }
        ]
    if entry.get("domain_type") != "kvm":
        return []
    out = []
    host = entry.get("host_vhost_net") or {}
    missing = []
    if host.get("loaded") is False:
        missing.append("the vhost_net module is not loaded")
    if host and not host.get("device"):
        missing.append("/dev/vhost-net does not exist")
    if missing:
        out.append(
            {
                "kind": "vhost_net_missing",
                "what": "%s%s: virtio NICs run in QEMU's userspace" % (" and ".join(missing), where),
                "fix": FIX_VHOST_NET,
            }
        )
    for nic in nics:
        if nic.get("backend_driver") == "qemu":
            out.append(
                {
                    "kind": "userspace_backend",
                    "what": "%s asks for QEMU's userspace back end (<driver name='qemu'/>), not vhost-net"
                    % _nic_name(nic),
                    "fix": FIX_USERSPACE_DRIVER,
                }
            )
    return out


def switch_args(record, from_files):
    """The options of nictune.fleet.nic_model that select this guest's domain (and nothing else)."""
    backend = record.get("backend")
    if from_files and record.get("path"):
        return {"backend": backend, "path": [record["path"]]}
    if backend == "libvirt":
        return {"backend": backend, "uri": record.get("uri"), "domains": [record["domain"]]}
    if backend == "virtualbox":
        return {"backend": backend, "vms": [record.get("uuid") or record["domain"]]}
    if backend == "proxmox" and record.get("vmid") is not None:
        args = {"backend": backend, "vmids": [record["vmid"]]}
        if record.get("node"):
            args["node"] = record["node"]
        return args
    return None


def restart_args(record):
    """The options of nictune.fleet.domain_restart for this guest's domain; None where its backend has none."""
    backend = record.get("backend")
    if backend == "libvirt":
        return {"backend": backend, "uri": record.get("uri"), "domain": record["domain"]}
    if backend == "xen" and record.get("path"):
        return {"backend": backend, "domain": record["domain"], "config_path": record["path"]}
    if backend == "virtualbox":
        return {"backend": backend, "domain": record.get("uuid") or record["domain"]}
    if backend == "proxmox" and record.get("vmid") is not None:
        return {"backend": backend, "domain": record["domain"], "vmid": record["vmid"]}
    return None


SWITCH_METHODS = ("cold", "live", "auto")

# Why a backend switches cold only (the live path is the libvirt API's detach/attach).
_COLD_ONLY = {
    "xen": "xl cannot hot-plug an emulated NIC of an HVM guest (see docs/xen.md)",
    "virtualbox": "VirtualBox changes a NIC's adapter type only while the machine is off",
    "libvirt_xml": "the domain is changed through its XML file, which takes effect at the next start",
    "proxmox": "qemu-server decides itself: it swaps the NIC live where the VM's hotplug includes network",
}


def switch_method(record, wanted, hotplug):
    """``(apply, reason)``: the ``apply`` option of nictune.fleet.nic_model for this guest (``config``, ``live`` or
    ``auto``; None where the backend has no such option) and why, from ``wanted`` (the role's
    ``nic_model_switch``: cold, live or auto) and ``hotplug`` (guest_drivers_result.hotplug, None when the readiness
    gate is off). Raises NicTuneError where ``wanted`` is live and the guest cannot be switched live.
    """
    if wanted not in SWITCH_METHODS:
        raise NicTuneError("nic_model_switch must be one of %s, got %r" % (", ".join(SWITCH_METHODS), wanted))
    backend = (record.get("switch") or {}).get("backend") or record.get("backend")
    if (record.get("switch") or {}).get("path"):
        backend = "libvirt_xml" if backend in ("libvirt", "libvirt_xml") else backend
    if backend != "libvirt":
        why = _COLD_ONLY.get(backend, "backend %s has no live switch" % backend)
        if wanted == "live" and backend != "proxmox":
            raise NicTuneError("nic_model_switch is live, but %s" % why)
        return None, why
    if wanted == "cold":
        return "config", "nic_model_switch is cold"
    if hotplug is None:
        if wanted == "live":
            return "live", "nic_model_switch is live (the readiness gate is off: the guest was not asked)"
        return "config", "the readiness gate is off, so whether the guest takes a plugged NIC by itself is unknown"
    if not hotplug.get("ready"):
        why = "the guest would not bring a plugged NIC up by itself: %s" % (hotplug.get("reason") or "unknown")
        if wanted == "live":
            raise NicTuneError("nic_model_switch is live, but %s" % why)
        return "config", why
    return wanted, "the guest brings a plugged NIC up by itself (%s)" % (hotplug.get("reason") or "ready")


def _pinned(pinned):
    return bool(pinned) and str(pinned).strip().lower() not in ("", "auto")


CHOICES = ("ranked", "measured")


def guest_record(
    name,
    hypervisor,
    audit,
    domain=None,
    config_path=None,
    guest_os=None,
    method=None,
    hotplug=None,
    choice=None,
    class_name=None,
    trial_guest=None,
    **decide,
):
    """The guest's record: :func:`plan_guest`'s plan plus what the switch needs (backend, URI or config path,
    domain, NICs) taken from the hypervisor's ``audit`` (``{"uri", "path", "domains": [...]}``), with the options
    that select the domain for nictune.fleet.nic_model (``switch``) and nictune.fleet.domain_restart (``restart``),
    and, for a guest to switch, how (``apply`` and ``apply_reason``, see :func:`switch_method`; ``method`` is the
    role's nic_model_switch, default cold). A guest that cannot be switched the way ``method`` demands is skipped,
    with the reason.

    For the choice by measuring (:mod:`.choice`) the record also holds what the guest's class is made of:
    ``domain_type``, ``machine``, ``vcpus``, ``offered_models`` (what the plan took as offered),
    ``supported_models`` (what the guest drives, canonical names; None when not known), ``guest_os`` (``{"family",
    "release"}`` as given), ``pinned`` and ``ranking`` (the ranking given, canonical; None for the catalogue's); and
    ``findings`` (:func:`findings`, ``[]`` when there are none).

    With ``choice`` ``measured`` (nic_model_choice) the record also holds ``choice``: ``{"mode": "measured", "class":
    class_name (nic_model_class), "trial_guest": trial_guest (nic_model_trial_guest)}``, and a guest the plan keeps
    gets ``apply``/``apply_reason`` too (the class's choice may switch it); where it could not be switched the way
    ``method`` demands, ``switch_blocked`` says why.
    """
    if (choice or "ranked") not in CHOICES:
        raise NicTuneError("nic_model_choice must be one of %s, got %r" % (", ".join(CHOICES), choice))
    audit = audit or {}
    entry = find_domain(audit.get("domains"), domain or name, config_path)
    if entry is not None and entry.get("offered_models") and not decide.get("offered"):
        decide["offered"] = entry["offered_models"]
    record = plan_guest(name, entry, **decide)
    platform = record.get("platform")
    offered = decide.get("offered") or (_models.default_offered(platform) if platform in _models.RANKINGS else None)
    record.update(
        offered_models=[_models.canonical(m) or str(m).lower() for m in offered] if offered else None,
        supported_models=_guest_models(decide.get("supported")),
        guest_os=dict(guest_os) if guest_os else None,
        pinned=_pinned(decide.get("pinned")),
        ranking=[_models.canonical(m) or str(m).lower() for m in decide["ranking"]] if decide.get("ranking") else None,
    )
    record.update(hypervisor=hypervisor, domain=(entry or {}).get("domain") or domain or name)
    for key in _SWITCH_FIELDS:
        if entry is not None and entry.get(key) is not None:
            record[key] = entry[key]
    if record.get("backend") == "libvirt":
        record["uri"] = audit.get("uri")
    record["findings"] = findings(entry, record, hypervisor)
    if config_path and entry is None:
        record["reason"] = "no domain with config %s on %s" % (config_path, hypervisor)
    if entry is not None:
        record["switch"] = switch_args(record, bool(audit.get("path")))
        record["restart"] = restart_args(record)
        # VirtualBox writes a running machine's settings over any change: change its definition only while it is off
        record["offline_change"] = record.get("backend") == "virtualbox"
        if record["switch"] is None and record["action"] == "switch":
            record.update(
                action="skip", reason="backend %s: the upgrade cannot select this domain" % record.get("backend")
            )
    if record["action"] == "switch":
        try:
            record["apply"], record["apply_reason"] = switch_method(record, method or "cold", hotplug)
        except NicTuneError as exc:
            record.update(action="skip", reason=exc.reason, apply=None, apply_reason=exc.reason)
        else:
            record["method"] = planned_method(record)
    if choice == "measured":
        record["choice"] = {"mode": "measured", "class": class_name or None, "trial_guest": trial_guest or None}
        if record["action"] == "keep" and record.get("switch"):
            try:
                record["apply"], record["apply_reason"] = switch_method(record, method or "cold", hotplug)
            except NicTuneError as exc:
                record.update(apply=None, apply_reason=exc.reason, switch_blocked=exc.reason)
    return record


def planned_method(record):
    """``live`` or ``cold``: how the switch is expected to go, from the record's ``apply`` and the domain's state at
    the audit (nictune.fleet.nic_model decides for good, and may still go cold: a bus without hot-plug, an unplug
    the guest does not acknowledge)."""
    apply = record.get("apply")
    if apply == "live" or (apply == "auto" and record.get("state") == "running"):
        return "live"
    if record.get("backend") == "proxmox" and record.get("state") == "running":
        return "live" if record.get("hotplug_network") else "cold"
    return "cold"
