# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xen backend of nic_model / nic_model_info: the model rules for xl.cfg files (pure, no I/O).

``module_common`` calls :func:`plan_file` and :func:`describe_file`; they read bytes and return the
new bytes and a result, and never touch the system.

Rules (following xl/libxl):

* Guest type: ``type = "hvm"|"pv"|"pvh"`` (Xen >= 4.10), else the deprecated ``builder = "hvm"``
  (``"generic"`` is PV), else the deprecated ``pvh = 1``, else PV. Values are matched like xl does
  (a prefix of the name is enough). A legacy ``kernel = ".../hvmloader"`` does *not* make a guest
  HVM: xl never looked at it (it ignores it with a warning when the guest is HVM), so such a file
  without ``builder``/``type`` is a PV guest for xl, and we warn.
* The NICs are the string items of the ``vif`` list in force: later ``vif =`` assignments replace
  earlier ones, ``vif += [...]`` appends (libxlu concatenates the lists), so each NIC is one string
  token of one assignment, and that token is the one edited. Like xl, the NIC list ends at the
  first item that is itself a list. ``vif = []`` or no ``vif`` is a guest without NICs.
* A vif's ``type`` is ``ioemu`` (emulated + PV, the HVM default) or ``vif`` (PV only, the only
  kind PV/PVH guests have). Only emulated NICs of HVM guests have a model; without ``model=`` it is
  ``rtl8139``. PV and PVH guests are reported and left alone; ``type=vif`` NICs are left alone
  unless ``xen_type`` changes their type. A type xl does not know (e.g. xm's ``netfront``) is
  reported; xl refuses it at ``xl create``; ``xen_type`` replaces it.
* ``xen_type: vif`` writes ``type=vif`` and keeps an existing ``model=`` (xl ignores the model of a
  PV-only vif, and keeping it lets ``xen_type: ioemu`` bring back the same emulated model); the
  ``model`` option does not apply to a NIC that ends up PV-only.
* ``pin_mac`` adds ``mac=`` (see :mod:`.stable_mac`) to selected NICs that are changed by this
  task or otherwise handled (emulated NICs of HVM guests, or NICs whose type is set); it needs
  ``name =``.
* Only the vif string tokens change; inside a spec only the ``model``/``type``/``mac`` values
  change, or such an item is appended in the spec's own separator style.
"""

from __future__ import annotations

from .._common import models as _models
from .._common.errors import NicTuneError
from .._common.selection import nic_selected, normalise_mac
from .stable_mac import xen_stable_mac
from .vif_spec import VifSpec
from .xl_config import XlConfig

DEFAULT_MODEL = _models.PLATFORM_DEFAULTS["xen_hvm"]
# Model names: the catalogue's one rule (models.check_model_name) and its warning for names Xen does not
# document and QEMU is not known to offer (models.unknown_model_warning).
XEN_TYPES = ("ioemu", "vif")


def _prefix_of(value, word):
    # xl compares with strncmp(value, word, strlen(value)): any prefix of the word matches
    return word.startswith(value)


def _guest_type(cfg, warn):
    """(guest_type, how it was decided) as xl decides it."""
    path = cfg.path
    decided = None
    source = None
    type_value = cfg.get_string("type")
    if type_value is not None:
        for word in ("hvm", "pv", "pvh"):
            if _prefix_of(type_value, word):
                decided = word
                break
        else:
            setting = cfg.get("type")
            raise NicTuneError(
                "invalid domain type %r (xl accepts hvm, pv or pvh)" % type_value, path=path, line=setting.line
            )
        source = 'type = "%s"' % type_value
    builder = cfg.get_string("builder")
    if builder is not None:
        if _prefix_of(builder, "hvm"):
            builder_type = "hvm"
        elif _prefix_of(builder, "generic"):
            builder_type = "pv"
        else:
            raise NicTuneError(
                "invalid builder %r (xl accepts hvm or generic)" % builder, path=path, line=cfg.get("builder").line
            )
        if decided is None:
            decided, source = builder_type, 'builder = "%s"' % builder
        elif decided != builder_type:
            warn("%s: type and builder contradict each other; using %s" % (path, source))
    pvh = cfg.get_string("pvh")
    if pvh is not None:
        try:
            pvh_on = int(pvh, 0) != 0
        except ValueError:
            pvh_on = False
        if pvh_on:
            if decided is None:
                decided, source = "pvh", "pvh = %s" % pvh
            elif decided != "pvh":
                warn("%s: pvh = %s contradicts %s; using %s" % (path, pvh, source, source))
    if decided is None:
        decided, source = "pv", "no type or builder setting"
        kernel = cfg.get_string("kernel") or ""
        if kernel.rstrip("/").rsplit("/", 1)[-1] == "hvmloader":
            warn(
                '%s: kernel = "%s" but no type = "hvm" (or builder = "hvm"): xl treats this guest as PV'
                % (path, kernel)
            )
    return decided, source


class _Nic:
    __slots__ = ("atom", "before_text", "index", "line", "spec")

    def __init__(self, index, atom):
        self.index = index
        self.atom = atom
        self.before_text = atom.value
        self.spec = VifSpec(atom.value)
        self.line = atom.line


def _read_nics(cfg, warn):
    setting = cfg.get("vif")
    if setting is None:
        return [], "no vif setting: the guest has no NIC"
    if setting.value.kind != "list":
        warn("%s:%d: vif is a single value, not a list; xl ignores it" % (cfg.path, setting.line))
        return [], "vif is not a list: xl sees no NIC"
    nics = []
    for pos, item in enumerate(setting.value.items):
        if item.kind == "list":
            warn("%s:%d: vif entry %d is a list; xl reads no NIC from there on" % (cfg.path, item.line, pos))
            break
        nics.append(_Nic(pos, item))
    if not nics:
        return [], "vif = [] : the guest has no NIC"
    return nics, None


def _effective_type(spec, guest_type):
    written = spec.get("type")
    if written is not None:
        return written
    return "ioemu" if guest_type == "hvm" else "vif"


def _model_in_force(spec, nic_type, guest_type):
    if guest_type != "hvm" or nic_type != "ioemu":
        return None
    return spec.get("model", DEFAULT_MODEL)


def _match_view(nic, nic_type, guest_type):
    spec = nic.spec
    return {
        "index": nic.index,
        "mac": spec.get("mac"),
        "bridge": spec.get("bridge"),
        "model": _model_in_force(spec, nic_type, guest_type),
    }


def _check_options(options):
    model = options.get("model")
    if model is not None:
        model = _models.check_model_name(model, "xen_hvm")
    xen_type = options.get("xen_type")
    if xen_type is not None and xen_type not in XEN_TYPES:
        raise NicTuneError("xen_type must be one of %s, got %r" % (", ".join(XEN_TYPES), xen_type))
    return model, xen_type, bool(options.get("pin_mac")), options.get("match") or {}


def _nic_entry(nic, nic_type, model_before, model_after, selected, changed, skipped, reason):
    return {
        "index": nic.index,
        "mac": nic.spec.get("mac"),
        "bridge": nic.spec.get("bridge"),
        "type": nic_type,
        "model_before": model_before,
        "model_after": model_after,
        "selected": selected,
        "changed": changed,
        "skipped": skipped,
        "reason": reason,
    }


def _macs_in_use(nics):
    """``{mac: NIC index}`` of the MACs written in the domain's NICs (normalised spelling)."""
    used = {}
    for nic in nics:
        mac = normalise_mac(nic.spec.get("mac"))
        if mac is not None:
            used.setdefault(mac, nic.index)
    return used


def _unused_stable_mac(path, domain, nic, macs_in_use, warn):
    """The stable MAC for ``nic``, or, when another NIC of the domain has that MAC already (a NIC was removed and
    the others moved up), the next stable candidate no NIC has; warns then. Records the MAC in ``macs_in_use``."""
    mac = xen_stable_mac(domain, nic.index)
    attempt = 0
    while mac in macs_in_use:
        attempt += 1
        mac = xen_stable_mac(domain, nic.index, attempt)
    if attempt:
        first = xen_stable_mac(domain, nic.index)
        warn(
            "%s:%d: pin_mac: the stable MAC %s of NIC %d is already used by NIC %d of domain %s; wrote %s instead"
            % (path, nic.line, first, nic.index, macs_in_use[first], domain, mac)
        )
    macs_in_use[mac] = nic.index
    return mac


def plan_file(path, data, options, warn):
    """Plan one xl.cfg file: return (new bytes, result). No I/O; raises NicTuneError on bad input."""
    model, xen_type, pin_mac, match = _check_options(options)
    cfg = XlConfig.parse(data, path)
    domain = cfg.get_string("name")
    guest_type, type_source = _guest_type(cfg, warn)
    result = {"domain": domain, "guest_type": guest_type, "skipped": False, "reason": None, "nics": []}
    nics, no_nic_reason = _read_nics(cfg, warn)

    if guest_type != "hvm":
        reason = "%s guest (%s): its vifs use netfront and have no model" % (guest_type.upper(), type_source)
        for nic in nics:
            nic_type = _effective_type(nic.spec, guest_type)
            selected = nic_selected(match, _match_view(nic, nic_type, guest_type))
            result["nics"].append(
                _nic_entry(nic, nic_type, None, None, selected, False, selected, reason if selected else "not selected")
            )
        result.update(skipped=True, reason=reason)
        return data, result
    if not nics:
        result.update(skipped=True, reason=no_nic_reason)
        return data, result

    model_written = False
    handled = 0
    reasons = []
    macs_in_use = _macs_in_use(nics)
    for nic in nics:
        spec = nic.spec
        type_before = _effective_type(spec, guest_type)
        model_before = _model_in_force(spec, type_before, guest_type)
        selected = nic_selected(match, _match_view(nic, type_before, guest_type))
        if not selected:
            result["nics"].append(
                _nic_entry(nic, type_before, model_before, model_before, False, False, False, "not selected")
            )
            continue
        if xen_type is None and type_before != "ioemu":
            if type_before == "vif":
                reason = "PV-only NIC (type=vif): it has no emulated model; set xen_type: ioemu to make it emulated"
            else:
                reason = (
                    "type=%s is not a vif type xl knows (ioemu or vif); xl create refuses it; "
                    "set xen_type to replace it" % type_before
                )
            reasons.append(reason)
            result["nics"].append(_nic_entry(nic, type_before, None, None, True, False, True, reason))
            continue
        handled += 1
        type_after = type_before
        if xen_type is not None and xen_type != type_before:
            spec.set("type", xen_type)
            type_after = xen_type
        model_after = None
        if type_after == "ioemu":
            current = spec.get("model", DEFAULT_MODEL)
            model_after = current
            if model is not None and model != current:
                spec.set("model", model)
                model_after = model
                model_written = True
        if pin_mac and spec.get("mac") is None:
            if not domain:
                raise NicTuneError(
                    "pin_mac needs the domain name to derive a stable MAC, and this file has no name = setting",
                    path=path,
                    line=nic.line,
                )
            spec.set("mac", _unused_stable_mac(path, domain, nic, macs_in_use, warn))
        new_text = spec.to_text()
        changed = new_text != nic.before_text
        if changed:
            if nic.atom.kind != "string":
                raise NicTuneError(
                    "vif entry %d is a number, not a quoted string; quote it to let it be edited" % nic.index,
                    path=path,
                    line=nic.line,
                )
            cfg.replace_string(nic.atom, new_text)
        result["nics"].append(_nic_entry(nic, type_after, model_before, model_after, True, changed, False, None))

    unknown = _models.unknown_model_warning(model, "xen_hvm") if model_written else None
    if unknown:
        warn("%s: %s" % (path, unknown))
    if not handled:
        if not any(n["selected"] for n in result["nics"]):
            result.update(skipped=True, reason="no NIC selected by match")
        else:
            result.update(skipped=True, reason="; ".join(sorted(set(reasons))))
    return cfg.to_bytes(), result


def describe_file(path, data, warn):
    """Audit one xl.cfg file: domain, guest type and every NIC with its model in force."""
    cfg = XlConfig.parse(data, path)
    guest_type, _source = _guest_type(cfg, warn)
    nics, _reason = _read_nics(cfg, warn)
    out = []
    for nic in nics:
        spec = nic.spec
        nic_type = _effective_type(spec, guest_type)
        out.append(
            {
                "index": nic.index,
                "mac": spec.get("mac"),
                "bridge": spec.get("bridge"),
                "model": _model_in_force(spec, nic_type, guest_type),
                "model_explicit": "model" in spec,
                "type": nic_type,
                "vifname": spec.get("vifname"),
            }
        )
    platform = "xen_hvm" if guest_type == "hvm" else "xen_pv"
    return {"domain": cfg.get_string("name"), "guest_type": guest_type, "platform": platform, "nics": out}


def sniff(_path):
    """Xen takes every file no other backend claims (xl.cfg files have no fixed name or signature)."""
    return True
