# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What nic_model (:func:`apply`) and nic_model_info (:func:`info`) do, for every backend (no Ansible imports).

``host`` is the narrow object of :mod:`.._common.host`; ``params`` the module's parameters. File backends
(see :mod:`.backends`) share the workflow here: expand ``path``; open every file (regular files only, of bounded
size) and, in a run that writes, lock them all and remove the temporaries killed runs left beside them; read and
plan every file; only when every file could be planned and the result can be reported, write the changed ones
(not in check mode), with diff and backup; then release the locks. Every result is valid UTF-8 whatever bytes the
files hold (:func:`.._common.values.reportable`), for API backends too.
"""

from __future__ import annotations

import json
import os
import time

from .._common import files as _files
from .._common.errors import NicTuneError
from .._common.models import check_model_name
from .._common.selection import normalise_match
from .._common.values import reportable
from .backends import API_BACKENDS, FILE_BACKENDS, file_backend

_QUEUES_LIBVIRT_ONLY = (
    "queues (multi-queue virtio, <driver queues='N'/>) is written for libvirt domains only: backend libvirt, or "
    "libvirt domain XML files"
)


def _options(params):
    model = params.get("model")
    return {
        "model": None if model is None else check_model_name(model),
        "xen_type": params.get("xen_type"),
        "pin_mac": params.get("pin_mac", False),
        "backup": params.get("backup", False),
        "match": normalise_match(params.get("match")),
        "apply": params.get("apply") or "config",
        "queues": params.get("queues"),
        "detach_timeout": params.get("detach_timeout") or 20,
    }


def _collect(configs, backend, work):
    """Run ``work(name, module, config)`` on every opened file; raise one error naming every file that failed."""
    outputs = []
    problems = []
    for config in configs:
        path = config.path
        try:
            if config.error is not None:
                raise config.error
            name, module = file_backend(backend, path)
            outputs.append(work(name, module, config))
        except NicTuneError as exc:
            if exc.path is None:
                exc = NicTuneError(exc.reason, path=path, line=exc.line)
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        summary = "%d of %d files cannot be used; nothing was written" % (len(problems), len(configs))
        raise NicTuneError(summary, problems=problems)
    return outputs


def _diff(path, before, after):
    return {
        "before": before.decode("utf-8", "backslashreplace"),
        "after": after.decode("utf-8", "backslashreplace"),
        "before_header": "%s (before)" % path,
        "after_header": "%s (after)" % path,
    }


def _json_problem(out):
    """Why ``out`` cannot be sent as JSON in UTF-8 (bytes, text that is not UTF-8, other objects), or None."""
    try:
        json.dumps(out, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        return exc
    return None


def _checked_result(out):
    """``out`` made valid UTF-8 and proven serialisable as JSON, before anything is written."""
    if _json_problem(out) is None:
        return out  # the usual case: no walk over the whole result
    out = reportable(out)
    problem = _json_problem(out)
    if problem is not None:
        raise NicTuneError("the result cannot be reported (%s); nothing was written" % problem)
    return out


def _hard_link_warning(config):
    links = config.stat.st_nlink
    if links > 1:
        return (
            "%s has %d hard links: it is replaced by a new file, so its other names keep the old content "
            "(edit the file under each name, or replace the hard links by symlinks)" % (config.path, links - 1)
        )
    return None


def _apply_files(host, paths, backend, options, write=None):
    """Plan every file, then (not in check mode) write the changed ones. Returns the module result.

    ``write(path, new_data, backup, result)``, when given, replaces ``host.write_file`` for a backend that hands
    some changes to the hypervisor's own tool (Proxmox's ``qm set``); it returns the backup file name or None
    and may complete ``result``. A planned ``restart_required`` is kept.
    """
    started = time.time()
    writing = not host.check_mode
    backup = options.get("backup", False)
    asked = {}

    def plan(name, module, config):
        path, data = config.path, config.data
        if options.get("queues") is not None and name != "libvirt_xml":
            raise NicTuneError("%s; this is a %s file" % (_QUEUES_LIBVIRT_ONLY, name), path=path)
        if name not in asked:  # what the backend must know from the host (e.g. which VMs run), asked once
            asked[name] = module.host_facts(host) if hasattr(module, "host_facts") else None
        new_data, result = module.plan_file(path, data, dict(options, host_facts=asked[name]), host.warn)
        if new_data != data:
            _files.check_writable(path)
            if backup:
                _files.check_backup_directory(path)
            warning = _hard_link_warning(config)
            if warning:
                host.warn(warning)
        return name, path, data, new_data, result

    with _files.open_configs(paths, lock=writing, warn=host.warn) as configs:
        if writing:
            removed = _files.remove_stale_temporaries([c.path for c in configs if c.error is None], started)
            if removed:
                host.warn(
                    "removed %d temporary file(s) left by interrupted runs: %s" % (len(removed), ", ".join(removed))
                )
        planned = _collect(configs, backend, plan)
        results, diffs, writes = [], [], []
        for name, path, data, new_data, planned_result in planned:
            changed = new_data != data
            result = dict(planned_result, path=path, realpath=os.path.realpath(path), backend=name, changed=changed)
            result.setdefault("restart_required", changed)
            if changed:
                if host.diff_mode:
                    diffs.append(_diff(path, data, new_data))
                writes.append((len(results), path, new_data))
            results.append(result)
        out = {"changed": bool(writes), "results": results}
        if host.diff_mode:
            out["diff"] = diffs
        out = _checked_result(out)
        if writing:
            _write(host, out["results"], writes, backup, write)
    return out


def _write(host, results, writes, backup, write=None):
    done = []
    for index, path, new_data in writes:
        try:
            if write is None:
                backup_file = host.write_file(path, new_data, backup=backup)
            else:
                backup_file = write(path, new_data, backup, results[index])
        except NicTuneError as exc:
            if done:
                exc = NicTuneError(
                    "%s (files written before: %s)" % (exc.reason, ", ".join(done)), path=exc.path, line=exc.line
                )
            raise exc
        done.append(path)
        if backup_file:
            results[index]["backup_file"] = reportable(backup_file)


def _describe_files(host, paths, backend):
    def describe(name, module, config):
        found = module.describe_file(config.path, config.data, host.warn)
        return dict(found, path=config.path, realpath=os.path.realpath(config.path), backend=name)

    with _files.open_configs(paths) as configs:
        domains = _collect(configs, backend, describe)
    return _checked_result({"changed": False, "domains": domains})


def _check_path(params):
    """An empty ``path`` list (an empty inventory variable) is an error, never "every domain"."""
    if params.get("path") is not None and not params["path"]:
        raise NicTuneError(
            "path is an empty list: give at least one file or glob (an empty list never stands for every domain; "
            "to work on libvirt domains, leave path out and set backend: libvirt)"
        )


def _api_backend(params):
    backend = params["backend"]
    api = API_BACKENDS.get(backend)
    if api is not None and (
        getattr(api, "takes_paths", False) or not (params.get("path") and backend in FILE_BACKENDS)
    ):
        return api
    if backend == "auto":
        for candidate in API_BACKENDS.values():
            if hasattr(candidate, "claims") and candidate.claims(params):
                return candidate
        if params.get("path") is None:
            return API_BACKENDS["virtualbox" if params.get("vms") else "libvirt"]
    return None


def _paths(host, params):
    if not params.get("path"):
        raise NicTuneError("backend %s needs path" % params["backend"])
    if params.get("domains"):
        raise NicTuneError("domains is only used with backend libvirt; with files, select them with path")
    if params.get("vms"):
        raise NicTuneError("vms is only used with backend virtualbox without path; with files, select them with path")
    return _files.expand_paths([os.path.expanduser(p) for p in params["path"]], warn=host.warn)


def _warn_if_nothing_selected(host, options, out):
    results = out.get("results") or []
    if options["match"] and results and not any(n.get("selected") for r in results for n in r.get("nics") or []):
        host.warn(
            "match selected no NIC in the %d domain(s) of this task (match: %s); nothing was changed"
            % (len(results), json.dumps(options["match"], sort_keys=True))
        )


def apply(host, params):
    """nic_model: set the model of the selected NICs. Returns the module result."""
    _check_path(params)
    options = _options(params)
    api = _api_backend(params)
    if options["apply"] != "config" and getattr(api, "name", None) != "libvirt":
        raise NicTuneError(
            "apply: %s swaps the NICs of running domains through the libvirt API: it needs backend libvirt (files "
            "are changed for the next start only; leave apply at config)" % options["apply"]
        )
    if options["queues"] is not None and api is not None and getattr(api, "name", None) != "libvirt":
        raise NicTuneError(_QUEUES_LIBVIRT_ONLY)
    if api is not None:
        out = _checked_result(api.apply(host, params, options))
    else:
        out = _apply_files(host, _paths(host, params), params["backend"], options)
    _warn_if_nothing_selected(host, options, out)
    return out


def info(host, params):
    """nic_model_info: every domain and NIC. Returns the module result."""
    _check_path(params)
    api = _api_backend(params)
    if api is not None:
        out = _checked_result(api.info(host, params))
    else:
        out = _describe_files(host, _paths(host, params), params["backend"])
    # what was read, as asked: the audit keeps the whole result as the hypervisor's nic_model_audit
    for key in ("backend", "uri", "path"):
        out.setdefault(key, params.get(key))
    return out


def failure(exc):
    """The ``fail_json`` arguments for a NicTuneError: message and located problems, valid UTF-8."""
    return reportable({"msg": str(exc), "problems": [p.as_dict() for p in exc.problems]})
