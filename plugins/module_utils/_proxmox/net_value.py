# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value of a Proxmox VE ``netN:`` line, read and edited in place (no Ansible imports).

The rules are those of Proxmox's property strings (``parse_property_string`` in pve-common's
``PVE/JSONSchema.pm``) with qemu-server's NIC format (``$net_fmt`` in ``PVE/QemuServer/Network.pm``):

* items are separated by ``,``; an item of blanks only is skipped;
* ``key=value``: the key is everything up to the first ``=``, the value the rest (it must not be empty);
  keys are case-sensitive; a key written twice is an error;
* ``<model>=<MAC>`` is the usual first item: a model name used as a key stands for ``model=<model>`` plus
  ``macaddr=<MAC>``; the older ``model=<m>,macaddr=<MAC>`` means the same; an item without ``=`` is the model
  (then Proxmox makes up a MAC at every start);
* the model is required, exactly once, and must be one Proxmox accepts (the catalogue's ``proxmox`` names);
* ``macaddr`` is a unicast MAC; ``tag`` 1-4094, ``queues`` 0-64, ``mtu`` 1-65520 are integers, ``rate`` a
  number, ``firewall`` and ``link_down`` booleans (``1 on yes true`` / ``0 off no false``, any case).

A key Proxmox does not know (yet) is kept as it is and reported in :attr:`NetValue.unknown`. Item order,
spelling and case are kept; :meth:`NetValue.with_model` changes only the model token.
"""

from __future__ import annotations

import re

from .._common import models as _models
from .._common.errors import ConfigSyntaxError

MODEL_NAMES = _models.platform_names("proxmox")
KNOWN_KEYS = (
    "model",
    "macaddr",
    "bridge",
    "queues",
    "rate",
    "tag",
    "trunks",
    "firewall",
    "link_down",
    "mtu",
    "host-tunnel",
)
_INTEGERS = {"tag": (1, 4094), "queues": (0, 64), "mtu": (1, 65520)}
_BOOLEANS = ("firewall", "link_down", "host-tunnel")
_TRUE = ("1", "on", "yes", "true")
_FALSE = ("0", "off", "no", "false")
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MAC_RE = re.compile(r"^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$", re.IGNORECASE)
_ANY_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.IGNORECASE)
_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_NUMBER_RE = re.compile(r"^[+-]?([0-9]+\.[0-9]+|[0-9]+\.|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")
_TRUNKS_RE = re.compile(r"^[0-9]+(-[0-9]+)?(;[0-9]+(-[0-9]+)?)*$")


def parse_bool(text):
    """Proxmox's boolean spellings -> True/False, or None when ``text`` is none of them."""
    low = str(text).lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return None


class NetValue:
    """A parsed ``netN`` value. ``model`` (as written), ``mac`` (None when not written), :meth:`get`,
    :meth:`with_model`, :meth:`describe`. Raises ConfigSyntaxError (reason only) where Proxmox refuses it."""

    def __init__(self, text):
        self.text = text
        self.unknown = []
        self.model = None
        self.mac = None
        self._model_span = None
        self._values = {}
        self._parse()

    def _parse(self):
        pos = 0
        for part in self.text.split(","):
            start, end = pos, pos + len(part)
            pos = end + 1
            if not part.strip(" \t\r\f\v"):
                continue
            if "=" not in part:
                self._set_model(part, (start, end), part)
                continue
            key, value = part.split("=", 1)
            if not key:
                raise ConfigSyntaxError("item %r has no key before '='" % part)
            if not value:
                raise ConfigSyntaxError("item %r has no value after '='" % part)
            if not _KEY_RE.match(key):
                raise ConfigSyntaxError("item %r: %r is not a key Proxmox can read" % (part, key))
            if key in MODEL_NAMES:
                self._set_model(key, (start, start + len(key)), part)
                self._set("macaddr", value, part)
            elif key == "model":
                self._set_model(value, (start + len(key) + 1, end), part)
            else:
                self._set(key, value, part)
        if self.model is None:
            raise ConfigSyntaxError(
                "no NIC model (the first item is usually <model>=<MAC>, e.g. virtio=BC:24:11:00:00:01)"
            )
        self._check()

    def _set_model(self, name, span, part):
        if self.model is not None:
            raise ConfigSyntaxError("the model is given twice (%r and in %r)" % (self.model, part))
        if name not in MODEL_NAMES:
            raise ConfigSyntaxError("model %r is not one Proxmox accepts (%s)" % (name, ", ".join(MODEL_NAMES)))
        self.model = name
        self._model_span = span

    def _set(self, key, value, part):
        if key in self._values:
            raise ConfigSyntaxError("%s is given twice (in %r)" % (key, part))
        self._values[key] = value
        if key not in KNOWN_KEYS:
            self.unknown.append(key)

    def _check(self):
        mac = self._values.get("macaddr")
        if mac is not None:
            if not _ANY_MAC_RE.match(mac):
                raise ConfigSyntaxError("MAC address %r is not six ':'-separated hex pairs" % mac)
            if not _MAC_RE.match(mac):
                raise ConfigSyntaxError("MAC address %r is a multicast address; Proxmox needs a unicast one" % mac)
            self.mac = mac
        for key, (low, high) in _INTEGERS.items():
            value = self._values.get(key)
            if value is not None and (not _INT_RE.match(value) or not low <= int(value) <= high):
                raise ConfigSyntaxError("%s=%s: must be an integer from %d to %d" % (key, value, low, high))
        rate = self._values.get("rate")
        if rate is not None and (not _NUMBER_RE.match(rate) or float(rate) < 0):
            raise ConfigSyntaxError("rate=%s: must be a number of MB/s, 0 or more" % rate)
        trunks = self._values.get("trunks")
        if trunks is not None and not _TRUNKS_RE.match(trunks):
            raise ConfigSyntaxError("trunks=%s: must be VLAN ids or ranges separated by ';'" % trunks)
        for key in _BOOLEANS:
            value = self._values.get(key)
            if value is not None and parse_bool(value) is None:
                raise ConfigSyntaxError("%s=%s: must be 1 or 0 (or on/off, yes/no, true/false)" % (key, value))

    def get(self, key):
        """The value written for ``key`` (``macaddr`` also from ``<model>=<MAC>``), or None."""
        if key == "model":
            return self.model
        return self._values.get(key)

    def with_model(self, name):
        """The value text with the model token replaced by ``name`` (every other character kept)."""
        start, end = self._model_span
        return self.text[:start] + name + self.text[end:]

    def as_dict(self):
        """``{model, macaddr, <key>: value ...}`` as written (Proxmox's property names), model first."""
        out = {"model": self.model}
        if self.mac is not None:
            out["macaddr"] = self.mac
        for key, value in self._values.items():
            if key != "macaddr":
                out[key] = value
        return out

    def describe(self):
        """Typed view for the audit: model, mac, bridge, tag, firewall, queues, link_down, rate, mtu, trunks."""

        def integer(key):
            value = self._values.get(key)
            return int(value) if value is not None else None

        def boolean(key):
            value = self._values.get(key)
            return parse_bool(value) if value is not None else None

        rate = self._values.get("rate")
        return {
            "model": self.model,
            "mac": self.mac,
            "bridge": self._values.get("bridge"),
            "tag": integer("tag"),
            "trunks": self._values.get("trunks"),
            "firewall": boolean("firewall"),
            "queues": integer("queues"),
            "link_down": boolean("link_down"),
            "rate": float(rate) if rate is not None else None,
            "mtu": integer("mtu"),
        }


def format_net(items):
    """``{model, macaddr, key: value ...}`` (or a list of pairs) -> a ``netN`` value: ``<model>=<MAC>`` (or the
    bare model) first, then the other items in the order given; booleans as 1/0, None values left out. The
    result is read back with :class:`NetValue`, so a value Proxmox would refuse raises ConfigSyntaxError."""
    pairs = list(items.items()) if isinstance(items, dict) else [tuple(pair) for pair in items or []]
    for pair in pairs:
        if len(pair) != 2:
            raise ConfigSyntaxError("expected [key, value] pairs, got %r" % (pair,))
    values = {}
    for key, value in pairs:
        values[str(key)] = value
    model = values.get("model")
    if model is None:
        raise ConfigSyntaxError("a NIC needs a model")
    mac = values.get("macaddr")
    parts = ["%s=%s" % (model, mac) if mac is not None else str(model)]
    for key, value in pairs:
        if key in ("model", "macaddr") or value is None:
            continue
        text = "%s=%s" % (key, int(value) if isinstance(value, bool) else value)
        if "," in text or "\n" in text:
            raise ConfigSyntaxError("item %r must not contain ',' or a newline" % text)
        parts.append(text)
    out = ",".join(parts)
    NetValue(out)
    return out
