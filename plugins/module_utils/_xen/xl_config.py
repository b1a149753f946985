# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lossless reader/editor for Xen ``xl.cfg`` files (no Ansible imports, never evaluates the file).

The grammar is the one of xl's own parser (libxlu: ``libxlu_cfg_l.l`` and ``libxlu_cfg_y.y``):

* identifiers ``[a-z][._0-9a-z]*`` (lowercase only: ``Name = 1`` is a lexical error for xl);
* numbers ``[0-9][0-9a-fx]*`` (kept as text, like xl does);
* strings in ``'...'`` or ``"..."``, on one line, with xl's backslash escapes (``\\\\ \\' \\" \\a \\b \\f
  \\n \\r \\t \\v``; ``\\x..`` is always refused by xl, a backslash and a digit needs two more decimal
  digits and yields nothing — both are xl quirks reproduced here);
* lists ``[ ... ]`` of values (nested lists allowed), newlines and comments allowed after ``[``,
  after a value and after a comma, a trailing comma allowed;
* ``name = value`` and ``name += value`` (string += string concatenates, list += list appends,
  mixing them is an error; ``+=`` without an earlier value just sets it);
* a statement ends at a newline or ``;``; the last statement of the file may lack both;
* ``#`` starts a comment that must end with a newline (a comment on the last line without a newline
  is a lexical error for xl);
* blanks are spaces and tabs only: a carriage return outside a string or comment (CRLF line
  endings) is a lexical error, and so is any byte >= 0x80 there. Such bytes are fine inside strings
  and comments and are kept as they are;
* the last assignment of a name is the one in force.

A file xl would refuse raises :class:`ConfigSyntaxError` with the path and line. One deliberate
difference: a NUL byte inside a string is refused, because xl would silently cut the value there.

