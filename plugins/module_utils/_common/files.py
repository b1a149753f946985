# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the cores read and replace (no Ansible imports): the ``path`` option expanded, reads, locks, backups and
atomic writes.

The object passed as ``module`` needs only ``atomic_move(src, dest)`` (``AnsibleModule`` has it; it keeps owner,
mode and SELinux context of ``dest``).

Rules every file backend gets from here (see docs/safety.md):

* only regular files are read (a FIFO, a device or a socket given as ``path`` is refused before it is opened),
  and at most :data:`MAX_CONFIG_BYTES` of them;
* a run that writes locks every file (``flock`` on the file itself, in inode order) from before it reads it until
  after it is replaced, and reads it under the lock;
* temporary files are ``.<name>.<8 random characters>.nictune`` beside the file, created exclusively without
  following links; a later run that holds the file's lock removes such files of its own user older than itself;
* a backup is ``<name>.<pid>.<YYYY-MM-DD@HH:MM:SS>~`` beside the file, created exclusively, never through a link,
  with the file's mode from its first byte, complete before it gets its name, and refused in a directory that
  others than its owner may write unless it has the sticky bit.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import resource
import secrets
import stat
import time

from .errors import NicTuneError
from .locks import acquire

#: The largest config file read (a domain XML is a few kB; an xl.cfg less).
MAX_CONFIG_BYTES = 8 * 1024 * 1024
TEMP_SUFFIX = ".nictune"
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMP_RANDOM = 8
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
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


def check_backup_directory(path):
    """Raise NicTuneError unless a backup of ``path`` may be made beside it.

    The rule: the directory of the real file must not be writable by group or others, unless it has the
    sticky bit (as ``/tmp``), where nobody can remove or rename another user's files.
    """
    directory = os.path.dirname(real_target(path)) or "."
    try:
        st = os.stat(directory)
    except OSError as exc:
        raise NicTuneError("cannot check the directory %s for a backup: %s" % (directory, _oserror(exc)), path=path)
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise NicTuneError(
            "backup refused: the directory %s (mode %04o) may be written by others than its owner and has no sticky "
            "bit; make it writable by its owner only, or run without backup" % (directory, stat.S_IMODE(st.st_mode)),
            path=path,
        )


def _temp_name(target):
    directory, base = os.path.split(target)
    random = "".join(secrets.choice(_TEMP_CHARS) for _position in range(_TEMP_RANDOM))
    return os.path.join(directory, ".%s.%s%s" % (base, random, TEMP_SUFFIX))


def _create_temp(target, mode=0o600):
    """``(fd, name)`` of a new temporary file beside ``target``: exclusive create, no link followed."""
    for _attempt in range(100):
        name = _temp_name(target)
        try:
            return os.open(name, _CREATE_FLAGS, mode), name
        except FileExistsError:
            continue
    raise NicTuneError("cannot create a temporary file beside it", path=target)  # pragma: no cover


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _is_own_temporary(name, bases):
    """True for ``.<base>.<8 random characters>.nictune`` with ``base`` in ``bases``."""
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
        return False
    base, _dot, random = name[1 : -len(TEMP_SUFFIX)].rpartition(".")
    return base in bases and len(random) == _TEMP_RANDOM and all(c in _TEMP_CHARS for c in random)


def remove_stale_temporaries(paths, before):
    """Remove the temporary files earlier runs left beside ``paths`` (killed runs); return their names.

    Only names this module makes for those very files, only regular files (never a link) owned by this user
    and last modified before ``before`` (the start of this run). Call it while holding the files' locks: a run
    that is still writing holds the lock, so only leftovers of ended runs can match.
    """
    by_dir = {}
    for path in paths:
        directory, base = os.path.split(real_target(path))
        by_dir.setdefault(directory, set()).add(base)
    euid = os.geteuid()
    removed = []
    for directory, bases in sorted(by_dir.items()):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in sorted(names):
            if not _is_own_temporary(name, bases):
                continue
            full = os.path.join(directory, name)
            try:
                st = os.lstat(full)
                if stat.S_ISREG(st.st_mode) and st.st_uid == euid and st.st_mtime < before:
                    os.unlink(full)
                    removed.append(full)
            except OSError:
                continue
    return removed


def _backup_names(target):
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime())
    yield "%s.%d.%s~" % (target, os.getpid(), stamp)
    for number in range(1, 100):
        yield "%s.%d.%s.%d~" % (target, os.getpid(), stamp, number)


