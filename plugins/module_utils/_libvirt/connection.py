# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place the libvirt Python binding is loaded and a connection is opened (no Ansible imports).

The binding is imported lazily, when a task first needs it, so file backends and audits of files never
pay for it and a host without it gets one clear message naming the package to install.
"""

from __future__ import annotations

from .._common.errors import NicTuneError

INSTALL_HINT = (
    "the libvirt Python binding is not installed on this host: install python3-libvirt "
    "(Debian/Ubuntu, RHEL/Fedora) or 'pip install libvirt-python'"
)


def load_binding():
    """The ``libvirt`` module; NicTuneError naming the package to install when it cannot be imported."""
    try:
        import libvirt  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise NicTuneError("%s (import error: %s)" % (INSTALL_HINT, exc))
    return libvirt


def message(exc):
    """The text of a libvirt error (its own message where the binding gives one)."""
    get = getattr(exc, "get_error_message", None)
    text = get() if get else None
    return text or str(exc)


def connect(libvirt, uri, read_only=False):
    """An open connection to ``uri``; NicTuneError naming the URI when libvirt cannot be reached."""
    # libvirt prints every error on stderr by default; the callers report them themselves.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        conn = libvirt.openReadOnly(uri) if read_only else libvirt.open(uri)
    except libvirt.libvirtError as exc:
        raise NicTuneError(
            "cannot connect to libvirt at %s: %s (is libvirtd running on this host, and may this user use its socket?)"
            % (uri, message(exc))
        )
    if conn is None:  # pragma: no cover - old bindings returned None instead of raising
        raise NicTuneError("cannot connect to libvirt at %s" % uri)
    return conn
