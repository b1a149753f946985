# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scan an XML document once and keep the byte offsets of every element, for editors that change a few bytes
and keep all the others (no Ansible imports). Used by the libvirt domain XML and the VirtualBox settings editors.

:func:`scan` runs expat over the bytes and returns a tree of :class:`Node` with, for each element, where its
start tag begins and ends and where the element ends; :func:`attribute_spans` finds the bytes of each attribute
value in a start tag; :func:`splice` applies edits given as byte ranges.

Safety: a DOCTYPE, any entity declaration and any external entity reference are refused before anything is
expanded; parameter entities are never parsed; nothing is fetched. 8-bit encodings expat knows (UTF-8,
ISO-8859-1, US-ASCII) are read; UTF-16/32 are refused, because the edits work on ASCII byte patterns.
"""

from __future__ import annotations

import re
import xml.parsers.expat as _expat

from .errors import ConfigSyntaxError

_START_TAG_RE = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_NAME_RE = re.compile(rb"<[^\s/>]+")
_ATTR_RE = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_ENCODING_RE = re.compile(rb"<\?xml[^>]*?\sencoding\s*=\s*[\"']([^\"']*)")


class _Refused(Exception):
    pass


class Node:
    """One element: name, attributes (decoded), children, and byte offsets into the scanned document.

    ``start``: the ``<`` of its start tag; ``tag_end``: just after that tag's ``>``; ``close_start``: the ``<`` of
    its end tag (None when it is empty); ``end``: just after the element (its end tag, or the start tag when it is
    empty); ``line``: the line of its start tag.
    """

    __slots__ = (
        "attrs",
        "children",
        "close_start",
        "empty",
        "end",
        "line",
        "name",
        "parent",
        "start",
        "tag_end",
        "text",
    )

    def __init__(self, name, attrs, *, start, tag_end, empty, line, parent):
        self.name = name
        self.attrs = attrs
        self.start = start
        self.tag_end = tag_end
        self.end = tag_end if empty else None
        self.close_start = None
        self.empty = empty
        self.children = []
        self.text = []
        self.line = line
        self.parent = parent

    def child(self, name):
        for node in self.children:
            if node.name == name:
                return node
        return None

    def text_value(self):
        return "".join(self.text).strip()


def scan(data, path=None, what="XML"):
    """Scan ``data`` (bytes); return the root :class:`Node`. ``what`` names the kind of file in errors.

    Raises ConfigSyntaxError (with ``path`` and the line) for a document that is not well-formed, that has a
    DOCTYPE, declares or references entities, or is not in an 8-bit encoding.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:200]:
        raise ConfigSyntaxError(
            "only UTF-8 (or ASCII, ISO-8859-1) %s is supported, not UTF-16 or UTF-32" % what, path=path
        )
    parser = _expat.ParserCreate()
    parser.SetParamEntityParsing(_expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack = []
    holder = []

    def refuse(reason):
        def handler(*_args):
            raise _Refused(reason)

        return handler

    def start(name, attrs):
        pos = parser.CurrentByteIndex
        match = _START_TAG_RE.match(data, pos)
        if match is None:  # pragma: no cover - expat accepted a tag this expression does not know
            raise _Refused("cannot locate the start tag <%s>" % name)
        empty = match.group(0).endswith(b"/>")
        parent = stack[-1] if stack else None
        node = Node(
            name, attrs, start=pos, tag_end=match.end(), empty=empty, line=parser.CurrentLineNumber, parent=parent
        )
        if parent is not None:
            parent.children.append(node)
        else:
            holder.append(node)
        stack.append(node)

    def end(_name):
        node = stack.pop()
        if not node.empty:
            node.close_start = parser.CurrentByteIndex
            node.end = data.index(b">", node.close_start) + 1

    def chars(text):
        if stack:
            stack[-1].text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse("a DOCTYPE is not allowed in %s (entities are never expanded)" % what)
    parser.EntityDeclHandler = refuse("entity declarations are not allowed in %s" % what)
    parser.UnparsedEntityDeclHandler = refuse("entity declarations are not allowed in %s" % what)
    parser.ExternalEntityRefHandler = refuse("external entities are not allowed in %s" % what)
    parser.SkippedEntityHandler = refuse("entity references other than the predefined ones are not allowed")
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ConfigSyntaxError("refused: %s" % exc, path=path, line=parser.CurrentLineNumber)
    except _expat.ExpatError as exc:
        raise ConfigSyntaxError("not well-formed XML: %s" % _expat.ErrorString(exc.code), path=path, line=exc.lineno)
    except (LookupError, ValueError) as exc:  # an encoding Python does not know, or a multi-byte one
        found = _ENCODING_RE.match(data)
        raise ConfigSyntaxError(
            "the XML declaration's encoding %r cannot be read (%s); only UTF-8 (or ASCII, ISO-8859-1) %s is supported"
            % (found.group(1).decode("latin-1") if found else None, exc, what),
            path=path,
            line=1,
        )
    return holder[0]


def attribute_spans(data, node):
    """``{name: (value_start, value_end, quote)}`` of the attributes in ``node``'s start tag.

    ``value_start``/``value_end`` delimit the value between its quotes; ``quote`` is ``"`` or ``'`` (bytes).
    The start tag is tokenised attribute by attribute, so text inside another attribute's value never matches.
    """
    spans = {}
    pos = _NAME_RE.match(data, node.start).end()
    while True:
        match = _ATTR_RE.match(data, pos, node.tag_end)
        if match is None:
            return spans
        name = match.group(1).decode("ascii", "replace")
        spans[name] = (match.start(2) + 1, match.end(2) - 1, match.group(2)[:1])
        pos = match.end()


def attribute_items(data, node):
    """``{name: (start, end)}`` of each attribute of ``node``'s start tag, from the whitespace before its name to
    the end of its quoted value: the bytes to cut to remove it."""
    items = {}
    pos = _NAME_RE.match(data, node.start).end()
    while True:
        match = _ATTR_RE.match(data, pos, node.tag_end)
        if match is None:
            return items
        items[match.group(1).decode("ascii", "replace")] = (match.start(), match.end())
        pos = match.end()


def attributes_end(data, node):
    """The offset just after the last attribute of ``node``'s start tag (after its name when it has none)."""
    pos = _NAME_RE.match(data, node.start).end()
    while True:
        match = _ATTR_RE.match(data, pos, node.tag_end)
        if match is None:
            return pos
        pos = match.end()


def file_head(path, size=2048):
    """The first ``size`` bytes of ``path`` (for a backend's ``sniff``), or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return None


def splice(data, edits):
    """``data`` with every ``(start, end, text)`` edit applied (ranges of the original bytes, not overlapping)."""
    out = data
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + text + out[end:]
    return out
