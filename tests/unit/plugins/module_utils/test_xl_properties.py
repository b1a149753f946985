# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the xl.cfg parser: valid files round-trip byte for byte, any bytes give at worst our own error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen import xl_config
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import describe_file, plan_file
from ansible_collections.nictune.fleet.plugins.module_utils._xen.xl_config import XlConfig

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

blank = st.text(alphabet=" \t", max_size=3)
ident = st.from_regex(r"[a-z][._0-9a-z]{0,8}", fullmatch=True).filter(lambda s: s != "vif")
number = st.from_regex(r"[0-9][0-9a-fx]{0,5}", fullmatch=True)
comment_text = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=15)
comment = comment_text.map(lambda t: "#" + t + "\n")
# a line break inside a list: a newline, or a comment, with blanks around
list_break = st.tuples(blank, st.one_of(st.just("\n"), comment), blank).map("".join)
list_gap = st.lists(list_break, max_size=2).map("".join)


def _string_body(quote):
    plain = st.characters(blacklist_characters=quote + "\\\n\x00", blacklist_categories=("Cs",))
    escapes = st.sampled_from(["\\\\", "\\" + quote, "\\n", "\\t", "\\'", '\\"', "\\012"])
    return st.lists(st.one_of(plain, escapes), max_size=12).map("".join)


quoted = st.one_of(
    _string_body("'").map(lambda b: "'" + b + "'"),
    _string_body('"').map(lambda b: '"' + b + '"'),
)
atom = st.one_of(quoted, number)


def _list_of(values):
    def build(parts):
        items, gaps, trailing, head = parts
        text = "[" + head
        for pos, item in enumerate(items):
            if pos:
                text += "," + gaps[pos % len(gaps)]
            text += item + gaps[(pos + 1) % len(gaps)]
        if items and trailing:
            text += "," + gaps[0]
        return text + "]"

    return st.tuples(
        st.lists(values, max_size=4),
        st.lists(st.tuples(blank, list_gap, blank).map("".join), min_size=1, max_size=3),
        st.booleans(),
        st.tuples(blank, list_gap).map("".join),
    ).map(build)


value = st.recursive(atom, _list_of, max_leaves=8)
vif_list = _list_of(quoted)
end = st.one_of(
    st.tuples(blank, st.one_of(st.just("\n"), comment)).map("".join),
    st.tuples(blank, st.just(";"), blank).map("".join),
)
scalar_stmt = st.tuples(blank, ident, blank, st.just("="), blank, value, end).map("".join)
vif_stmt = st.tuples(blank, st.just("vif"), blank, st.sampled_from(["=", "+="]), blank, vif_list, end).map("".join)
filler = st.one_of(comment, st.tuples(blank, st.just("\n")).map("".join))
# the last statement may go without a newline (xl's grammar allows it; a last comment may not)
last_stmt = st.one_of(st.just(""), st.tuples(blank, ident, blank, st.just("="), blank, value, blank).map("".join))
config = st.tuples(st.lists(st.one_of(scalar_stmt, vif_stmt, filler), max_size=8), last_stmt).map(
    lambda parts: "".join(parts[0]) + parts[1]
)

OPTIONS = {"model": "e1000", "xen_type": None, "pin_mac": False, "backup": False, "match": normalise_match(None)}


@SETTINGS
@given(config)
def test_valid_configs_round_trip(text):
    data = text.encode("utf-8")
    cfg = XlConfig.parse(data, "gen.cfg")
    assert cfg.to_bytes() == data


@SETTINGS
@given(config, st.sampled_from(['type = "hvm"\n', 'type = "pv"\n', ""]))
def test_plan_on_valid_configs_is_stable(text, head):
    data = (head + text).encode("utf-8")
    new, _result = plan_file("gen.cfg", data, OPTIONS, [].append)
    again, result2 = plan_file("gen.cfg", new, OPTIONS, [].append)
    assert again == new
    assert not any(n["changed"] for n in result2["nics"])


@SETTINGS
@given(config, st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=10))
def test_replacing_a_string_changes_only_that_value(text, new_value):
    data = text.encode("utf-8")
    cfg = XlConfig.parse(data)
    strings = []

    def walk(node):
        if node.kind == "list":
            for item in node.items:
                walk(item)
        elif node.kind == "string":
            strings.append(node)

    for assignment in cfg.assignments():
        walk(assignment.value)
    if not strings:
        return
    target = strings[len(strings) // 2]
    cfg.replace_string(target, new_value)
    edited = XlConfig.parse(cfg.to_bytes())
    values = []
    for assignment in edited.assignments():
        before = len(values)
        stack = [assignment.value]
        while stack:
            node = stack.pop(0)
            if node.kind == "list":
                stack[:0] = node.items
            elif node.kind == "string":
                values.append(node.value)
        assert len(values) >= before
    expected = [new_value if s is target else s.value for s in strings]
    assert values == expected


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_our_error(data):
    for call in (
        lambda: XlConfig.parse(data, "x.cfg").to_bytes(),
        lambda: describe_file("x.cfg", data, [].append),
        lambda: plan_file("x.cfg", data, dict(OPTIONS, pin_mac=True), [].append),
    ):
        try:
            call()
        except NicTuneError:
            pass


@SETTINGS
@given(config, st.binary(min_size=1, max_size=4), st.integers(min_value=0))
def test_damaged_configs_raise_only_our_error(text, junk, where):
    data = text.encode("utf-8")
    pos = where % (len(data) + 1)
    damaged = data[:pos] + junk + data[pos:]
    try:
        plan_file("x.cfg", b'name = "g"\ntype = "hvm"\n' + damaged, dict(OPTIONS, pin_mac=True), [].append)
    except NicTuneError:
        pass


latin_text = st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=12)


@SETTINGS
@given(
    st.sampled_from(["'", '"']),
    st.text(st.characters(min_codepoint=1, max_codepoint=255, blacklist_characters="'\"\\\n"), max_size=12),
    latin_text,
)
def test_a_string_without_escapes_is_requoted_as_the_alignment_would(quote, body, new_value):
    # _requote skips the alignment of units when the old body holds no escape: the result must be the same
    token = quote + body + quote
    assert xl_config._requote(token, new_value) == xl_config._realign(token, new_value)
    assert xl_config._dequote(xl_config._requote(token, new_value), xl_config._parsed_already) == new_value
