# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proxmox VE backend of nic_model / nic_model_info: the model rules for qemu-server configs (pure, no I/O).

:func:`plan_file` and :func:`describe_file` take the bytes of one ``<vmid>.conf`` and return the new bytes
and a result; they never touch the system. How the new bytes reach Proxmox (an atomic file write, or
``qm set``) is decided by the caller (:mod:`.qm` and the ``proxmox`` entry of ``_nic_model.backends``); the
plan says which (``via``) and, for ``qm``, the exact command line.

Rules:

* The NICs are the ``netN:`` lines of the current configuration (before the first section); only their
  model token changes (``e1000=MAC`` -> ``virtio=MAC``, ``model=e1000`` -> ``model=virtio``, a bare
  ``e1000`` -> ``virtio``), so the MAC and every other item stay as written. Snapshot sections are copies of
  older configurations and are never edited.
* ``[PENDING]`` holds changes Proxmox applies at the next start: ``netN:`` there is the NIC's next value,
  ``delete: netN`` removes it. A selected NIC with a pending value whose model is already the target is left
  alone (the change is on its way; ``restart_required``). Another pending value is reported and the NIC left
  alone, unless ``proxmox_pending: replace``: then the NIC's new value is its current value with the new
  model, and the pending value is dropped (with ``qm``, Proxmox replaces it itself). A NIC that is being
  removed, or that exists only in ``[PENDING]``, is reported and never edited.
* A NIC without a MAC keeps having none: Proxmox gives it a new random MAC at every start, before and after
  the change, and any MAC made up here would be new to the guest as well. With ``qm``, Proxmox writes the
  random MAC it picks into the configuration (as it does for every NIC set through its API).
* A VM with ``lock:`` (backup, migration, snapshot ...) is left alone: Proxmox refuses changes to it.
* Models are Proxmox's names from the catalogue (``_common/models.py``); ``e1000`` and its sub-variants
  (``e1000-82540em`` ...) are distinct names to Proxmox and are compared as written.
"""

from __future__ import annotations

import hashlib
import re

from .._common import models as _models
from .._common.errors import ConfigSyntaxError, NicTuneError
from .._common.selection import nic_selected
from .modes import PENDING_MODES
from .net_value import MODEL_NAMES, NetValue
from .qemu_config import QemuConfig, parse_pending_delete, to_text

PLATFORM = "proxmox"
# Proxmox's default for "hotplug" when the key is absent (or "1"): network, disk and USB devices.
DEFAULT_HOTPLUG = "network,disk,usb"
_NET_KEY_RE = re.compile(r"^net([0-9]+)$")
_VMID_RE = re.compile(r"^([1-9][0-9]*)\.conf$")
_NODE_RE = re.compile(r"/nodes/([^/]+)/qemu-server/[^/]+$")


def vmid_of(path):
    """The VM id of a config named ``<vmid>.conf`` (a string), or None."""
    match = _VMID_RE.match(str(path).replace("\\", "/").rsplit("/", 1)[-1])
    return match.group(1) if match else None


def node_of(path):
    """The cluster node of a config under ``.../nodes/<node>/qemu-server/``, or None."""
    match = _NODE_RE.search(str(path))
    return match.group(1) if match else None


def vmid_number(value, option="vmids"):
    """``value`` as a VM id (a positive integer); NicTuneError naming ``option`` otherwise."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise NicTuneError("%s: %r is not a VM id (a positive integer)" % (option, value))
    return number


def config_paths(vmids=None, node=None, root="/etc/pve"):
    """The config files of ``vmids`` (every VM: a glob) on ``node`` (None: this node's ``qemu-server`` link)."""
    folder = "%s/nodes/%s/qemu-server" % (root, node) if node else "%s/qemu-server" % root
    if not vmids:
        return ["%s/*.conf" % folder]
    return ["%s/%d.conf" % (folder, vmid_number(vmid)) for vmid in vmids]


def hotplug_network(value):
    """Whether Proxmox hot-plugs NICs of a VM whose ``hotplug:`` is ``value`` (None when not written)."""
    if value is None or value.strip() == "1":
        value = DEFAULT_HOTPLUG
    if value.strip() == "0":
        return False
    return "network" in [item.strip() for item in value.split(",")]


