# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's controller-side steps (action plugins) share: their options come from the
DOCUMENTATION of their module file (one home for the spec), are checked before anything runs, and a core's
``NicTuneError`` becomes the task's failure message."""

from __future__ import annotations

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.plugin_utils.data import plain

_SPEC_KEYS = ("type", "elements", "required", "default", "choices", "no_log")


def _options_spec(options):
    spec = {}
    for name, doc in (options or {}).items():
        entry = {key: doc[key] for key in _SPEC_KEYS if key in doc}
        if doc.get("suboptions"):
            entry["options"] = _options_spec(doc["suboptions"])
        spec[name] = entry
    return spec


def spec_from_doc(documentation):
    """The argument spec described by a module's DOCUMENTATION string."""
    return _options_spec((yaml.safe_load(documentation) or {}).get("options"))


class NictuneAction(ActionBase):
    """Base of the collection's action plugins: subclasses set DOCUMENTATION and implement ``work``."""

    DOCUMENTATION = ""
    TRANSFERS_FILES = False
    _requires_connection = False

    def work(self, args, task_vars):  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    def host_var(self, task_vars, host, name, default=None):
        """Variable ``name`` of inventory host ``host`` as plain data (``default`` when the host or it is missing)."""
        hostvars = task_vars.get("hostvars") or {}
        if host not in hostvars:
            return default
        found = hostvars[host]
        return plain(found[name]) if name in found else default

    @property
    def check_mode(self):
        return bool(self._task.check_mode or self._play_context.check_mode)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(spec_from_doc(self.DOCUMENTATION)).validate(plain(self._task.args))
        if validated.error_messages:
            result.update(failed=True, msg="; ".join(validated.error_messages))
            return result
        try:
            result.update(self.work(validated.validated_parameters, task_vars or {}))
        except NicTuneError as exc:
            result.update(failed=True, msg=str(exc))
        return result