Every byte that is not edited is kept: :meth:`XlConfig.to_bytes` returns the input unchanged until
:meth:`XlConfig.replace_string` is called, which swaps the text of one string token and keeps its
quote style and the escapes (``\\t``, ``\\"`` ...) of the parts of the value that do not change.
The parser works on the bytes decoded as latin-1 (one character per byte), so token spans are byte
offsets.
"""

from __future__ import annotations

import difflib
import re

from .._common.errors import ConfigSyntaxError

_TOKEN_RE = re.compile(
    r"""
     ([ \t]+)                                               # 1 blanks
    |(\n|\#[^\n]*\n)                                        # 2 newline, or comment + newline
    |([a-z][._0-9a-z]*)                                     # 3 identifier
    |([0-9][0-9a-fx]*)                                      # 4 number
    |('(?:[^'\\\n]|\\[^\n])*'|"(?:[^"\\\n]|\\[^\n])*")      # 5 string
    |(\+=)                                                  # 6 +=
    |([\[\],=;])                                            # 7 punctuation
    |(.|\n)                                                 # 8 anything else: a lexical error
    """,
    re.VERBOSE | re.DOTALL,
)
_KINDS = (None, None, "nl", "id", "num", "str", "+=", None, "bad")
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_PYTHON_RE = re.compile(r"[%(){}+]|\"\"\"|'''|\b(?:and|or|not|in|lambda)\b")
_PYTHON_WORDS = ("import ", "from ", "if ", "for ", "def ", "else", "elif ", "while ", "try", "print")


class XlAtom:
    """A string or number token. ``start``/``end`` are byte offsets (None for a value made by ``+=``)."""

    __slots__ = ("end", "kind", "line", "quote", "start", "value")

    def __init__(self, kind, value, start, end, line, quote=None):
        self.kind = kind  # "string" or "number"
        self.value = value  # str (decoded as UTF-8, undecodable bytes as surrogate escapes)
        self.start = start
        self.end = end
        self.line = line
        self.quote = quote  # "'" or '"' for strings

    def plain(self):
        return self.value

    def __repr__(self):
        return "XlAtom(%s %r @%s:%s line %s)" % (self.kind, self.value, self.start, self.end, self.line)


class XlList:
    """A list value; ``items`` are XlAtom or XlList."""

    __slots__ = ("end", "items", "line", "start")

    kind = "list"

    def __init__(self, start, line):
        self.items = []
        self.start = start
        self.end = None
        self.line = line

    def plain(self):
        return [item.plain() for item in self.items]

    def __repr__(self):
        return "XlList(%r line %s)" % (self.items, self.line)


class XlAssignment:
    """One ``name = value`` or ``name += value`` statement."""

    __slots__ = ("line", "name", "op", "start", "value")

    def __init__(self, name, op, value, line, start):
        self.name = name
        self.op = op
        self.value = value
        self.line = line
        self.start = start

    def __repr__(self):
        return "XlAssignment(%s %s %r line %s)" % (self.name, self.op, self.value, self.line)


class XlSetting:
    """The value in force for one name: ``value`` (XlAtom or XlList), the ``line`` of the last
    assignment and every ``assignments`` that contributed (several when ``+=`` was used)."""

    __slots__ = ("assignments", "line", "name", "value")

    def __init__(self, name, value, line, assignments):
        self.name = name
        self.value = value
        self.line = line
        self.assignments = assignments

    def plain(self):
        return self.value.plain()


def _to_str(latin):
    """Text decoded as latin-1 -> str decoded as UTF-8 (undecodable bytes become surrogate escapes)."""
    if latin.isascii():
        return latin
    return latin.encode("latin-1").decode("utf-8", "surrogateescape")


def _to_latin(text):
    """Inverse of :func:`_to_str`."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _dequote(token, fail):
    """The value of a quoted string token, with xl's escapes (``fail(reason)`` raises)."""
    body = token[1:-1]
    if "\x00" in body:
        fail("NUL byte inside a string: xl would silently cut the value there")
    if "\\" not in body:
        return _to_str(body)
    return _to_str("".join(value for _raw, value in _units(body, fail)))


def _units(body, fail):
    """A string body holding backslashes as ``[(raw, value)]``: runs of plain text and single escape sequences."""
    out = []
    pos = 0
    size = len(body)
    while True:
        nxt = body.find("\\", pos)
        if nxt < 0:
            if pos < size:
                out.append((body[pos:], body[pos:]))
            return out
        if nxt > pos:
            out.append((body[pos:nxt], body[pos:nxt]))
        char = body[nxt + 1]  # the lexer guarantees a character after a backslash
        pos = nxt + 2
        simple = _SIMPLE_ESCAPES.get(char)
        if simple is not None:
            out.append((body[nxt:pos], simple))
        elif char == "x":
            fail("\\x escape in a string: xl's parser refuses every \\x escape")
        elif "0" <= char <= "7":
            # xl reads up to three more characters as a decimal number and needs at least two
            # digits; the character is then dropped from the value (an xl bug, reproduced).
            digits = 0
            while digits < 3 and pos + digits < size and body[pos + digits].isdigit() and body[pos + digits].isascii():
                digits += 1
            if digits < 2:
                fail("invalid digit after backslash in a string (xl needs two more decimal digits)")
            pos += digits
            out.append((body[nxt:pos], ""))
        else:
            fail("invalid character after backslash in a string: \\%s" % char)


def _escape(text, quote):
    """Latin-1 ``text`` as string-token body text in ``quote`` style (escaping only what must be)."""
    if "\x00" in text:
        raise ValueError("a NUL character cannot be written into an xl string")
    return text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")


def _quote(value, quote):
    """``value`` as a string token in ``quote`` style (escaping only what must be)."""
    return quote + _escape(_to_latin(value), quote) + quote


def _requote(token, value):
    """String token ``token`` (latin-1 text) holding ``value`` instead, written as much like before as possible.

    The units (characters and escape sequences) of the old body are aligned with the new value; those the
    alignment keeps are kept as written, and only the text between them is written anew, so several edits of one
    string (a vif item set in place and another appended) keep every escape outside them.
    """
    body = token[1:-1]
    if "\\" not in body and "\n" not in body:
        # nothing written in a way of its own (the usual case): what the alignment gives, without aligning
        return _quote(value, token[0])
    return _realign(token, value)


def _realign(token, value):
    """:func:`_requote` for a body with escapes (or raw newlines): align its units with ``value``."""
    quote = token[0]
    text = _to_latin(value)
    body = token[1:-1]
    units, lead = [], ""
    for raw, plain in _units(body, _parsed_already) if "\\" in body else [(body, body)]:
        if not plain:  # an escape xl drops from the value (its backslash-digit quirk): kept with a neighbour
            if units:
                units[-1] = (units[-1][0] + raw, units[-1][1])
            else:
                lead += raw
            continue
        chars = [(char, char) for char in raw] if raw == plain else [(raw, plain)]
        units.extend([(lead + chars[0][0], chars[0][1]), *chars[1:]])
        lead = ""
    new_body = lead
    matcher = difflib.SequenceMatcher(None, [plain for _raw, plain in units], text, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            new_body += "".join(raw for raw, _plain in units[old_start:old_end])
        else:
            new_body += _escape(text[new_start:new_end], quote)
    new_token = quote + new_body + quote
    # an escape kept before new text could read on into it (xl's backslash-digit quirk): check, else write anew
    if _dequote(new_token, _parsed_already) != value:
        return _quote(value, quote)
    return new_token


def _parsed_already(reason):  # pragma: no cover - the tokens handled here were accepted by the parser
    raise ValueError(reason)


class XlConfig:
    """A parsed xl.cfg file. Build it with :meth:`parse`."""

    def __init__(self, data, path, assignments, settings):
        self._data = data
        self.path = path
        self._assignments = assignments
        self._settings = settings
        self._edits = {}

    # -- reading ------------------------------------------------------------------------------
    @classmethod
    def parse(cls, data, path=None):
        """Parse ``data`` (bytes). Raises ConfigSyntaxError (path, line, reason) where xl would fail."""
        if isinstance(data, str):
            raise TypeError("XlConfig.parse wants bytes")
        text = data.decode("latin-1")
        assignments = _Parser(text, path).parse()
        settings = {}
        for assignment in assignments:
            prev = settings.get(assignment.name)
            if assignment.op == "+=" and prev is not None:
                value = _concat(prev.value, assignment, path)
                settings[assignment.name] = XlSetting(
                    assignment.name, value, assignment.line, [*prev.assignments, assignment]
                )
            else:
                settings[assignment.name] = XlSetting(assignment.name, assignment.value, assignment.line, [assignment])
        return cls(data, path, assignments, settings)

    def names(self):
        """Names assigned in the file, in order of first assignment."""
        return list(self._settings)

    def assignments(self, name=None):
        """Every assignment (of ``name``, or all) in file order, also the ones no longer in force."""
        if name is None:
            return list(self._assignments)
        return [a for a in self._assignments if a.name == name]

    def get(self, name):
        """The XlSetting in force for ``name`` (after every ``=`` and ``+=``), or None."""
        return self._settings.get(name)

    def get_value(self, name, default=None):
        """The plain value in force (str, or a list of str / nested lists), or ``default``."""
        setting = self._settings.get(name)
        return default if setting is None else setting.plain()

    def get_string(self, name):
        """The string (or number text) in force for ``name``; None when absent or a list."""
        setting = self._settings.get(name)
        if setting is None or setting.value.kind == "list":
            return None
        return setting.value.value

    # -- editing ------------------------------------------------------------------------------
    def replace_string(self, atom, new_value):
        """Replace the text of the string token ``atom`` by ``new_value`` (str), keeping its quote style.

        Only that token's bytes change; ``to_bytes`` shows the result. The parsed values are not
        updated: parse ``to_bytes()`` again to read the edited file.
        """
        if atom.kind != "string" or atom.start is None:
            raise ValueError("only a string token of the file can be replaced, not %r" % (atom,))
        old_text = self._data[atom.start : atom.end].decode("latin-1")
        new_text = _requote(old_text, new_value)
        if new_text == old_text:
            self._edits.pop(atom.start, None)
        else:
            self._edits[atom.start] = (atom.end, new_text.encode("latin-1"))

    @property
    def changed(self):
        return bool(self._edits)

    def to_bytes(self):
        """The file content: identical to the input where nothing was replaced."""
        if not self._edits:
            return self._data
        out = []
        pos = 0
        for start in sorted(self._edits):
            end, new = self._edits[start]
            out.append(self._data[pos:start])
            out.append(new)
            pos = end
        out.append(self._data[pos:])
        return b"".join(out)


def _concat(prev, assignment, path):
    """xl's ``+=``: string + string concatenates, list + list appends, anything else is an error."""
    new = assignment.value
    if (prev.kind == "list") != (new.kind == "list"):
        raise ConfigSyntaxError(
            "%s += ...: cannot add a list to a single value or a single value to a list (xl refuses this)"
            % assignment.name,
            path=path,
            line=assignment.line,
        )
    if new.kind == "list":
        merged = XlList(None, assignment.line)
        merged.items = prev.items + new.items
        return merged
    return XlAtom("string", prev.value + new.value, None, None, assignment.line)


class _Parser:
    """Single pass: one compiled regex splits the text, a small loop follows xl's grammar."""

    def __init__(self, text, path):
        self.text = text
        self.path = path

    def _fail(self, reason, line):
        raise ConfigSyntaxError(reason, path=self.path, line=line)

    def _tokens(self):
        """[(kind, start, end, line)], blanks dropped, an ("eof", n, n, line) sentinel at the end."""
        toks = []
        append = toks.append
        line = 1
        kinds = _KINDS
        for match in _TOKEN_RE.finditer(self.text):
            group = match.lastindex
            if group == 1:
                continue
            if group == 7:
                append((match.group(7), match.start(), match.end(), line))
                continue
            kind = kinds[group]
            append((kind, match.start(), match.end(), line))
            if group == 8:
                break  # xl reads lazily: a syntax error before this point is reported first
            if group == 2:
                line += 1
        append(("eof", len(self.text), len(self.text), line))
        return toks

    def _lex_error(self, pos, line):
        text = self.text
        char = text[pos]
        if pos == 0 and text.startswith("\xef\xbb\xbf"):
            self._fail("the file starts with a UTF-8 byte order mark, which xl refuses; remove it", line)
        if char == "#":
            self._fail("comment on the last line has no newline at its end (xl requires one)", line)
        if char == "\r":
            if text[pos + 1 : pos + 2] == "\n":
                self._fail("CRLF (DOS/Windows) line endings: xl accepts only LF; convert the file (dos2unix)", line)
            self._fail("carriage return character outside a string", line)
        if char in "'\"":
            self._fail("string not closed on this line (xl strings cannot span lines)", line)
        if char in "+-.():":
            self._fail(
                "unexpected %r: this looks like Python (legacy xm syntax), which xl does not run; "
                "rewrite it as plain xl settings" % char,
                line,
            )
        if "A" <= char <= "Z":
            self._fail("names must be lowercase for xl (unexpected %r)" % char, line)
        if ord(char) >= 0x80:
            self._fail("non-ASCII byte 0x%02x outside a string or comment" % ord(char), line)
        self._fail("unexpected character %r%s" % (char, self._python_hint(pos)), line)

    def _python_hint(self, pos):
        """xl warns that a file "looks like it contains Python code"; say so where the line suggests it."""
        text = self.text
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line_text = text[line_start : line_end if line_end >= 0 else len(text)]
        if line_text.lstrip(" \t").startswith(_PYTHON_WORDS) or _PYTHON_RE.search(line_text):
            return " (this looks like Python, legacy xm syntax, which xl does not run)"
        return ""

    def _syntax(self, tok, expected):
        kind, start, end, line = tok
        if kind == "bad":
            self._lex_error(start, line)
        if kind == "eof":
            found = "end of file"
        elif kind == "nl":
            found = "end of line" if self.text[start] == "\n" else "comment"
        else:
            found = repr(self.text[start:end])
        self._fail("syntax error: expected %s, found %s%s" % (expected, found, self._python_hint(start)), line)

    def _atom(self, tok):
        kind, start, end, line = tok
        raw = self.text[start:end]
        if kind == "num":
            return XlAtom("number", raw, start, end, line)
        return XlAtom("string", _dequote(raw, lambda reason: self._fail(reason, line)), start, end, line, raw[0])

    def parse(self):
        toks = self._tokens()
        assignments = []
        i = 0
        while True:
            tok = toks[i]
            kind = tok[0]
            if kind == "eof":
                return assignments
            if kind in {"nl", ";"}:
                i += 1
                continue
            if kind != "id":
                self._syntax(tok, "a setting name")
            name = self.text[tok[1] : tok[2]]
            op_tok = toks[i + 1]
            if op_tok[0] != "=" and op_tok[0] != "+=":
                self._syntax(op_tok, "'=' or '+=' after %r" % name)
            value, i = self._value(toks, i + 2)
            assignments.append(XlAssignment(name, op_tok[0], value, toks[i - 1][3], tok[1]))
            end = toks[i][0]
            if end in {"nl", ";"}:
                i += 1
            elif end != "eof":
                self._syntax(toks[i], "end of line or ';' after the value of %r" % name)

    def _value(self, toks, i):
        """Parse one value from toks[i]; return (node, index after it). Iterative, so deep nesting is fine."""
        stack = []
        while True:
            tok = toks[i]
            kind = tok[0]
            node = None  # set below, or _syntax raises
            if kind in {"str", "num"}:
                node = self._atom(tok)
                i += 1
            elif kind == "[":
                lst = XlList(tok[1], tok[3])
                i += 1
                while toks[i][0] == "nl":
                    i += 1
                if toks[i][0] == "]":
                    lst.end = toks[i][2]
                    node = lst
                    i += 1
                else:
                    stack.append(lst)
                    continue
            else:
                self._syntax(tok, "a value (a quoted string, a number or a [list])")
            # attach the finished node to its list, closing lists as far as they end here
            while stack:
                parent = stack[-1]
                parent.items.append(node)
                while toks[i][0] == "nl":
                    i += 1
                kind = toks[i][0]
                if kind == ",":
                    i += 1
                    while toks[i][0] == "nl":
                        i += 1
                    if toks[i][0] != "]":
                        break  # another value follows
                elif kind != "]":
                    self._syntax(toks[i], "',' or ']' in the list")
                parent.end = toks[i][2]
                i += 1
                node = stack.pop()
            else:
                return node, i
