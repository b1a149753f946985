# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lossless xl.cfg parser/editor: what xl accepts, what it refuses, and byte-exact round trips."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import ConfigSyntaxError, NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._xen.xl_config import XlConfig

# (id, file content, name, expected plain value in force)
ACCEPTED = [
    ("double-quotes", b'name = "web01"\n', "name", "web01"),
    ("single-quotes", b"name = 'web01'\n", "name", "web01"),
    ("number", b"memory = 1024\n", "memory", "1024"),
    ("hex-number", b"cap = 0x1f\n", "cap", "0x1f"),
    ("empty-vif", b"vif = [ '' ]\n", "vif", [""]),
    ("two-empty-vifs", b"vif = ['', '']\n", "vif", ["", ""]),
    ("empty-list", b"vif = []\n", "vif", []),
    ("empty-list-multiline", b"vif = [\n]\n", "vif", []),
    ("trailing-comma", b"vif = [ 'a', 'b', ]\n", "vif", ["a", "b"]),
    (
        "multiline-comments-trailing-comma",
        b"vif = [\n  # first\n  'bridge=xenbr0',  # inline\n\n  \"bridge=xenbr1\",\n  # last\n]\n",
        "vif",
        ["bridge=xenbr0", "bridge=xenbr1"],
    ),
    ("nested-list", b"x = [ ['a', 1], [] ]\n", "x", [["a", "1"], []]),
    ("plus-equals-list", b"vif = ['a']\nvif += ['b']\n", "vif", ["a", "b"]),
    ("plus-equals-first", b"vif += ['b']\n", "vif", ["b"]),
    ("plus-equals-string", b"extra = 'a'\nextra += ' b'\n", "extra", "a b"),
    ("reset-then-append", b"vif = ['a']\nvif = ['c']\nvif += ['b']\n", "vif", ["c", "b"]),
    ("duplicate-last-wins", b"vif = ['a']\nvif = ['b']\n", "vif", ["b"]),
    ("semicolons", b"name = 'a'; memory = 512;vcpus=2\n", "vcpus", "2"),
    ("semicolon-only", b";\n;;\n", None, None),
    ("no-final-newline", b"name = 'a'", "name", "a"),
    ("no-final-newline-semicolon", b"name = 'a';", "name", "a"),
    ("tabs", b"\tname\t=\t'a'\t# tab\n", "name", "a"),
    ("dotted-name", b'vif.default.bridge = "xenbr0"\n', "vif.default.bridge", "xenbr0"),
    ("underscore-name", b"on_poweroff = 'destroy'\n", "on_poweroff", "destroy"),
    ("escapes-double", b'x = "a\\"b\\\\c\\n"\n', "x", 'a"b\\c\n'),
    ("escapes-single", b"x = 'it\\'s'\n", "x", "it's"),
    ("escaped-colon-kept", b'x = "a\\\\:b"\n', "x", "a\\:b"),
    ("octal-escape-dropped", b'x = "a\\0123b"\n', "x", "ab"),
    ("empty-file", b"", None, None),
    ("only-comments", b"# one\n#two\n", None, None),
    ("non-utf8-in-string", b"name = '\xe9t\xe9'\n", "name", "\udce9t\udce9"),
    ("utf8-in-string", "name = 'caf\u00e9'\n".encode(), "name", "caf\u00e9"),
    ("non-utf8-in-comment", b"# caf\xe9\nname = 'a'\n", "name", "a"),
    ("cr-inside-string", b"x = 'a\rb'\n", "x", "a\rb"),
    ("crlf-in-comment-only", b"# a\r\n", None, None),
    ("comment-after-value", b"memory = 1024# MB\n", "memory", "1024"),
    ("blank-last-line-no-newline", b"name = 'a'\n   ", "name", "a"),
]

# (id, file content, expected line, words expected in the reason)
REFUSED = [
    ("crlf", b"name = 'a'\r\nmemory = 1\r\n", 1, "CRLF"),
    ("comment-last-line-no-newline", b"name = 'a'\n# end", 2, "newline"),
    ("unterminated", b"name = 'a\n", 1, "not closed"),
    ("string-spans-lines", b'name = "a\nb"\n', 1, "not closed"),
    ("python-percent", b"name = 'vm%d' % 3\n", 1, "Python"),
    ("python-import", b"import os\n", 1, "Python"),
    ("python-concat", b"name = 'a' + 'b'\n", 1, "Python"),
    ("python-triple-quotes", b'x = """a"""\n', 1, "Python"),
    ("python-call", b"memory = int(512)\n", 1, "Python"),
    ("python-if", b"if x:\n  y = 1\n", 1, "Python"),
    ("uppercase-name", b"Name = 'a'\n", 1, "lowercase"),
    ("non-ascii-outside-string", b"name = 'a' \xe9\n", 1, "non-ASCII"),
    ("value-on-next-line", b"vif =\n['a']\n", 1, "value"),
    ("missing-comma", b"vif = [ 'a' 'b' ]\n", 1, "','"),
    ("leading-comma", b"vif = [ , 'a' ]\n", 1, "value"),
    ("unclosed-list", b"vif = [ 'a',\n", 2, "end of file"),
    ("two-values", b"name = 'a' 'b'\n", 1, "end of line"),
    ("no-equals", b"name 'a'\n", 1, "'='"),
    ("add-list-to-string", b"x = 'a'\nx += ['b']\n", 2, "list"),
    ("add-string-to-list", b"x = ['a']\nx += 'b'\n", 2, "list"),
    ("bad-escape", b"x = 'a\\qb'\n", 1, "backslash"),
    ("hex-escape", b"x = 'a\\x41'\n", 1, "\\x"),
    ("short-octal-escape", b"x = 'a\\1'\n", 1, "digit"),
    ("nul-in-string", b"x = 'a\x00b'\n", 1, "NUL"),
    ("lone-cr", b"x = 1\rname = 'a'\n", 1, "carriage return"),
    ("error-line-counted", b"a = 1\n\n# c\nb = 2\nc = $\n", 5, "unexpected"),
    ("number-then-letters", b"memory = 1G\n", 1, "lowercase"),
    ("utf8-bom", b"\xef\xbb\xbfname = 'a'\n", 1, "byte order mark"),
]


