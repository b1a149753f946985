# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which network configuration of a Linux guest applies to each of its NICs, and whether a NIC that is unplugged and
plugged again (same MAC, another model) comes back by itself with the same name and configuration, without a
reboot. Reads the guest's own files only (no Ansible imports, no subprocess); ``root`` lets tests use a tree.

Managers understood:

* systemd-networkd: ``.network`` files in /etc, /run and /usr/lib (/lib) ``systemd/network``, the first file in
  name order whose ``[Match]`` fits the NIC wins (``Name``, ``MACAddress``, ``PermanentMACAddress``,
  ``OriginalName``; ``Driver`` and ``Path`` change with the model, so a file matching on them is not relied on).
  Netplan renders into /run/systemd/network, so netplan setups are read through what it rendered.
* NetworkManager: keyfiles (``*.nmconnection``) in /etc and /run ``NetworkManager/system-connections`` and
  ifcfg-rh files; a profile bound to the NIC's name or MAC, or bound to neither, with autoconnect on.
* ifupdown: ``/etc/network/interfaces`` and what it sources; a NIC comes back on hot-plug only when it is listed
  in ``allow-hotplug`` (``auto`` acts at boot only).

A manager counts only when it runs (its state directory under /run exists).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re

from .linux import read_text as _read

_NETWORKD_DIRS = ("etc/systemd/network", "run/systemd/network", "usr/lib/systemd/network", "lib/systemd/network")
_NM_DIRS = ("etc/NetworkManager/system-connections", "run/NetworkManager/system-connections")
_IFCFG_DIR = "etc/sysconfig/network-scripts"
_NETPLAN_DIR = "etc/netplan"
# Keys of a networkd [Match] section that describe the device, not the host: they change with the NIC model.
_MODEL_BOUND_KEYS = ("Driver", "Path")
_NAME_KEYS = ("Name", "OriginalName")
_MAC_KEYS = ("MACAddress", "PermanentMACAddress")


def _mac(text):
    """A MAC in lower case with colons (networkd also accepts dashes and dots; NM keyfiles may use dashes)."""
    digits = re.sub(r"[^0-9a-fA-F]", "", text or "")
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).lower()


def _ini_sections(text):
    """``{section: [(key, value)]}`` of an ini-like text (systemd units, NM keyfiles); comments dropped."""
    sections = {}
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
            continue
        if current is None or "=" not in line:
            continue
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def _rel(root, path):
    return "/" + os.path.relpath(path, root)


def _running(root, *paths):
    return any(os.path.exists(os.path.join(root, p)) for p in paths)


# --- systemd-networkd ---------------------------------------------------------------------------------------------


def _networkd_files(root):
    """``[(name, path)]`` of the effective .network files: a name in /etc hides it in /run and /usr/lib."""
    chosen = {}
    for directory in _NETWORKD_DIRS:
        for path in glob.glob(os.path.join(root, directory, "*.network")):
            name = os.path.basename(path)
            if name in chosen:
                continue
            chosen[name] = path
    return sorted(chosen.items())


def _glob_list_matches(patterns, value):
    """networkd's list match: whitespace-separated globs, a leading ``!`` inverts the whole list."""
    words = patterns.split()
    if not words:
        return True
    invert = words[0].startswith("!")
    if invert:
        words[0] = words[0][1:]
    hit = any(fnmatch.fnmatchcase(value or "", w) for w in words if w)
    return hit != invert


def _networkd_match(match, nic):
    """``(fits, how, blocker)`` for one [Match] section: ``how`` is ``mac``, ``name`` or ``any``."""
    how = "any"
    for key, value in match:
        if key in _MAC_KEYS:
            macs = {_mac(w) for w in value.split()}
            if nic["mac"] not in macs:
                return False, None, None
            how = "mac"
        elif key in _NAME_KEYS:
            if not _glob_list_matches(value, nic["name"]):
                return False, None, None
            if how != "mac":
                how = "name"
        elif key in _MODEL_BOUND_KEYS:
            return True, how, "its [Match] %s=%s changes with the NIC model" % (key, value)
    return True, how, None


def networkd(root, nic):
    """The .network file that applies to ``nic`` (``{"file", "how", "blocker"}``) or None."""
    for _name, path in _networkd_files(root):
        if os.path.realpath(path) == "/dev/null":
            continue
        sections = _ini_sections(_read(path))
        fits, how, blocker = _networkd_match(sections.get("Match", []), nic)
        if fits:
            return {"file": _rel(root, path), "how": how, "blocker": blocker}
    return None


