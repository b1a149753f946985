# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the cores read and replace (no Ansible imports): the ``path`` option expanded, reads, atomic writes.

The object passed as ``module`` needs only ``backup_local(path)`` and ``atomic_move(src, dest)``
(``AnsibleModule`` has both; ``atomic_move`` keeps owner, mode and SELinux context of ``dest``).

Only regular files are read (a FIFO, a device or a socket given as ``path`` is refused before it is opened),
and at most :data:`MAX_CONFIG_BYTES` of them.
"""

from __future__ import annotations

import glob
import os
import stat
import tempfile

from .errors import NicTuneError

#: The largest config file read (a domain XML is a few kB; an xl.cfg less).
MAX_CONFIG_BYTES = 8 * 1024 * 1024
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def real_target(path):
    """The file a write to ``path`` must replace: a symlinked config is edited where it really lives."""
    return os.path.realpath(path)


def _oserror(exc):
    return exc.strerror or str(exc)


def _check_regular(path, st):
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "a special file")
        raise NicTuneError("not a regular file (%s); only regular config files are read" % kind, path=path)


def _check_size(path, size):
    if size > MAX_CONFIG_BYTES:
        raise NicTuneError(
            "larger than %d MiB, the most a config file may have; not read" % (MAX_CONFIG_BYTES >> 20), path=path
        )


def check_writable(path):
    """Raise NicTuneError unless ``path`` may be replaced: it exists, is a regular file and is not read-only.

    A file without any write bit is treated as a deliberate "do not edit", also for root. Backends call
    this while planning, so one unwritable file stops the task before any file is written.
    """
    target = real_target(path)
    try:
        st = os.stat(target)
    except OSError as exc:
        raise NicTuneError("cannot read: %s" % exc.strerror, path=path)
    _check_regular(path, st)
    if not st.st_mode & 0o222:
        mode = st.st_mode & 0o7777
        raise NicTuneError("file is read-only (mode %04o); make it writable to let it be changed" % mode, path=path)
    if not os.access(target, os.W_OK) or not os.access(os.path.dirname(target) or ".", os.W_OK):
        raise NicTuneError("no permission to replace this file (the file or its directory is not writable)", path=path)


def write_atomically(module, path, data, backup=False):
    """Replace ``path`` with ``data`` (bytes) atomically; return the backup file name or None.

    The caller has planned the write and called :func:`check_writable` already. Like Ansible's own
    file modules, the data is not fsync'ed: the rename is atomic, durability is the file system's.

    The temporary file is made in the target's own directory so the final rename never crosses a
    file system. A symlink is followed: its target is replaced and the link stays a link.
    """
    target = real_target(path)
    directory = os.path.dirname(target) or "."
    backup_file = module.backup_local(target) if backup else None
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), suffix=".nictune", dir=directory)
    moved = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        module.atomic_move(tmp, target)
        moved = True
    except OSError as exc:
        raise NicTuneError("cannot write: %s" % exc, path=path)
    finally:
        if not moved and os.path.lexists(tmp):
            os.unlink(tmp)
    return backup_file


_GLOB_CHARS = set("*?[")


def expand_paths(patterns, warn=None):
    """Return the sorted, de-duplicated files named by ``patterns`` (a string or a list).

    A literal path that does not exist is an error; a glob that matches nothing is a warning
    (a host without domains is not a failure). Directories matched by a glob are ignored.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    found = []
    missing = []
    for given in patterns or []:
        pattern = os.path.expanduser(str(given))
        if _GLOB_CHARS & set(pattern):
            hits = [p for p in sorted(glob.glob(pattern)) if os.path.isfile(p)]
            if not hits and warn is not None:
                warn("path %s matched no file" % pattern)
            found.extend(hits)
        elif os.path.isdir(pattern):
            hint = "is a directory; give a glob such as %s/*.cfg" % pattern.rstrip("/")
            missing.append(NicTuneError(hint, path=pattern))
        elif os.path.lexists(pattern):
            found.append(pattern)
        else:
            missing.append(NicTuneError("no such file", path=pattern))
    if missing:
        if len(missing) == 1:
            raise missing[0]
        raise NicTuneError("%d paths cannot be used" % len(missing), problems=missing)
    seen = set()
    out = []
    for p in found:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _open_regular(path):
    """``(fd, stat)`` of ``path`` opened for reading; a special file is refused before it is opened (opening some
    devices acts on them) and again after (it may have been swapped in between)."""
    try:
        _check_regular(path, os.stat(path))
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise NicTuneError("cannot read: %s" % _oserror(exc), path=path)
    try:
        st = os.fstat(fd)
        _check_regular(path, st)
        _check_size(path, st.st_size)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _read_fd(path, fd):
    chunks = []
    size = 0
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            chunk = os.read(fd, min(1 << 20, MAX_CONFIG_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            _check_size(path, size)
    except OSError as exc:
        raise NicTuneError("cannot read: %s" % _oserror(exc), path=path)
    return b"".join(chunks)


def read_bytes(path):
    """The content of config file ``path`` (a regular file of at most MAX_CONFIG_BYTES); NicTuneError naming the file
    when it cannot be read."""
    fd, _st = _open_regular(path)
    try:
        return _read_fd(path, fd)
    finally:
        os.close(fd)
