# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small conversions every core needs (no Ansible imports)."""

from __future__ import annotations


def number(value):
    """``value`` as an int or float, or None when it is not a number (booleans are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reportable(value):
    """``value`` (dicts, lists, text, bytes ...) with every string valid UTF-8, as a module must return it.

    Text read from files keeps bytes that are not UTF-8 as surrogate escapes; the controller refuses such a
    result. Here they become ``\\xNN`` (and any other lone surrogate ``\\udNNN``); bytes are decoded the same way.
    Only what is reported changes: files are written from their own bytes.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            try:
                raw = value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
            return raw.decode("utf-8", "backslashreplace")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {reportable(key): reportable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [reportable(item) for item in value]
    return value
