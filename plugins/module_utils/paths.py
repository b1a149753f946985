# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expanding the ``path`` option (files, globs, lists) and telling Xen configs from domain XML."""

from __future__ import annotations

import glob
import os

from .errors import NicTuneError

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


def looks_like_domain_xml(path, head=None):
    """True when ``path`` is a libvirt domain XML file rather than a Xen config (by name, else by content)."""
    if path.lower().endswith(".xml"):
        return True
    if head is None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(512)
        except OSError:
            return False
    return head.lstrip().startswith(b"<")
