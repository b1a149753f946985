# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The narrow object through which the pure cores touch the system (no Ansible imports).

Cores use exactly: ``check_mode``, ``diff_mode``, ``warn(msg)`` and ``write_file(path, data, backup)``.
Tests pass a small fake with the same four members.
"""

from __future__ import annotations

from .file_writer import write_atomically


class ModuleHost:
    """Adapter from an ``AnsibleModule`` to the interface the cores use."""

    def __init__(self, module):
        self._module = module
        self.check_mode = bool(module.check_mode)
        self.diff_mode = bool(getattr(module, "_diff", False))

    def warn(self, msg):
        self._module.warn(msg)

    def write_file(self, path, data, backup=False):
        """Atomically replace ``path`` with ``data``; returns the backup file name or None."""
        return write_atomically(self._module, path, data, backup=backup)