# --- NetworkManager -----------------------------------------------------------------------------------------------


def _nm_keyfile_profile(text):
    sections = _ini_sections(text)
    conn = dict(sections.get("connection", []))
    eth = dict(sections.get("ethernet", []) + sections.get("802-3-ethernet", []))
    if conn.get("type", "ethernet") not in ("ethernet", "802-3-ethernet"):
        return None
    return {
        "name": conn.get("interface-name") or None,
        "mac": _mac(eth.get("mac-address")) if eth.get("mac-address") else None,
        "autoconnect": conn.get("autoconnect", "true").lower() not in ("false", "no", "0"),
    }


def _ifcfg_profile(text):
    values = {}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("\"'")
    if values.get("TYPE", "Ethernet") != "Ethernet":
        return None
    return {
        "name": values.get("DEVICE") or None,
        "mac": _mac(values.get("HWADDR")) if values.get("HWADDR") else None,
        "autoconnect": values.get("ONBOOT", "yes").lower() in ("yes", "true", "1"),
        "hotplug": values.get("HOTPLUG", "yes").lower() in ("yes", "true", "1"),
    }


def _nm_profiles(root):
    for directory in _NM_DIRS:
        for path in sorted(glob.glob(os.path.join(root, directory, "*"))):
            profile = _nm_keyfile_profile(_read(path)) if os.path.isfile(path) else None
            if profile:
                yield _rel(root, path), profile
    for path in sorted(glob.glob(os.path.join(root, _IFCFG_DIR, "ifcfg-*"))):
        if path.endswith("ifcfg-lo"):
            continue
        profile = _ifcfg_profile(_read(path))
        if profile:
            yield _rel(root, path), profile


def _profile_fits(profile, nic):
    if profile["mac"] and profile["mac"] != nic["mac"]:
        return None
    if profile["name"] and profile["name"] != nic["name"]:
        return None
    return "mac" if profile["mac"] else ("name" if profile["name"] else "any")


def network_manager(root, nic):
    """The NetworkManager profile that applies to ``nic`` (``{"file", "how", "blocker"}``) or None; a profile
    bound to the MAC or name is preferred to one bound to neither."""
    best = None
    for path, profile in _nm_profiles(root):
        how = _profile_fits(profile, nic)
        if how is None:
            continue
        blocker = None if profile["autoconnect"] else "its profile does not connect by itself (autoconnect off)"
        entry = {"file": path, "how": how, "blocker": blocker}
        if how != "any":
            return entry
        best = best or entry
    return best


def network_scripts(root, nic):
    """An ifcfg file for ``nic`` where the legacy network-scripts (not NetworkManager) bring NICs up."""
    for path, profile in _nm_profiles(root):
        if not path.startswith("/" + _IFCFG_DIR):
            continue
        how = _profile_fits(profile, nic)
        if how in ("mac", "name"):
            blocker = None
            if not (profile["autoconnect"] and profile.get("hotplug", True)):
                blocker = "its ifcfg file has ONBOOT=no or HOTPLUG=no"
            return {"file": path, "how": how, "blocker": blocker}
    return None


# --- ifupdown -----------------------------------------------------------------------------------------------------


def _ifupdown_lines(root, path, seen):
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    text = _read(path)
    if text is None:
        return
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "source" and len(words) > 1:
            pattern = words[1] if words[1].startswith("/") else os.path.join(os.path.dirname(path), words[1])
            for included in sorted(glob.glob(os.path.join(root, pattern.lstrip("/")))):
                yield from _ifupdown_lines(root, included, seen)
        elif words[0] == "source-directory" and len(words) > 1:
            directory = os.path.join(root, words[1].lstrip("/"))
            for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                if re.match(r"^[a-zA-Z0-9_-]+$", name):
                    yield from _ifupdown_lines(root, os.path.join(directory, name), seen)
        else:
            yield _rel(root, path), words


def ifupdown(root, nic):
    """``{"file", "how", "blocker", "fix"}`` for ``nic`` in /etc/network/interfaces (and what it sources)."""
    stanza_file = None
    hotplug = auto = False
    for path, words in _ifupdown_lines(root, os.path.join(root, "etc/network/interfaces"), set()):
        if words[0] == "iface" and len(words) > 1 and words[1] == nic["name"]:
            stanza_file = stanza_file or path
        elif words[0] == "allow-hotplug" and nic["name"] in words[1:]:
            hotplug = True
        elif words[0] in ("auto", "allow-auto") and nic["name"] in words[1:]:
            auto = True
    if stanza_file is None:
        return None
    entry = {"file": stanza_file, "how": "name", "blocker": None, "fix": None}
    if not hotplug:
        entry["blocker"] = "ifupdown brings %s up %s, not when it is plugged in (no allow-hotplug %s)" % (
            nic["name"],
            "at boot only (auto)" if auto else "only by hand",
            nic["name"],
        )
        entry["fix"] = {"file": stanza_file, "line": "allow-hotplug %s" % nic["name"]}
    return entry