@pytest.mark.parametrize("data, name, expected", [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(data, name, expected):
    cfg = XlConfig.parse(data, path="guest.cfg")
    assert cfg.to_bytes() == data
    if name is not None:
        assert cfg.get_value(name) == expected


@pytest.mark.parametrize("data, line, words", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(data, line, words):
    with pytest.raises(ConfigSyntaxError) as exc:
        XlConfig.parse(data, path="/etc/xen/guest.cfg")
    err = exc.value
    assert err.path == "/etc/xen/guest.cfg"
    assert err.line == line
    assert words in err.reason
    assert str(err).startswith("/etc/xen/guest.cfg:%d: " % line)
    assert isinstance(err, NicTuneError)


def test_value_in_force_has_line_and_assignments():
    data = b"#vif = ['old']\nvif = ['a']\nname = 'x'\nvif = ['b']\nvif += ['c']\n"
    cfg = XlConfig.parse(data)
    setting = cfg.get("vif")
    assert setting.plain() == ["b", "c"]
    assert setting.line == 5
    assert [a.line for a in setting.assignments] == [4, 5]
    assert [a.line for a in cfg.assignments("vif")] == [2, 4, 5]
    assert [item.line for item in setting.value.items] == [4, 5]
    assert cfg.names() == ["vif", "name"]
    assert cfg.get("missing") is None
    assert cfg.get_string("vif") is None
    assert cfg.get_string("name") == "x"


def test_string_positions_are_byte_offsets():
    data = "# caf\u00e9\nvif = [ 'bridge=xenbr0' ]\n".encode()
    cfg = XlConfig.parse(data)
    atom = cfg.get("vif").value.items[0]
    assert data[atom.start : atom.end] == b"'bridge=xenbr0'"
    assert atom.quote == "'"


@pytest.mark.parametrize(
    "data, new_value, expected",
    [
        (b"vif = [ '' ]\n", "model=e1000", b"vif = [ 'model=e1000' ]\n"),
        (b'vif = [ "" ]  # keep\n', "model=e1000", b'vif = [ "model=e1000" ]  # keep\n'),
        (b"x = 'a'\n", "it's", b"x = 'it\\'s'\n"),
        (b'x = "a"\n', 'say "hi"', b'x = "say \\"hi\\""\n'),
        (b'x = "a"\n', "back\\slash", b'x = "back\\\\slash"\n'),
        (b'x = "a"\n', "caf\u00e9", 'x = "caf\u00e9"\n'.encode()),
        (b"x = '\xe9'\n", "\udce9!", b"x = '\xe9!'\n"),
    ],
)
def test_replace_string_keeps_quote_style(data, new_value, expected):
    cfg = XlConfig.parse(data)
    setting = cfg.get("vif") or cfg.get("x")
    atom = setting.value.items[0] if setting.value.kind == "list" else setting.value
    cfg.replace_string(atom, new_value)
    out = cfg.to_bytes()
    assert out == expected
    again = XlConfig.parse(out)
    value = again.get_value("vif") or again.get_value("x")
    assert (value[0] if isinstance(value, list) else value) == new_value


def test_replace_string_back_to_original_is_no_edit():
    data = b"x = 'a'\n"
    cfg = XlConfig.parse(data)
    atom = cfg.get("x").value
    cfg.replace_string(atom, "b")
    assert cfg.changed
    cfg.replace_string(atom, "a")
    assert not cfg.changed
    assert cfg.to_bytes() is data


def test_replace_string_refuses_numbers_and_synthetic_values():
    cfg = XlConfig.parse(b"x = 1\ny = 'a'\ny += 'b'\n")
    with pytest.raises(ValueError):
        cfg.replace_string(cfg.get("x").value, "2")
    with pytest.raises(ValueError):
        cfg.replace_string(cfg.get("y").value, "c")


def test_parse_wants_bytes():
    with pytest.raises(TypeError):
        XlConfig.parse("name = 'a'\n")


def test_deep_nesting_is_not_a_recursion_error():
    depth = 5000
    data = b"x = " + b"[" * depth + b"]" * depth + b"\n"
    cfg = XlConfig.parse(data)
    assert cfg.to_bytes() == data
    with pytest.raises(ConfigSyntaxError):
        XlConfig.parse(b"x = " + b"[" * depth + b"\n")
