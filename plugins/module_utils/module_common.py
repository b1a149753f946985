# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What nic_model and nic_model_info share: the argument spec and the dispatch to backends.

No Ansible imports: ``module`` is used only for ``params`` and is passed on as the narrow ``host``
(``check_mode``, ``diff_mode``, ``warn``, ``write_file``) to the rest.

File backends (Xen configs, domain XML files) expose two pure functions per backend:

* ``plan_file(path, data, options, warn) -> (new_data, result)``: the whole new content in memory and
  the per-domain result (domain, nics, skipped, reason ...), raising ``NicTuneError`` on bad input;
* ``describe_file(path, data, warn) -> dict``: the audit of one file.

Reading, error collection over many files, comparison, diff, backup and the atomic write live here,
once, for both.
"""

from __future__ import annotations

import os

from . import libvirt_xml as _libvirt_xml
from . import xen as _xen
from .errors import NicTuneError
from .file_writer import check_writable
from .paths import expand_paths, looks_like_domain_xml
from .selection import normalise_match

FILE_BACKENDS = {"xen": _xen, "libvirt_xml": _libvirt_xml}


def argument_spec(with_match=False):
    spec = dict(
        backend=dict(type="str", default="auto", choices=["auto", "xen", "libvirt", "libvirt_xml"]),
        path=dict(type="list", elements="path"),
        uri=dict(type="str", default="qemu:///system"),
        domains=dict(type="list", elements="str"),
    )
    if with_match:
        spec["match"] = dict(
            type="dict",
            options=dict(
                index=dict(type="list", elements="int"),
                mac=dict(type="list", elements="str"),
                bridge=dict(type="list", elements="str"),
                model=dict(type="list", elements="str"),
            ),
        )
    return spec


def _file_backend_for(backend, path):
    if backend != "auto":
        return backend
    return "libvirt_xml" if looks_like_domain_xml(path) else "xen"


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise NicTuneError("cannot read: %s" % (exc.strerror or exc), path=path)


def _collect(paths, backend, work):
    """Run ``work(name, path, data)`` on every file; raise one error naming every file that failed."""
    outputs = []
    problems = []
    for path in paths:
        name = _file_backend_for(backend, path)
        try:
            outputs.append(work(name, path, _read(path)))
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


def apply_files(host, paths, backend, options):
    """Plan every file, then (not in check mode) write the changed ones. Returns the module result."""

    def plan(name, path, data):
        new_data, result = FILE_BACKENDS[name].plan_file(path, data, options, host.warn)
        if new_data != data:
            check_writable(path)
        return name, path, data, new_data, result

    planned = _collect(paths, backend, plan)
    results, diffs = [], []
    any_changed = False
    for name, path, data, new_data, planned_result in planned:
        changed = new_data != data
        result = dict(planned_result, path=path, backend=name, changed=changed, restart_required=changed)
        if changed:
            any_changed = True
            if host.diff_mode:
                diffs.append(_diff(path, data, new_data))
            if not host.check_mode:
                backup_file = host.write_file(path, new_data, backup=options.get("backup", False))
                if backup_file:
                    result["backup_file"] = backup_file
        results.append(result)
    out = {"changed": any_changed, "results": results}
    if host.diff_mode:
        out["diff"] = diffs
    return out


def describe_files(host, paths, backend):
    def describe(name, path, data):
        return dict(FILE_BACKENDS[name].describe_file(path, data, host.warn), path=path, backend=name)

    return {"changed": False, "domains": _collect(paths, backend, describe)}


def run_backends(module, host, action, load_libvirt=None):
    """Dispatch ``action`` (``apply`` or ``info``) to the backend the parameters ask for.

    ``load_libvirt()`` returns ``(libvirt module or None, import error text or None)``; it is called only
    when the libvirt backend is used, so file audits never pay for importing the binding.
    """
    params = module.params
    backend = params["backend"]
    options = {
        "model": params.get("model"),
        "xen_type": params.get("xen_type"),
        "pin_mac": params.get("pin_mac", False),
        "backup": params.get("backup", False),
        "match": normalise_match(params.get("match")),
    }
    if backend == "libvirt" or (backend == "auto" and not params["path"]):
        if params["path"]:
            raise NicTuneError("path is not used with backend libvirt; give domains (and uri) instead")
        libvirt, libvirt_import_error = load_libvirt() if load_libvirt else (None, None)
        if libvirt is None:
            detail = ""
            if libvirt_import_error:
                detail = " (import error: %s)" % libvirt_import_error.strip().splitlines()[-1]
            raise NicTuneError(
                "the libvirt Python binding is not installed on this host: install python3-libvirt "
                "(Debian/Ubuntu, RHEL/Fedora) or 'pip install libvirt-python'" + detail
            )
        from . import libvirt_api  # pylint: disable=import-outside-toplevel

        if action == "apply":
            return libvirt_api.apply(host, libvirt, params["uri"], params["domains"], options)
        return libvirt_api.info(host, libvirt, params["uri"], params["domains"])

    if not params["path"]:
        raise NicTuneError("backend %s needs path" % backend)
    if params["domains"]:
        raise NicTuneError("domains is only used with backend libvirt; with files, select them with path")
    paths = expand_paths([os.path.expanduser(p) for p in params["path"]], warn=host.warn)
    if action == "apply":
        return apply_files(host, paths, backend, options)
    return describe_files(host, paths, backend)
