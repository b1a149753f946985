# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade's decisions, as plain Python (no Ansible imports):

* ``platform_of(domain)``: which ranking applies to a domain found by nic_model_info;
* ``plan_guest(...)``: the target model of one guest and why;
* ``compare(...)``: whether a guest's throughput after the switch is acceptable.
"""

from __future__ import annotations

from .._common import models as _models
from .._common.errors import NicTuneError


def platform_of(domain):
    """``kvm``, ``xen_hvm``, ``xen_pv``, ``proxmox`` or None for a domain dict from nic_model_info."""
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
    nics = [n for n in domain.get("nics") or [] if nic_index is None or n.get("index") == nic_index]
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


def compare(before, after, threshold):
    """Judge throughput after a switch against the baseline.

    ``before``/``after``: dicts with ``send_bps`` and ``receive_bps`` (None when not measured).
    ``threshold``: the largest acceptable relative drop (0.10 = 10%) in either direction.
    Returns {"ok": bool, "reason": str, "gain": {"send": ratio|None, "receive": ratio|None}}.
    """
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise NicTuneError("nic_model_rollback_threshold must be a number, got %r" % (threshold,))
    if not 0 <= threshold < 1:
        raise NicTuneError("nic_model_rollback_threshold must be between 0 and 1 (0.1 = 10%%), got %r" % threshold)
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
        return {"ok": False, "reason": "; ".join(problems), "gain": gain}
    return {"ok": True, "reason": "throughput kept or improved", "gain": gain}
