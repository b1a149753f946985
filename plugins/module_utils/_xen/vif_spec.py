# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xen vif spec strings (``mac=00:16:3e:..,bridge=xenbr0,model=e1000``): read and edit losslessly.

xl splits a spec at every comma (empty items are skipped), drops the spaces (not tabs) in front of
each item, and matches ``key=`` exactly (keys are case-sensitive; the value runs to the next comma,
trailing spaces included, so ``ip=10.0.0.1 10.0.0.2`` is one value). A later item overrides an
earlier one with the same key. The empty spec ``''`` is a NIC with every default.

:class:`VifSpec` keeps every character it does not change: order, spacing and case of the items.
"""

from __future__ import annotations

from .._common.errors import NicTuneError


class VifSpec:
    """A vif spec as a list of comma-separated segments, each kept as written."""

    __slots__ = ("_segments",)

    def __init__(self, text=""):
        self._segments = text.split(",")

    @classmethod
    def parse(cls, text):
        return cls(text)

    @staticmethod
    def _split(segment):
        """(lead, key, value): value None for an item without '=', key '' for an empty segment."""
        body = segment.lstrip(" ")
        lead = segment[: len(segment) - len(body)]
        key, sep, value = body.partition("=")
        return lead, key, (value if sep else None)

    def _find(self, key):
        for pos in range(len(self._segments) - 1, -1, -1):
            _lead, seg_key, value = self._split(self._segments[pos])
            if seg_key == key and value is not None:
                return pos
        return None

    def items(self):
        """[(key, value)] in written order, empty segments left out; value None for a bare word."""
        out = []
        for segment in self._segments:
            _lead, key, value = self._split(segment)
            if key or value is not None:
                out.append((key, value))
        return out

    def keys(self):
        return [key for key, _value in self.items()]

    def get(self, key, default=None):
        """The value in force for ``key`` (the last ``key=`` item), or ``default``."""
        pos = self._find(key)
        if pos is None:
            return default
        return self._split(self._segments[pos])[2]

    def __contains__(self, key):
        return self._find(key) is not None

    def _separator(self):
        """The separator this spec uses between items: ',' or ',' plus the spaces it puts after commas."""
        for segment in reversed(self._segments[1:]):
            lead, key, value = self._split(segment)
            if key or value is not None:
                return "," + lead
        return ","

    def set(self, key, value):
        """Set ``key`` to ``value``: in place where the key is written (the last such item), else appended."""
        _check_item(key, value)
        pos = self._find(key)
        if pos is not None:
            lead = self._split(self._segments[pos])[0]
            self._segments[pos] = "%s%s=%s" % (lead, key, value)
            return
        item = "%s=%s" % (key, value)
        last = self._segments[-1]
        lead, last_key, last_value = self._split(last)
        if not last_key and last_value is None:
            # empty spec, or a trailing comma: the new item goes into that empty last segment
            self._segments[-1] = last + item
        else:
            sep = self._separator()
            self._segments.append(sep[1:] + item)

    def to_text(self):
        return ",".join(self._segments)

    __str__ = to_text

    def __repr__(self):
        return "VifSpec(%r)" % self.to_text()


def _check_item(key, value):
    key = str(key)
    if not key or "=" in key or "," in key or key != key.strip():
        raise NicTuneError("not a usable vif spec key: %r" % (key,))
    if value is not None and ("," in str(value) or "\n" in str(value)):
        raise NicTuneError("a vif spec value cannot contain a comma or a newline: %s=%r" % (key, value))


def parse_vif(text):
    """A vif spec string as a dict {key: value} (the value in force per key; None for a bare word)."""
    if text is None:
        return {}
    out = {}
    for key, value in VifSpec(str(text)).items():
        out.pop(key, None)  # keep the position of the item in force
        out[key] = value
    return out


def format_vif(items, sep=","):
    """A dict or a list of (key, value) pairs as a vif spec string; a None value writes the bare key."""
    if items is None:
        return ""
    pairs = items.items() if isinstance(items, dict) else items
    parts = []
    for pair in pairs:
        try:
            key, value = pair
        except (TypeError, ValueError):
            raise NicTuneError("vif items must be (key, value) pairs, got %r" % (pair,))
        _check_item(key, value)
        if value is None:
            parts.append(str(key))
        elif isinstance(value, bool):
            parts.append("%s=%d" % (key, int(value)))
        else:
            parts.append("%s=%s" % (key, value))
    return sep.join(parts)
