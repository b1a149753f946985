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
Proxmox VE is both: its configs are files (the file core ``_proxmox.backend`` is registered as a file
backend), and on a Proxmox node the change goes through ``qm set`` so Proxmox locks, checks and (for running
VMs) hot-swaps. :class:`ProxmoxApi` runs the shared file workflow with the write step of ``_proxmox.qm``.
With ``backend: auto``, an API backend whose ``claims(params)`` is true takes the task.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .._common.errors import NicTuneError
from .._common.files import expand_paths


class _Registry(Mapping):
    """Backend name -> backend, each imported when it is first asked for.

    A module run on a host compiles every module it imports anew (the payload is a zip), so a task loads the
    code of the backends it uses only: a Xen audit never compiles the libvirt, Proxmox or VirtualBox cores.
    The loaders import explicitly, so that Ansible still ships every backend with the module.
    """

    def __init__(self, loaders):
        self._loaders = loaders
        self._loaded = {}

    def __getitem__(self, name):
        if name not in self._loaded:
            self._loaded[name] = self._loaders[name]()
        return self._loaded[name]

    def __setitem__(self, name, backend):  # a stand-in, in tests
        self._loaded[name] = backend

    def __contains__(self, name):
        return name in self._loaders

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self):
        return len(self._loaders)


def _load_xen():
    from .._xen import backend

    return backend


def _load_libvirt_xml():
    from .._libvirt import domain_xml

    return domain_xml


def _load_proxmox():
    from .._proxmox import backend

    return backend


def _load_virtualbox():
    from .._virtualbox import backend

    return backend


class LibvirtApi:
    """Persistent libvirt domain definitions through the libvirt API at ``uri``."""

    name = "libvirt"

    @staticmethod
    def apply(host, params, options):
        from .._libvirt import api
        from .._libvirt.connection import load_binding

        _no_paths(params)
        return api.apply(host, load_binding(), params["uri"], params["domains"], options)

    @staticmethod
    def info(host, params):
        from .._libvirt import api
        from .._libvirt.connection import load_binding

        _no_paths(params)
        return api.info(host, load_binding(), params["uri"], params["domains"])


def _no_paths(params):
    if params.get("path"):
        raise NicTuneError("path is not used with backend libvirt; give domains (and uri) instead")


class VirtualBoxApi:
    """The VMs VirtualBox has registered, through VBoxManage (``vms``; without ``path``)."""

    name = "virtualbox"

    @staticmethod
    def apply(host, params, options):
        from .._virtualbox import manage

        return manage.apply(host, params, options)

    @staticmethod
    def info(host, params):
        from .._virtualbox import manage

        return manage.info(host, params)


class ProxmoxApi:
    """Proxmox VE qemu-server configs: ``path`` or ``vmids`` (+ ``node``); ``qm set`` or file writes."""

    name = "proxmox"
    takes_paths = True

    @staticmethod
    def claims(params):
        """``backend: auto`` with ``vmids``, or with paths that are all ``qemu-server/<vmid>.conf`` files."""
        paths = params.get("path") or []
        return bool(params.get("vmids")) or (bool(paths) and all(FILE_BACKENDS["proxmox"].sniff(p) for p in paths))

    @staticmethod
    def _paths(host, params):
        if params.get("domains"):
            raise NicTuneError("domains is for backend libvirt; select Proxmox VMs with vmids (and node) or path")
        if params.get("path") and params.get("vmids"):
            raise NicTuneError("give either path or vmids, not both")
        patterns = params.get("path") or FILE_BACKENDS["proxmox"].config_paths(params.get("vmids"), params.get("node"))
        return expand_paths([os.path.expanduser(p) for p in patterns], warn=host.warn)

    @classmethod
    def apply(cls, host, params, options):
        from .._proxmox import qm as _qm
        from . import run  # the shared file workflow (run imports this module)

        _proxmox = FILE_BACKENDS["proxmox"]
        paths = cls._paths(host, params)
        via = _qm.resolve_via(host, params.get("proxmox_mode"))
        options = dict(options, proxmox_pending=params.get("proxmox_pending"), proxmox_via=via)
        if via == "qm":
            # which VMs run, and which node each config belongs to (qm reaches this node's VMs only)
            options.update(
                proxmox_states=_qm.vm_states(host),
                proxmox_local_node=_qm.local_node(),
                proxmox_nodes={p: _proxmox.node_of(os.path.realpath(p)) for p in paths},
            )
        out = run._apply_files(host, paths, cls.name, options, write=_qm.writer(host))
        cls._nodes(out["results"])
        return out

    @staticmethod
    def _nodes(entries):
        for entry in entries:
            entry["node"] = entry["node"] or FILE_BACKENDS["proxmox"].node_of(entry["realpath"])

    @classmethod
    def info(cls, host, params):
        from .._proxmox import qm as _qm
        from . import run  # the shared file workflow (run imports this module)

        paths = cls._paths(host, params)
        via = _qm.resolve_via(host, params.get("proxmox_mode"))
        states = _qm.vm_states(host) if via == "qm" else {}
        out = run._describe_files(host, paths, cls.name)
        cls._nodes(out["domains"])
        for domain in out["domains"]:
            domain["state"] = states.get(domain["vmid"])
        return out


FILE_BACKENDS = _Registry(
    {"xen": _load_xen, "libvirt_xml": _load_libvirt_xml, "proxmox": _load_proxmox, "virtualbox": _load_virtualbox}
)
# VirtualBox: .vbox files with path, registered VMs through VBoxManage without. Proxmox: always ProxmoxApi, which
# takes paths itself (qm set on a Proxmox node, the shared file workflow elsewhere).
API_BACKENDS = {"libvirt": LibvirtApi, "proxmox": ProxmoxApi, "virtualbox": VirtualBoxApi}
# backend: auto tries these in turn for a file; the last one takes every file the others did not.
AUTO_ORDER = ("virtualbox", "libvirt_xml", "proxmox", "xen")
CHOICES = ("auto", *sorted(set(FILE_BACKENDS) | set(API_BACKENDS)))


def file_backend(name, path):
    """The file backend module for ``name`` (``auto``: the first of AUTO_ORDER whose ``sniff`` accepts ``path``)."""
    if name == "auto":
        for candidate in AUTO_ORDER:
            if FILE_BACKENDS[candidate].sniff(path):
                return candidate, FILE_BACKENDS[candidate]
        name = AUTO_ORDER[-1]
    return name, FILE_BACKENDS[name]
