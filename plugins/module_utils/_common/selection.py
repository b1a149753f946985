# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which NICs of a domain a task applies to: the ``match`` option, shared by every backend."""

from __future__ import annotations

import re

from .errors import NicTuneError

MATCH_KEYS = ("index", "mac", "bridge", "model", "attachment")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def normalise_mac(mac):
    """Return ``mac`` as lowercase colon-separated hex, or None when it is not a MAC address."""
    if mac is None:
        return None
    text = str(mac).strip().lower().replace("-", ":")
    return text if _MAC_RE.match(text) else None


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def normalise_match(match):
    """Validate the ``match`` option; return a dict of lists (absent keys are None).

    Every key given must hold for a NIC to be selected; within one key any listed value will do.
    No ``match`` (or an empty one) selects every NIC.
    """
    if not match:
        return {}
    if not isinstance(match, dict):
        raise NicTuneError("match must be a dictionary with keys %s" % ", ".join(MATCH_KEYS))
    unknown = sorted(set(match) - set(MATCH_KEYS))
    if unknown:
        raise NicTuneError("match: unknown key(s) %s; known: %s" % (", ".join(unknown), ", ".join(MATCH_KEYS)))
    out = {}
    for key in MATCH_KEYS:
        values = _as_list(match.get(key))
        if values is None:
            continue
        if key == "index":
            try:
                values = [int(v) for v in values]
            except (TypeError, ValueError):
                raise NicTuneError("match.index must be an integer or a list of integers, got %r" % (match[key],))
            if any(v < 0 for v in values):
                raise NicTuneError("match.index must not be negative, got %r" % (match[key],))
        elif key == "mac":
            macs = [normalise_mac(v) for v in values]
            bad = [v for v, m in zip(values, macs) if m is None]
            if bad:
                raise NicTuneError("match.mac: not a MAC address: %s" % ", ".join(str(b) for b in bad))
            values = macs
        else:
            values = [str(v).strip().lower() for v in values]
        out[key] = values
    return out


def nic_selected(match, nic):
    """Return True when ``nic`` (a dict with index, mac, bridge, model) is selected by a normalised ``match``.

    ``attachment`` (VirtualBox's attachment type) is only known to backends whose NICs carry that key.
    """
    for key, wanted in match.items():
        if key not in nic and key == "attachment":
            raise NicTuneError("match.attachment applies only to backend virtualbox (its adapters' attachment types)")
        have = nic.get(key)
        if key == "mac":
            have = normalise_mac(have)
        elif key != "index" and have is not None:
            have = str(have).lower()
        if have not in wanted:
            return False
    return True