def target_model(requested):
    """The name to write for the ``model`` option: a Proxmox model name as Proxmox spells it, or the Proxmox name
    of a catalogue model (``virtio-net`` -> ``virtio``). NicTuneError for a model Proxmox does not offer."""
    text = str(requested).strip()
    for name in MODEL_NAMES:
        if text.lower() == name.lower():
            return name
    canonical = _models.canonical(text)
    if canonical is None or PLATFORM not in _models.entry(canonical).get("names", {}):
        raise NicTuneError(
            "model %r is not one Proxmox VE offers; it accepts: %s" % (requested, ", ".join(MODEL_NAMES))
        )
    return _models.written_name(canonical, PLATFORM)


def digest(data):
    """Proxmox's digest of a config (SHA-1 of its bytes), as ``qm set --digest`` checks it."""
    return hashlib.sha1(data).hexdigest()


class _Nic:
    """A ``netN``: its line and value in the current configuration and in ``[PENDING]`` (None where absent);
    ``pending_delete`` is None, or whether ``delete: !netN`` forces the removal."""

    line = value = pending_line = pending = pending_delete = None

    def __init__(self, index, key):
        self.index, self.key = index, key


def _net_lines(section, path):
    """{netN: last line} of ``section``; a NIC written twice is refused (which one to edit would be a guess)."""
    out = {}
    for line in section.lines:
        if line.key is None or not _NET_KEY_RE.match(line.key):
            continue
        if line.key in out:
            raise ConfigSyntaxError(
                "%s is written twice in %s (first on line %d); Proxmox uses the last one: remove the other"
                % (
                    line.key,
                    "[PENDING]" if section.kind == "pending" else "the current configuration",
                    out[line.key].number,
                ),
                path=path,
                line=line.number,
            )
        out[line.key] = line
    return out


def _net_value(line, path):
    try:
        return NetValue(line.value)
    except ConfigSyntaxError as exc:
        raise ConfigSyntaxError("%s: %s" % (line.key, exc.reason), path=path, line=line.number)


def _read_nics(cfg, path):
    """Every NIC of the current configuration and of ``[PENDING]``, by index."""
    nics = {}

    def nic(key):
        if key not in nics:
            nics[key] = _Nic(int(_NET_KEY_RE.match(key).group(1)), key)
        return nics[key]

    for key, line in _net_lines(cfg.main, path).items():
        item = nic(key)
        item.line = line
        item.value = _net_value(line, path)
    if cfg.pending is not None:
        for key, line in _net_lines(cfg.pending, path).items():
            item = nic(key)
            item.pending_line = line
            item.pending = _net_value(line, path)
        for key, force in parse_pending_delete(cfg.pending.get("delete")).items():
            if _NET_KEY_RE.match(key):
                nic(key).pending_delete = force
    return sorted(nics.values(), key=lambda n: n.index)


def _pending_view(nic):
    if nic.pending is None and nic.pending_delete is None:
        return None
    out = {"delete": nic.pending_delete is not None, "force": bool(nic.pending_delete), "value": None}
    if nic.pending is not None:
        out["value"] = to_text(nic.pending.text)
        out.update(_texts(nic.pending.describe()))
    return out


def _texts(values):
    return {k: to_text(v) if isinstance(v, str) else v for k, v in values.items()}


def _vm(cfg, path):
    main = cfg.main
    hotplug = main.get("hotplug")
    return {
        "domain": to_text(main.get("name")),
        "vmid": vmid_of(path),
        "node": node_of(path),
        "platform": PLATFORM,
        "ostype": to_text(main.get("ostype")),
        "hotplug": to_text(hotplug),
        "hotplug_network": hotplug_network(hotplug),
        "lock": to_text(main.get("lock")),
        "template": (main.get("template") or "").strip() == "1",
        "pending_keys": [to_text(k) for k in cfg.pending.keys()] if cfg.pending is not None else [],
        "snapshots": [to_text(name) for name in cfg.snapshots],
    }


def describe_file(path, data, warn):
    """Audit one config: the VM (name, vmid, node, ostype, hotplug, lock) and every NIC with its pending change."""
    cfg = QemuConfig.parse(data, path)
    nics = _read_nics(cfg, path)
    out = []
    for nic in nics:
        _warn_unknown(warn, path, nic)
        entry = {"index": nic.index, "key": nic.key, "in_config": nic.value is not None}
        if nic.value is not None:
            entry.update(_texts(nic.value.describe()), value=to_text(nic.value.text))
        else:
            entry.update(
                dict.fromkeys(
                    (
                        "model",
                        "mac",
                        "bridge",
                        "tag",
                        "trunks",
                        "firewall",
                        "queues",
                        "link_down",
                        "rate",
                        "mtu",
                        "value",
                    )
                )
            )
        entry["pending"] = _pending_view(nic)
        out.append(entry)
    return dict(_vm(cfg, path), nics=out)