# --- putting it together ------------------------------------------------------------------------------------------


def _netplan_mentions(root, nic):
    """Netplan files naming the NIC's name or MAC (netplan itself acts through what it renders into /run)."""
    found = []
    for path in sorted(glob.glob(os.path.join(root, _NETPLAN_DIR, "*.yaml"))):
        text = (_read(path) or "").lower()
        if nic["mac"] in text or re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(nic["name"].lower()), text):
            found.append(_rel(root, path))
    return found


def managers(root="/"):
    """Which network managers run on the guest, judged by their state directories under /run."""
    return {
        "networkd": _running(root, "run/systemd/netif"),
        "NetworkManager": _running(root, "run/NetworkManager/NetworkManager.pid", "run/NetworkManager/devices"),
        "ifupdown": _running(root, "run/network/ifstate", "run/network/ifstate.lo"),
        "network-scripts": _running(root, "var/run/network-scripts", "run/network-scripts")
        or (os.path.exists(os.path.join(root, _IFCFG_DIR)) and not _running(root, "run/NetworkManager")),
    }


def hotplug(nics, root="/", names_pinnable=True, fix=False):
    """Per NIC, which configuration applies and whether it comes back by itself when the NIC is plugged again.

    ``names_pinnable``: whether the NIC's name stays tied to its MAC (guest_drivers pins it with udev); ``fix``:
    count a blocker the caller fixes (ifupdown's missing ``allow-hotplug``) as fixed. Returns
    ``{"ready": bool, "reason": str, "nics": [{"interface", "mac", "manager", "file", "how", "config_files",
    "ready", "reason", "fix"}]}``.
    """
    running = managers(root)
    out = []
    for nic in nics:
        candidates = []
        if running["networkd"]:
            candidates.append(("networkd", networkd(root, nic)))
        if running["NetworkManager"]:
            candidates.append(("NetworkManager", network_manager(root, nic)))
        if running["ifupdown"]:
            candidates.append(("ifupdown", ifupdown(root, nic)))
        if running["network-scripts"] and not running["NetworkManager"]:
            candidates.append(("network-scripts", network_scripts(root, nic)))
        found = [(manager, entry) for manager, entry in candidates if entry]
        # A manager with a blocker-free configuration wins; otherwise the first one that has any.
        found.sort(key=lambda item: item[1]["blocker"] is not None and not (fix and item[1].get("fix")))
        entry = {"interface": nic["name"], "mac": nic["mac"], "manager": None, "file": None, "how": None, "fix": None}
        entry["config_files"] = sorted({e["file"] for _m, e in found} | set(_netplan_mentions(root, nic)))
        if not found:
            running_names = [m for m, on in running.items() if on]
            entry.update(
                ready=False,
                reason="no configuration of %s (%s) refers to %s by name or MAC, or matches every NIC"
                % (
                    "the running network managers" if running_names else "any running network manager",
                    ", ".join(running_names) or "none found",
                    nic["name"],
                ),
            )
        else:
            manager, conf = found[0]
            entry.update(manager=manager, file=conf["file"], how=conf["how"], fix=conf.get("fix"))
            blocker = conf["blocker"] if not (fix and conf.get("fix")) else None
            if blocker:
                entry.update(ready=False, reason="%s: %s" % (conf["file"], blocker))
            else:
                entry.update(
                    ready=True, reason="%s brings %s up by %s (%s)" % (manager, nic["name"], conf["how"], conf["file"])
                )
        out.append(entry)
    if not out:
        return {"ready": False, "reason": "the guest has no NIC that could be switched", "nics": out}
    blockers = ["%s: %s" % (e["interface"], e["reason"]) for e in out if not e["ready"]]
    if not names_pinnable:
        blockers.insert(
            0, "interface names are not pinned to MACs (no udev, or pinning is off): a plugged NIC may get another name"
        )
    if blockers:
        return {"ready": False, "reason": "; ".join(blockers), "nics": out}
    return {"ready": True, "reason": "; ".join(e["reason"] for e in out), "nics": out}
