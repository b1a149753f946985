# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Advisory locks that keep concurrent runs on the same host from losing each other's changes (no Ansible imports).

Two kinds, both ``flock(2)`` locks that the kernel drops when the process ends (also on ``kill -9``):

* a config file is locked on its own inode (see :func:`.files.open_configs`);
* a libvirt domain, which has no file of its own to lock, is locked through a small lock file named after its
  UUID in a private directory of the user (:func:`named_lock`): ``/run/lock/nictune`` for root,
  ``$XDG_RUNTIME_DIR/nictune`` or ``<tmp>/nictune-<uid>`` otherwise.

Only runs of this collection take these locks: other programs (an editor, ``virsh edit``) do not wait for them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import time

from .errors import NicTuneError

#: How long a run waits for another run's lock before it gives up, in seconds.
LOCK_TIMEOUT = 120.0
_BUSY = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
_UNSUPPORTED = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF)


def acquire(fd, what, timeout=None):
    """Take an exclusive ``flock`` on ``fd``, waiting up to ``timeout`` seconds (default :data:`LOCK_TIMEOUT`).

    Returns True when locked, False when the file system offers no locks (the caller may warn). Raises
    NicTuneError naming ``what`` when another run holds the lock for longer than the timeout.
    """
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno in _UNSUPPORTED:
                return False
            if exc.errno not in _BUSY:
                raise NicTuneError("cannot lock %s: %s" % (what, exc.strerror or exc))
        if time.monotonic() >= deadline:
            raise NicTuneError(
                "%s is locked by another run of nictune.fleet for more than %d s; nothing was changed" % (what, timeout)
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def lock_directory():
    """The private directory for named locks of this user; created 0700 when missing, refused when not private."""
    euid = os.geteuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if euid == 0 and os.path.isdir("/run/lock"):
        path = "/run/lock/nictune"
    elif runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, "nictune")
    else:
        path = os.path.join(tempfile.gettempdir(), "nictune-%d" % euid)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise NicTuneError("cannot make the lock directory %s: %s" % (path, exc.strerror or exc))
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != euid or st.st_mode & 0o077:
        raise NicTuneError(
            "the lock directory %s is not a private directory of this user (mode 0700, owned by uid %d); remove it"
            % (path, euid)
        )
    return path


@contextlib.contextmanager
def named_lock(name, what, timeout=None):
    """Hold the lock ``name`` (a file name: letters, digits, ``-``, ``.``) of :func:`lock_directory` for a block."""
    path = os.path.join(lock_directory(), name + ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise NicTuneError("cannot open the lock file %s of %s: %s" % (path, what, exc.strerror or exc))
    try:
        acquire(fd, what, timeout)
        yield path
    finally:
        os.close(fd)