def _warn_unknown(warn, path, nic):
    for value, line in ((nic.value, nic.line), (nic.pending, nic.pending_line)):
        if value is not None and value.unknown:
            warn(
                "%s:%d: %s has item(s) Proxmox VE 9 does not know: %s (kept as written)"
                % (path, line.number, nic.key, ", ".join(to_text(k) for k in value.unknown))
            )


def _check_options(options):
    for option in ("xen_type", "pin_mac"):
        if options.get(option):
            raise NicTuneError("%s is a Xen option; backend proxmox does not use it" % option)
    model = options.get("model")
    if model is None:
        raise NicTuneError("backend proxmox needs model")
    pending_mode = options.get("proxmox_pending") or "skip"
    if pending_mode not in PENDING_MODES:
        raise NicTuneError("proxmox_pending must be one of %s, got %r" % (", ".join(PENDING_MODES), pending_mode))
    return target_model(model), pending_mode, options.get("match") or {}


def _selected(match, nic):
    view = nic.value if nic.value is not None else nic.pending
    mac = view.mac if view is not None else None
    bridge = view.get("bridge") if view is not None else None
    written = view.model if view is not None else None
    base = {"index": nic.index, "mac": to_text(mac), "bridge": to_text(bridge)}
    if nic_selected(match, dict(base, model=written)):
        return True
    return "model" in match and nic_selected(match, dict(base, model=_models.canonical(written)))


def _entry(nic, model_after, selected, changed, skipped, reason):
    value = nic.value
    return {
        "index": nic.index,
        "key": nic.key,
        "mac": to_text(value.mac) if value is not None else None,
        "bridge": to_text(value.get("bridge")) if value is not None else None,
        "model_before": value.model if value is not None else None,
        "model_after": model_after,
        "selected": selected,
        "changed": changed,
        "skipped": skipped,
        "reason": reason,
        "pending": _pending_view(nic),
    }


def _plan_nic(cfg, nic, target, pending_mode, via, path, warn):
    """Edit ``cfg`` for one selected NIC; returns (entry, new value or None, waits_for_restart)."""
    before = nic.value.model if nic.value is not None else None
    if nic.value is None:
        model = nic.pending.model if nic.pending is not None else None
        if model == target:
            reason = "added in [PENDING] with model %s: in force from the next start" % target
            return _entry(nic, None, True, False, False, reason), None, True
        reason = "exists only in [PENDING] (added while the VM ran, in force from the next start): set it after that"
        return _entry(nic, None, True, False, True, reason), None, False
    if nic.pending_delete is not None:
        reason = "removed at the next start (delete: %s in [PENDING]): left alone" % nic.key
        return _entry(nic, before, True, False, True, reason), None, False
    replace_pending = False
    if nic.pending is not None:
        if nic.pending.model == target:
            reason = "the change to %s is pending ([PENDING]): in force from the next start" % target
            return _entry(nic, before, True, False, False, reason), None, True
        if pending_mode != "replace":
            reason = (
                "has a pending change in [PENDING] (%s): left alone; proxmox_pending: replace replaces it"
                % to_text(nic.pending.text)
            )
            return _entry(nic, before, True, False, True, reason), None, False
        replace_pending = True
    if before == target and not replace_pending:
        return _entry(nic, target, True, False, False, None), None, False
    new_value = nic.value.with_model(target)
    if new_value != nic.value.text:
        cfg.replace_value(nic.line, new_value)
    if replace_pending:
        cfg.remove_line(nic.pending_line)
    if nic.value.mac is None:
        if via == "qm":
            what = "qm set makes Proxmox write a random one (as its API does for every NIC set without one)"
        else:
            what = "Proxmox gives it a new random one at every start, before and after this change"
        warn("%s:%d: %s has no MAC address: %s; set macaddr to keep one" % (path, nic.line.number, nic.key, what))
    return _entry(nic, target, True, True, False, None), new_value, False


