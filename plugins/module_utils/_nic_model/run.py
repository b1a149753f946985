# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What nic_model (:func:`apply`) and nic_model_info (:func:`info`) do, for every backend (no Ansible imports).

``host`` is the narrow object of :mod:`.._common.host`; ``params`` the module's parameters. File backends
(see :mod:`.backends`) share the workflow here: expand ``path``, read and plan every file, and only when
every file could be planned, write the changed ones (not in check mode), with diff and backup.
"""

from __future__ import annotations

import os

from .._common.errors import NicTuneError
from .._common.files import check_writable, expand_paths, read_bytes
from .._common.selection import normalise_match
from .backends import API_BACKENDS, file_backend


def _options(params):
    return {
        "model": params.get("model"),
        "xen_type": params.get("xen_type"),
        "pin_mac": params.get("pin_mac", False),
        "backup": params.get("backup", False),
        "match": normalise_match(params.get("match")),
    }


def _collect(paths, backend, work):
    """Run ``work(name, module, path, data)`` on every file; raise one error naming every file that failed."""
    outputs = []
    problems = []
    for path in paths:
        name, module = file_backend(backend, path)
        try:
            outputs.append(work(name, module, path, read_bytes(path)))
        except NicTuneError as exc:
            if exc.path is None:
                exc = NicTuneError(exc.reason, path=path, line=exc.line)
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        summary = "%d of %d files cannot be used; nothing was written" % (len(problems), len(paths))
        raise NicTuneError(summary, problems=problems)
    return outputs


def _diff(path, before, after):
    return {
        "before": before.decode("utf-8", "surrogateescape"),
        "after": after.decode("utf-8", "surrogateescape"),
        "before_header": "%s (before)" % path,
        "after_header": "%s (after)" % path,
    }


def _apply_files(host, paths, backend, options, write=None):
    """Plan every file, then (not in check mode) write the changed ones. Returns the module result.

    ``write(path, new_data, backup, result)``, when given, replaces ``host.write_file`` for a backend that hands
    some changes to the hypervisor's own tool (Proxmox's ``qm set``); it returns the backup file name or None
    and may complete ``result``. A planned ``restart_required`` is kept.
    """

    def plan(name, module, path, data):
        new_data, result = module.plan_file(path, data, options, host.warn)
        if new_data != data:
            check_writable(path)
        return name, path, data, new_data, result

    planned = _collect(paths, backend, plan)
    results, diffs = [], []
    any_changed = False
    for name, path, data, new_data, planned_result in planned:
        changed = new_data != data
        result = dict(planned_result, path=path, realpath=os.path.realpath(path), backend=name, changed=changed)
        result.setdefault("restart_required", changed)
        if changed:
            any_changed = True
            if host.diff_mode:
                diffs.append(_diff(path, data, new_data))
            if not host.check_mode:
                if write is None:
                    backup_file = host.write_file(path, new_data, backup=options.get("backup", False))
                else:
                    backup_file = write(path, new_data, options.get("backup", False), result)
                if backup_file:
                    result["backup_file"] = backup_file
        results.append(result)
    out = {"changed": any_changed, "results": results}
    if host.diff_mode:
        out["diff"] = diffs
    return out


def _describe_files(host, paths, backend):
    def describe(name, module, path, data):
        found = module.describe_file(path, data, host.warn)
        return dict(found, path=path, realpath=os.path.realpath(path), backend=name)

    return {"changed": False, "domains": _collect(paths, backend, describe)}


def _api_backend(params):
    backend = params["backend"]
    if backend in API_BACKENDS:
        return API_BACKENDS[backend]
    for api in API_BACKENDS.values():
        if backend == "auto" and hasattr(api, "claims") and api.claims(params):
            return api
    if backend == "auto" and not params.get("path"):
        return API_BACKENDS["libvirt"]
    return None


def _paths(host, params):
    if not params.get("path"):
        raise NicTuneError("backend %s needs path" % params["backend"])
    if params.get("domains"):
        raise NicTuneError("domains is only used with backend libvirt; with files, select them with path")
    return expand_paths([os.path.expanduser(p) for p in params["path"]], warn=host.warn)


def apply(host, params):
    """nic_model: set the model of the selected NICs. Returns the module result."""
    options = _options(params)
    api = _api_backend(params)
    if api is not None:
        return api.apply(host, params, options)
    return _apply_files(host, _paths(host, params), params["backend"], options)


def info(host, params):
    """nic_model_info: every domain and NIC. Returns the module result."""
    api = _api_backend(params)
    if api is not None:
        return api.info(host, params)
    return _describe_files(host, _paths(host, params), params["backend"])
