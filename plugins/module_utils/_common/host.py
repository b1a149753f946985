# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The narrow object through which the pure cores touch the managed host (no Ansible imports).

Cores use exactly these members, and tests pass a small fake with the same ones:

* ``check_mode``, ``diff_mode`` (booleans);
* ``warn(msg)``;
* ``run_command(argv) -> (rc, stdout, stderr)`` (text, ``LC_ALL=C``);
* ``which(name) -> path or None``: whether the host has a program (``run_command`` of a missing one fails the
  module);
* ``write_file(path, data, backup=False) -> backup file name or None`` (atomic replace of a config);
* ``recall(key)`` / ``remember(key, value)``: a small JSON cache on the host (best effort), for answers that
  are slow to get and change only with a package update (the NIC models an emulator offers).
"""

from __future__ import annotations

import json
import os
import tempfile

from .files import write_atomically

CACHE_FILE = "nictune-cache.json"


def cache_path():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nictune", CACHE_FILE)


class JsonCache:
    """A dictionary kept in one JSON file; a cache that cannot be read or written is simply empty."""

    def __init__(self, path=None):
        self.path = path or cache_path()
        self._data = None

    def _load(self):
        if self._data is None:
            try:
                with open(self.path) as handle:
                    data = json.load(handle)
                self._data = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def recall(self, key):
        return self._load().get(key)

    def remember(self, key, value):
        data = self._load()
        data[key] = value
        try:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".nictune-cache.")
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass


class ModuleHost:
    """Adapter from an ``AnsibleModule`` to the interface the cores use."""

    def __init__(self, module, cache=None):
        self._module = module
        self._cache = cache or JsonCache()
        self.check_mode = bool(module.check_mode)
        self.diff_mode = bool(getattr(module, "_diff", False))

    def warn(self, msg):
        self._module.warn(msg)

    def run_command(self, argv):
        rc, out, err = self._module.run_command(argv, environ_update={"LC_ALL": "C"})
        return rc, out, err

    def which(self, name):
        return self._module.get_bin_path(name)

    def write_file(self, path, data, backup=False):
        """Atomically replace ``path`` with ``data``; returns the backup file name or None."""
        return write_atomically(self._module, path, data, backup=backup)

    def recall(self, key):
        return self._cache.recall(key)

    def remember(self, key, value):
        self._cache.remember(key, value)