def plan_file(path, data, options, warn):
    """Plan one config: return (new bytes, result). No I/O; raises NicTuneError on bad input.

    ``options``: model, match, proxmox_pending and, from the caller, ``proxmox_via`` (``file`` or ``qm``),
    ``proxmox_states`` ({vmid: status} from ``qm list``), ``proxmox_local_node`` and ``proxmox_nodes``
    ({path: node}, where the path's real location says it).
    """
    target, pending_mode, match = _check_options(options)
    via = options.get("proxmox_via")
    if via not in ("file", "qm"):
        raise NicTuneError(
            "Proxmox configs are changed with backend: proxmox (or auto with only qemu-server/<vmid>.conf paths), "
            "which decides between qm and a file write",
            path=path,
        )
    cfg = QemuConfig.parse(data, path)
    vm = _vm(cfg, path)
    vm["node"] = (options.get("proxmox_nodes") or {}).get(path) or vm["node"]
    vm["state"] = (options.get("proxmox_states") or {}).get(vm["vmid"])
    result = dict(vm, via=via, skipped=False, reason=None, nics=[], live=False, restart_required=False)
    nics = _read_nics(cfg, path)
    if not nics:
        result.update(skipped=True, reason="no netN line: the VM has no NIC")
        return data, result
    changes = {}
    waiting = False
    for nic in nics:
        _warn_unknown(warn, path, nic)
        if not _selected(match, nic):
            model = nic.value.model if nic.value is not None else None
            result["nics"].append(_entry(nic, model, False, False, False, "not selected"))
            continue
        entry, new_value, waits = _plan_nic(cfg, nic, target, pending_mode, via, path, warn)
        result["nics"].append(entry)
        waiting = waiting or waits
        if entry["changed"]:
            changes[nic.key] = new_value
    if not any(n["selected"] for n in result["nics"]):
        result.update(skipped=True, reason="no NIC selected by match")
    elif all(n["skipped"] for n in result["nics"] if n["selected"]):
        reasons = sorted({n["reason"] for n in result["nics"] if n["selected"]})
        result.update(skipped=True, reason="; ".join(reasons))
    if changes and vm["lock"]:
        reason = "the VM is locked (lock: %s): Proxmox refuses changes until it is unlocked" % vm["lock"]
        for entry in result["nics"]:
            if entry["changed"]:
                entry.update(changed=False, skipped=True, reason=reason, model_after=entry["model_before"])
        result.update(skipped=True, reason=reason)
        return data, result
    result["restart_required"] = bool(changes) or waiting
    if changes and via == "qm":
        _qm_plan(result, vm, data, changes, options)
        result["restart_required"] = waiting or not result["live"]
    return (cfg.to_bytes() if changes else data), result


def _qm_plan(result, vm, data, changes, options):
    """Route the change through ``qm set``: the command line, and what Proxmox is expected to do with it."""
    vmid = vm["vmid"]
    if vmid is None:
        raise NicTuneError("qm needs the VM id, and this file is not named <vmid>.conf (or use proxmox_mode: file)")
    local = options.get("proxmox_local_node")
    if vm["node"] and local and vm["node"] != local:
        raise NicTuneError(
            "VM %s lives on node %s and qm works on this node (%s) only: run the task on %s, or use "
            "proxmox_mode: file" % (vmid, to_text(vm["node"]), to_text(local), to_text(vm["node"]))
        )
    argv = ["qm", "set", vmid, "--digest", digest(data)]
    for key in sorted(changes, key=lambda k: int(k[3:])):
        argv += ["--" + key, to_text(changes[key])]
    result.update(qm_command=argv, live=vm["state"] == "running" and vm["hotplug_network"])


def confirm(path, data_after, result):
    """After ``qm set``: where each NIC ``result`` changed now stands in the config Proxmox wrote.

    Returns {netN: ``pending`` (the new model is in ``[PENDING]``: Proxmox could not, or was not allowed to,
    hot-swap the NIC), ``applied`` (in the current configuration) or ``unknown`` (the file shows neither: it
    may not be the file qm writes)}. Proxmox writes values in its own item order, and a random MAC where none
    was written, so model and MAC are compared, not the text.
    """
    cfg = QemuConfig.parse(data_after, path)
    sections = [_net_lines(cfg.pending, path) if cfg.pending is not None else {}, _net_lines(cfg.main, path)]
    out = {}
    for entry in result["nics"]:
        if not entry["changed"]:
            continue
        out[entry["key"]] = "unknown"
        for state, lines in zip(("pending", "applied"), sections):
            line = lines.get(entry["key"])
            value = _net_value(line, path) if line is not None else None
            if value is None or value.model != entry["model_after"]:
                continue
            if entry["mac"] is None or (value.mac or "").lower() == entry["mac"].lower():
                out[entry["key"]] = state
                break
    return out


def sniff(path):
    """``backend: auto`` takes ``<vmid>.conf`` files in a ``qemu-server`` directory for Proxmox."""
    parts = str(path).replace("\\", "/").rsplit("/", 2)
    return len(parts) == 3 and parts[1] == "qemu-server" and vmid_of(path) is not None