def make_backup(path):
    """Copy the file at ``path`` beside itself; return the backup's name.

    The copy is made in a new temporary file (exclusive create, no link followed, the file's mode from the first
    byte; owner and times copied), and only when it is complete it gets its backup name, by a hard link that
    never replaces an existing name (a link planted under the expected name is skipped, never followed).
    """
    target = real_target(path)
    check_backup_directory(path)
    try:
        src = os.open(target, _READ_FLAGS)
    except OSError as exc:
        raise NicTuneError("cannot read it for a backup: %s" % _oserror(exc), path=path)
    tmp = None
    try:
        st = os.fstat(src)
        _check_regular(path, st)
        mode = stat.S_IMODE(st.st_mode) & 0o777
        fd, tmp = _create_temp(target, mode)
        try:
            while True:
                chunk = os.read(src, 1 << 16)
                if not chunk:
                    break
                _write_all(fd, chunk)
            if os.geteuid() == 0:
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, mode)  # the umask may have narrowed it; never wider than the file's own
            os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(fd)
        for name in _backup_names(target):
            try:
                os.link(tmp, name)  # fails on any existing name, a symlink included; follows none
                return name
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
            # a file system without hard links: rename, which replaces a name but never writes through a link
            if not os.path.lexists(name):
                os.rename(tmp, name)
                tmp = None
                return name
        raise NicTuneError("cannot find a free backup name beside it", path=path)
    except OSError as exc:
        raise NicTuneError("cannot make a backup: %s" % _oserror(exc), path=path)
    finally:
        os.close(src)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_atomically(module, path, data, backup=False):
    """Replace ``path`` with ``data`` (bytes) atomically; return the backup file name or None.

    The caller has planned the write and called :func:`check_writable` (and, with ``backup``,
    :func:`check_backup_directory`) already. Like Ansible's own file modules, the data is not fsync'ed: the
    rename is atomic, durability is the file system's.

    The temporary file is made in the target's own directory so the final rename never crosses a
    file system. A symlink is followed: its target is replaced and the link stays a link.
    """
    target = real_target(path)
    backup_file = make_backup(path) if backup else None
    try:
        fd, tmp = _create_temp(target)
    except OSError as exc:
        raise NicTuneError("cannot write: %s" % _oserror(exc), path=path)
    moved = False
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        module.atomic_move(tmp, target)
        moved = True
    except OSError as exc:
        raise NicTuneError("cannot write: %s" % _oserror(exc), path=path)
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


class ConfigFile:
    """One config file of a task: ``path``, ``data`` (or ``error``, a NicTuneError) and ``stat``."""

    __slots__ = ("data", "error", "fd", "path", "stat")

    def __init__(self, path):
        self.path = path
        self.data = self.error = self.fd = self.stat = None


def _allow_open_files(count):
    """Raise the soft limit of open files so ``count`` more can be held (a locked file stays open)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def _lock_one(config, held, warn):
    """Lock ``config``'s file and make sure the lock is on the file now at its path (another run may have replaced
    it while this one waited); share the lock of a file already held under another name (hard link, symlink)."""
    path = config.path
    while True:
        key = (config.stat.st_dev, config.stat.st_ino)
        if key in held:
            os.close(config.fd)
            config.fd = None
            return held[key]
        if not acquire(config.fd, "this file"):
            warn("%s: the file system offers no file locks; a concurrent run may undo this run's change" % path)
            held[key] = config
            return config
        try:
            now = os.stat(path)
        except OSError as exc:
            raise NicTuneError("cannot read: %s" % _oserror(exc), path=path)
        if (now.st_dev, now.st_ino) == key:
            held[key] = config
            return config
        os.close(config.fd)
        config.fd = None
        config.fd, config.stat = _open_regular(path)


@contextlib.contextmanager
def open_configs(paths, lock=False, warn=None):
    """Yield a ConfigFile for each of ``paths`` (same order), read; with ``lock``, locked until the block ends.

    Locks are taken in the order of the files' inodes, so two runs over overlapping sets of files never wait for
    each other in a circle; the content is read after the lock is held. A file that cannot be used gets its
    ``error`` and no data; the others are still read.
    """
    warn = warn or (lambda _msg: None)
    configs = [ConfigFile(path) for path in paths]
    try:
        if not lock:
            for config in configs:
                try:
                    config.fd, config.stat = _open_regular(config.path)
                    config.data = _read_fd(config.path, config.fd)
                except NicTuneError as exc:
                    config.error = exc
                finally:
                    if config.fd is not None:
                        os.close(config.fd)
                        config.fd = None
            yield configs
            return
        _allow_open_files(len(configs))
        for config in configs:
            try:
                config.fd, config.stat = _open_regular(config.path)
            except NicTuneError as exc:
                config.error = exc
        held = {}
        for config in sorted((c for c in configs if c.error is None), key=lambda c: (c.stat.st_dev, c.stat.st_ino)):
            try:
                owner = _lock_one(config, held, warn)
                if owner.data is None:
                    owner.data = _read_fd(owner.path, owner.fd)
            except NicTuneError as exc:
                config.error = exc
                continue
            config.stat, config.data = owner.stat, owner.data
        yield configs
    finally:
        for config in configs:
            if config.fd is not None:
                os.close(config.fd)
                config.fd = None
