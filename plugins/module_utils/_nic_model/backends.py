# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backends of nic_model / nic_model_info, registered in one place (no Ansible imports).

A *file backend* is a module with three pure functions:

* ``sniff(path) -> bool``: whether ``backend: auto`` should use it for ``path``;
* ``plan_file(path, data, options, warn) -> (new_data, result)``: the whole new content in memory and the
  per-domain result (domain, nics, skipped, reason ...), raising ``NicTuneError`` on bad input;
* ``describe_file(path, data, warn) -> dict``: the audit of one file.

Reading, error collection over many files, comparison, diff, backup and the atomic write are done once
for all of them by :mod:`.run`.

An *API backend* reaches its domains through a management interface (libvirt's API) and is an object
with ``apply(host, params, options)`` and ``info(host, params)`` returning the module result.

A file backend may also define ``host_facts(host)``: what it must know from the host before planning (which
VMs run, for VirtualBox); :mod:`.run` asks it once per task and passes it as ``options["host_facts"]``. A name
in both registries (``virtualbox``) is the file backend with ``path`` and the API backend without.
"""

from __future__ import annotations

from .._common.errors import NicTuneError
from .._libvirt import api as _libvirt_api
from .._libvirt import domain_xml as _libvirt_xml
from .._libvirt.connection import load_binding
from .._virtualbox import backend as _virtualbox
from .._virtualbox.manage import VBoxManageApi
from .._xen import backend as _xen


class LibvirtApi:
    """Persistent libvirt domain definitions through the libvirt API at ``uri``."""

    name = "libvirt"

    @staticmethod
    def apply(host, params, options):
        _no_paths(params)
        return _libvirt_api.apply(host, load_binding(), params["uri"], params["domains"], options)

    @staticmethod
    def info(host, params):
        _no_paths(params)
        return _libvirt_api.info(host, load_binding(), params["uri"], params["domains"])


def _no_paths(params):
    if params.get("path"):
        raise NicTuneError("path is not used with backend libvirt; give domains (and uri) instead")


FILE_BACKENDS = {"xen": _xen, "libvirt_xml": _libvirt_xml}
API_BACKENDS = {"libvirt": LibvirtApi}
# VirtualBox: .vbox files with path, registered VMs through VBoxManage without.
FILE_BACKENDS["virtualbox"] = _virtualbox
API_BACKENDS["virtualbox"] = VBoxManageApi
# backend: auto tries these in turn for a file; the last one takes every file the others did not.
AUTO_ORDER = ("virtualbox", "libvirt_xml", "xen")
CHOICES = ("auto", *sorted(set(FILE_BACKENDS) | set(API_BACKENDS)))


def file_backend(name, path):
    """The file backend module for ``name`` (``auto``: the first of AUTO_ORDER whose ``sniff`` accepts ``path``)."""
    if name == "auto":
        for candidate in AUTO_ORDER:
            if FILE_BACKENDS[candidate].sniff(path):
                return candidate, FILE_BACKENDS[candidate]
        name = AUTO_ORDER[-1]
    return name, FILE_BACKENDS[name]
