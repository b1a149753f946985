# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lossless reader/editor for Proxmox VE qemu-server configs (``/etc/pve/qemu-server/<vmid>.conf``).

No Ansible imports, no I/O. The rules are those of qemu-server's own reader (``parse_vm_config`` in
``PVE/QemuServer.pm``), in its strict form:

* the file is split at ``\\n``; a line of blanks only is skipped, so is its ``\\r`` (CRLF files are read
  like LF files, and kept CRLF here);
* ``[PENDING]`` (any case) starts the pending changes, ``[special:cloudinit]`` and ``[special:fleecing]``
  start special sections, ``[name]`` (a letter, then at least one letter, digit, ``_`` or ``-``) starts a
  snapshot, each a full copy of the configuration it was taken from. Before the first section header is
  the *current* configuration;
* ``#...`` lines are the description (Proxmox writes it at the top, one ``#`` line per line);
* every other line is ``key: value``: the key is ``[a-z][a-z_-]*`` and optional digits, the value is what
  follows ``:`` and blanks, up to trailing blanks (it must not be empty);
* ``delete: a,b`` is allowed only in ``[PENDING]`` (keys removed at the next start, ``!key`` forced);
* a key written twice in a section: the last one is in force.

What Proxmox accepts only with a warning (and drops at its next write) is refused here with the file,
the line and the reason, because editing such a file could not be faithful: an unknown section
(``[special:unknown]``, ``[:3]``), a section written twice, a line that is not ``key: value``, ``delete:``
outside ``[PENDING]``. Values are not checked here (Proxmox knows hundreds of keys and adds more); the
NIC values are checked by :mod:`.net_value`.

