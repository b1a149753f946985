# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side data handling shared by the collection's filters and action plugins."""

from __future__ import annotations


def plain(value):
    """Templated values (Ansible's tagged and lazy containers) as plain dicts, lists, str, int, float, bool."""
    if isinstance(value, dict) or (hasattr(value, "items") and callable(value.items)):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (str, bytes)):
        return str(value) if isinstance(value, str) else value
    return value