The file is decoded as latin-1 (one character per byte), so every byte, UTF-8 or not, is kept as it is;
:meth:`QemuConfig.replace_value` and :meth:`QemuConfig.remove_line` are the only edits.
"""

from __future__ import annotations

import re

from .._common.errors import ConfigSyntaxError

SPECIAL_SECTIONS = ("cloudinit", "fleecing")

_BLANK = "[ \t\r\f\v]"
_NO_CASE = re.IGNORECASE | re.ASCII
_BLANK_LINE_RE = re.compile(r"^%s*$" % _BLANK)
_PENDING_RE = re.compile(r"^\[PENDING\]%s*$" % _BLANK, _NO_CASE)
_SPECIAL_RE = re.compile(r"^\[special:(%s)\]%s*$" % ("|".join(SPECIAL_SECTIONS), _BLANK), _NO_CASE)
_SNAPSHOT_RE = re.compile(r"^\[([a-z][a-z0-9_\-]+)\]%s*$" % _BLANK, _NO_CASE)
_ANY_SECTION_RE = re.compile(r"^\[([^\]]*)\]%s*$" % _BLANK)
_KEY_RE = re.compile(r"^([a-z][a-z_\-]*[0-9]*):%s*(.+?)%s*$" % (_BLANK, _BLANK))
_DELETE_SPLIT_RE = re.compile(r"[^,; \t\r\f\v]+")


def to_text(latin):
    """Text of the file (decoded as latin-1) -> str for results: UTF-8, undecodable bytes as U+FFFD."""
    if latin is None:
        return None
    return latin.encode("latin-1").decode("utf-8", "replace")


class Line:
    """One physical line: its number (from 1), its text without the newline, and for ``key: value`` lines the
    key and the span of the value in ``text``."""

    key = span = None

    def __init__(self, number, text, eol):
        self.number, self.text, self.eol = number, text, eol

    @property
    def value(self):
        return self.text[self.span[0] : self.span[1]] if self.span else None


class Section:
    """The current configuration (``kind`` ``main``), ``[PENDING]``, a special section or a snapshot."""

    __slots__ = ("header", "kind", "lines", "name")

    def __init__(self, kind, name, header=None):
        self.kind = kind
        self.name = name
        self.header = header
        self.lines = []

    def entries(self, key):
        """Every line setting ``key`` in this section, in file order (the last is in force)."""
        return [line for line in self.lines if line.key == key]

    def get(self, key):
        """The value in force for ``key`` (text decoded as latin-1), or None."""
        found = self.entries(key)
        return found[-1].value if found else None

    def keys(self):
        out = []
        for line in self.lines:
            if line.key is not None and line.key not in out:
                out.append(line.key)
        return out


def parse_pending_delete(value):
    """``delete:`` of ``[PENDING]`` -> {key: force} (items split at ``,``, ``;`` and blanks; ``!key`` forces)."""
    out = {}
    for item in _DELETE_SPLIT_RE.findall(value or ""):
        force = item.startswith("!")
        out[item[1:] if force else item] = force
    return out


class QemuConfig:
    """One parsed qemu-server config. Build with :meth:`parse`; edit; :meth:`to_bytes`."""

    def __init__(self, path, lines, main, pending, specials, snapshots):
        self.path = path
        self.lines = lines
        self.main = main
        self.pending = pending
        self.specials = specials
        self.snapshots = snapshots

    @classmethod
    def parse(cls, data, path=None):
        """Parse ``data`` (bytes); ConfigSyntaxError with path and line where Proxmox's strict reader refuses."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        text = data.decode("latin-1")
        lines = []
        main = Section("main", "")
        section = main
        pending = None
        specials = {}
        snapshots = {}
        pos = 0
        while pos < len(text):  # only \n ends a line for Proxmox; a \r stays in the line's text
            end = text.find("\n", pos)
            if end < 0:
                lines.append(Line(len(lines) + 1, text[pos:], ""))
                break
            lines.append(Line(len(lines) + 1, text[pos:end], "\n"))
            pos = end + 1
        for line in lines:
            body = line.text
            if _BLANK_LINE_RE.match(body):
                continue
            if body.startswith("["):
                new = cls._section(line, path, pending, specials, snapshots)
                if new is not None:
                    section = new
                    section.header = line
                    if new.kind == "pending":
                        pending = new
                    elif new.kind == "special":
                        specials[new.name.lower()] = new
                    else:
                        snapshots[new.name] = new
                    continue
            if body.startswith("#"):
                section.lines.append(line)
                continue
            match = _KEY_RE.match(body)
            if not match:
                raise ConfigSyntaxError(
                    "not a 'key: value' line, a '#' comment or a [section]: %r (Proxmox cannot parse it)"
                    % to_text(body[:80]),
                    path=path,
                    line=line.number,
                )
            line.key = match.group(1)
            line.span = match.span(2)
            if line.key == "delete" and section.kind != "pending":
                raise ConfigSyntaxError("'delete:' is only allowed in [PENDING]", path=path, line=line.number)
            section.lines.append(line)
        return cls(path, lines, main, pending, specials, snapshots)

    @staticmethod
    def _section(line, path, pending, specials, snapshots):
        body = line.text
        if _PENDING_RE.match(body):
            if pending is not None:
                raise ConfigSyntaxError(
                    "[PENDING] is written twice (first on line %d); Proxmox keeps only the last one"
                    % pending.header.number,
                    path=path,
                    line=line.number,
                )
            return Section("pending", "PENDING")
        match = _SPECIAL_RE.match(body)
        if match:
            name = match.group(1)
            if name.lower() in specials:
                raise ConfigSyntaxError(
                    "[special:%s] is written twice (first on line %d); Proxmox keeps only the last one"
                    % (name, specials[name.lower()].header.number),
                    path=path,
                    line=line.number,
                )
            return Section("special", name)
        match = _SNAPSHOT_RE.match(body)
        if match:
            name = match.group(1)
            if name in snapshots:
                raise ConfigSyntaxError(
                    "snapshot section [%s] is written twice (first on line %d); Proxmox keeps only the last one"
                    % (to_text(name), snapshots[name].header.number),
                    path=path,
                    line=line.number,
                )
            return Section("snapshot", name)
        match = _ANY_SECTION_RE.match(body)
        if match:
            raise ConfigSyntaxError(
                "unknown section [%s] (known: [PENDING], %s and snapshot names of two or more letters, digits, "
                "'_' or '-' starting with a letter); Proxmox skips it and drops it at its next write"
                % (to_text(match.group(1)), ", ".join("[special:%s]" % s for s in SPECIAL_SECTIONS)),
                path=path,
                line=line.number,
            )
        return None

    def replace_value(self, line, new_value):
        """Replace the value of ``key: value`` line ``line`` (keeps the key, the blanks and the line end)."""
        start, end = line.span
        line.text = line.text[:start] + new_value + line.text[end:]
        line.span = (start, start + len(new_value))

    def remove_line(self, line):
        """Remove ``line`` (and its line end) from the file and from its section."""
        self.lines.remove(line)
        for section in self._sections():
            if line in section.lines:
                section.lines.remove(line)

    def _sections(self):
        out = [self.main]
        if self.pending is not None:
            out.append(self.pending)
        out.extend(self.specials.values())
        out.extend(self.snapshots.values())
        return out

    def to_bytes(self):
        return "".join(line.text + line.eol for line in self.lines).encode("latin-1")
