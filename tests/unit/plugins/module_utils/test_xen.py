# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xen model rules: plan_file / describe_file on xl.cfg content (no I/O)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import ConfigSyntaxError, NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import describe_file, plan_file
from ansible_collections.nictune.fleet.plugins.module_utils._xen.stable_mac import xen_stable_mac

HEAD = b'name = "web01"\ntype = "hvm"\n'


def plan(data, model="e1000", xen_type=None, pin_mac=False, match=None):
    options = {
        "model": model,
        "xen_type": xen_type,
        "pin_mac": pin_mac,
        "backup": False,
        "match": normalise_match(match),
    }
    warnings = []
    new, result = plan_file("/etc/xen/web01.cfg", data, options, warnings.append)
    if new != data:
        # planning the result again changes nothing
        again, result2 = plan_file("/etc/xen/web01.cfg", new, options, [].append)
        assert again == new
        assert not any(n["changed"] for n in result2["nics"])
    return new, result, warnings


# (id, file content, plan options, expected new content: None = unchanged)
EDITS = [
    ("empty-spec", HEAD + b"vif = [ '' ]\n", {}, HEAD + b"vif = [ 'model=e1000' ]\n"),
    ("two-empty-specs", HEAD + b"vif = ['', '']\n", {}, HEAD + b"vif = ['model=e1000', 'model=e1000']\n"),
    (
        "comma-space-style",
        HEAD + b'vif = [ "mac=00:16:3e:00:00:01, bridge=xenbr0" ]\n',
        {},
        HEAD + b'vif = [ "mac=00:16:3e:00:00:01, bridge=xenbr0, model=e1000" ]\n',
    ),
    (
        "replace-in-place",
        HEAD + b"vif = [ 'model=rtl8139,bridge=xenbr0' ]  # note\n",
        {},
        HEAD + b"vif = [ 'model=e1000,bridge=xenbr0' ]  # note\n",
    ),
    ("already-e1000", HEAD + b"vif = [ 'bridge=xenbr0,model=e1000' ]\n", {}, None),
    ("rtl8139-is-default", HEAD + b"vif = [ 'bridge=xenbr0' ]\n", {"model": "rtl8139"}, None),
    ("explicit-rtl8139-to-e1000", HEAD + b"vif = [ 'model=rtl8139' ]\n", {}, HEAD + b"vif = [ 'model=e1000' ]\n"),
    (
        "multiline-list-comments",
        HEAD + b"vif = [\n    # public\n    'bridge=xenbr0',   # first\n\n    'bridge=xenbr1,model=rtl8139',\n]\n",
        {},
        HEAD
        + b"vif = [\n    # public\n    'bridge=xenbr0,model=e1000',   # first\n\n"
        + b"    'bridge=xenbr1,model=e1000',\n]\n",
    ),
    (
        "duplicate-vif-edits-last",
        HEAD + b"#vif = [ 'bridge=old' ]\nvif = [ 'bridge=a' ]\nvif = [ 'bridge=b' ]\n",
        {},
        HEAD + b"#vif = [ 'bridge=old' ]\nvif = [ 'bridge=a' ]\nvif = [ 'bridge=b,model=e1000' ]\n",
    ),
    (
        "plus-equals-edits-both",
        HEAD + b"vif = [ 'bridge=a' ]\nvif += [ 'bridge=b' ]\n",
        {"match": {"index": [1]}},
        HEAD + b"vif = [ 'bridge=a' ]\nvif += [ 'bridge=b,model=e1000' ]\n",
    ),
    (
        "semicolons",
        b"name='web01';type='hvm';vif=['']\n",
        {},
        b"name='web01';type='hvm';vif=['model=e1000']\n",
    ),
    ("no-final-newline", HEAD + b"vif = ['']", {}, HEAD + b"vif = ['model=e1000']"),
    ("tabs", HEAD + b"vif\t=\t[\t''\t]\n", {}, HEAD + b"vif\t=\t[\t'model=e1000'\t]\n"),
    (
        "legacy-builder-hvm",
        b'name = "w"\nbuilder = "hvm"\nkernel = "/usr/lib/xen/boot/hvmloader"\nvif = [ "bridge=b" ]\n',
        {},
        b'name = "w"\nbuilder = "hvm"\nkernel = "/usr/lib/xen/boot/hvmloader"\nvif = [ "bridge=b,model=e1000" ]\n',
    ),
    (
        "non-utf8-elsewhere-kept",
        b"# caf\xe9\n" + HEAD + b"extra = '\xe9'\nvif = [ '' ]\n",
        {},
        b"# caf\xe9\n" + HEAD + b"extra = '\xe9'\nvif = [ 'model=e1000' ]\n",
    ),
    # type changes
    ("type-vif-left-alone", HEAD + b"vif = [ 'bridge=b,type=vif' ]\n", {}, None),
    (
        "xen-type-ioemu-on-vif",
        HEAD + b"vif = [ 'bridge=b,type=vif' ]\n",
        {"xen_type": "ioemu"},
        HEAD + b"vif = [ 'bridge=b,type=ioemu,model=e1000' ]\n",
    ),
    (
        "xen-type-vif-keeps-model",
        HEAD + b"vif = [ 'bridge=b, model=e1000' ]\n",
        {"xen_type": "vif"},
        HEAD + b"vif = [ 'bridge=b, model=e1000, type=vif' ]\n",
    ),
    ("xen-type-ioemu-is-default", HEAD + b"vif = [ 'model=e1000' ]\n", {"xen_type": "ioemu"}, None),
    ("netfront-left-alone", HEAD + b"vif = [ 'type=netfront' ]\n", {}, None),
    (
        "netfront-replaced-by-xen-type",
        HEAD + b"vif = [ 'type=netfront' ]\n",
        {"xen_type": "vif", "model": None},
        HEAD + b"vif = [ 'type=vif' ]\n",
    ),
    # pin_mac
    (
        "pin-mac",
        HEAD + b"vif = [ '', 'mac=00:16:3e:00:00:09' ]\n",
        {"pin_mac": True, "model": None},
        HEAD + ("vif = [ 'mac=%s', 'mac=00:16:3e:00:00:09' ]\n" % xen_stable_mac("web01", 0)).encode(),
    ),
    (
        "pin-mac-and-model",
        HEAD + b"vif = [ 'bridge=b' ]\n",
        {"pin_mac": True},
        HEAD + ("vif = [ 'bridge=b,model=e1000,mac=%s' ]\n" % xen_stable_mac("web01", 0)).encode(),
    ),
    ("pin-mac-skips-type-vif", HEAD + b"vif = [ 'type=vif' ]\n", {"pin_mac": True}, None),
    # selection
    (
        "match-index",
        HEAD + b"vif = [ 'bridge=a', 'bridge=b' ]\n",
        {"match": {"index": 1}},
        HEAD + b"vif = [ 'bridge=a', 'bridge=b,model=e1000' ]\n",
    ),
    (
        "match-mac-any-case",
        HEAD + b"vif = [ 'mac=00:16:3E:00:00:01', 'mac=00:16:3e:00:00:02' ]\n",
        {"match": {"mac": "00-16-3e-00-00-01"}},
        HEAD + b"vif = [ 'mac=00:16:3E:00:00:01,model=e1000', 'mac=00:16:3e:00:00:02' ]\n",
    ),
    (
        "match-bridge",
        HEAD + b"vif = [ 'bridge=xenbr0', 'bridge=xenbr1' ]\n",
        {"match": {"bridge": ["xenbr1"]}},
        HEAD + b"vif = [ 'bridge=xenbr0', 'bridge=xenbr1,model=e1000' ]\n",
    ),
    (
        "match-model-default",
        HEAD + b"vif = [ 'bridge=a', 'bridge=b,model=pcnet' ]\n",
        {"match": {"model": "rtl8139"}},
        HEAD + b"vif = [ 'bridge=a,model=e1000', 'bridge=b,model=pcnet' ]\n",
    ),
    ("match-nothing", HEAD + b"vif = [ 'bridge=a' ]\n", {"match": {"bridge": "nope"}}, None),
    # not HVM
    ("pv-guest", b'name = "p"\ntype = "pv"\nvif = [ "" ]\n', {}, None),
    ("pvh-guest", b'name = "p"\ntype = "pvh"\nvif = [ "" ]\n', {}, None),
    ("no-type-is-pv", b'name = "p"\nkernel = "/boot/vmlinuz"\nvif = [ "" ]\n', {}, None),
    ("pvh-legacy-flag", b'name = "p"\npvh = 1\nvif = [ "" ]\n', {}, None),
    ("builder-generic", b'name = "p"\nbuilder = "generic"\nvif = [ "" ]\n', {}, None),
    ("no-vif", HEAD, {}, None),
    ("empty-vif", HEAD + b"vif = []\n", {}, None),
]


@pytest.mark.parametrize("data, opts, expected", [c[1:] for c in EDITS], ids=[c[0] for c in EDITS])
def test_plan_edits(data, opts, expected):
    new, result, _warnings = plan(data, **opts)
    assert new == (data if expected is None else expected)
    assert any(n["changed"] for n in result["nics"]) == (expected is not None)


@pytest.mark.parametrize(
    "data, guest_type, reason",
    [
        (b'name = "p"\ntype = "pv"\nvif = [ "" ]\n', "pv", 'PV guest (type = "pv")'),
        (b'name = "p"\ntype = "pvh"\nvif = [ "" ]\n', "pvh", 'PVH guest (type = "pvh")'),
        (b'name = "p"\nvif = [ "" ]\n', "pv", "PV guest (no type or builder setting)"),
        (HEAD, "hvm", "no vif setting"),
        (HEAD + b"vif = []\n", "hvm", "vif = []"),
        (HEAD + b"vif = 'bridge=b'\n", "hvm", "not a list"),
        (HEAD + b"vif = [ 'type=vif' ]\n", "hvm", "PV-only NIC (type=vif)"),
        (HEAD + b"vif = [ 'type=netfront' ]\n", "hvm", "type=netfront"),
        (HEAD + b"vif = [ 'bridge=a' ]\n", "hvm", "no NIC selected"),
    ],
)
def test_skipped_domains(data, guest_type, reason):
    match = {"bridge": "nope"} if reason == "no NIC selected" else None
    new, result, _warnings = plan(data, match=match)
    assert new == data
    assert result["guest_type"] == guest_type
    assert result["skipped"] is True
    assert reason in result["reason"]


def test_result_shape():
    data = HEAD + b"vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0', 'bridge=xenbr1,type=vif', 'bridge=x' ]\n"
    _new, result, _warnings = plan(data, match={"bridge": ["xenbr0", "xenbr1"]})
    assert result["domain"] == "web01"
    assert result["guest_type"] == "hvm"
    assert result["skipped"] is False
    assert result["reason"] is None
    assert result["nics"] == [
        {
            "index": 0,
            "mac": "00:16:3e:00:00:01",
            "bridge": "xenbr0",
            "type": "ioemu",
            "model_before": "rtl8139",
            "model_after": "e1000",
            "selected": True,
            "changed": True,
            "skipped": False,
            "reason": None,
        },
        {
            "index": 1,
            "mac": None,
            "bridge": "xenbr1",
            "type": "vif",
            "model_before": None,
            "model_after": None,
            "selected": True,
            "changed": False,
            "skipped": True,
            "reason": "PV-only NIC (type=vif): it has no emulated model; set xen_type: ioemu to make it emulated",
        },
        {
            "index": 2,
            "mac": None,
            "bridge": "x",
            "type": "ioemu",
            "model_before": "rtl8139",
            "model_after": "rtl8139",
            "selected": False,
            "changed": False,
            "skipped": False,
            "reason": "not selected",
        },
    ]


def test_pv_guest_nics_reported():
    data = b'name = "p"\ntype = "pv"\nvif = [ "model=e1000", "bridge=b" ]\n'
    _new, result, _warnings = plan(data, match={"index": 1})
    assert [(n["selected"], n["skipped"], n["type"], n["model_before"]) for n in result["nics"]] == [
        (False, False, "vif", None),
        (True, True, "vif", None),
    ]


def test_pin_mac_result_shows_new_mac():
    _new, result, _warnings = plan(HEAD + b"vif = [ '' ]\n", pin_mac=True)
    assert result["nics"][0]["mac"] == xen_stable_mac("web01", 0)


def test_pin_mac_needs_a_name():
    data = b'type = "hvm"\nvif = [ "" ]\n'
    with pytest.raises(NicTuneError) as exc:
        plan(data, pin_mac=True)
    assert exc.value.path == "/etc/xen/web01.cfg"
    assert exc.value.line == 2
    assert "name" in exc.value.reason
    # without pin_mac a nameless file is fine
    new, result, _warnings = plan(data)
    assert result["domain"] is None
    assert new != data


@pytest.mark.parametrize(
    "model, words",
    [("fakemodel", "not one Xen documents"), ("virtio", "virtio-net-pci")],
)
def test_unknown_model_warns(model, words):
    new, result, warnings = plan(HEAD + b"vif = [ '' ]\n", model=model)
    assert new == HEAD + ("vif = [ 'model=%s' ]\n" % model).encode()
    assert len(warnings) == 1 and words in warnings[0]
    assert result["nics"][0]["model_after"] == model


@pytest.mark.parametrize("model", ["e1000", "rtl8139", "ne2k_pci", "pcnet", "virtio-net-pci"])
def test_known_models_do_not_warn(model):
    _new, _result, warnings = plan(HEAD + b"vif = [ 'model=x' ]\n", model=model)
    assert warnings == []


def test_unknown_model_not_written_does_not_warn():
    _new, _result, warnings = plan(b'type = "pv"\nvif = [ "" ]\n', model="fakemodel")
    assert warnings == []


def test_hvmloader_without_builder_warns():
    data = b'name = "x"\nkernel = "/usr/lib/xen/boot/hvmloader"\nvif = [ "" ]\n'
    new, result, warnings = plan(data)
    assert new == data and result["guest_type"] == "pv"
    assert any("hvmloader" in w for w in warnings)


def test_nested_list_in_vif_ends_the_nic_list():
    data = HEAD + b"vif = [ '', [ 'x' ], '' ]\n"
    new, result, warnings = plan(data)
    assert len(result["nics"]) == 1
    assert new == HEAD + b"vif = [ 'model=e1000', [ 'x' ], '' ]\n"
    assert any("is a list" in w for w in warnings)


def test_vif_string_warns():
    _new, result, warnings = plan(HEAD + b"vif = 'bridge=b'\n")
    assert result["nics"] == [] and warnings


@pytest.mark.parametrize(
    "data, options, error, line",
    [
        (b'type = "hvm"\nvif = [ 5 ]\n', {}, "quote it", 2),
        (b'type = "xen"\nvif = [ "" ]\n', {}, "invalid domain type", 1),
        (b'builder = "linux"\nvif = [ "" ]\n', {}, "invalid builder", 1),
        (HEAD + b"vif = [ '' ]\n", {"model": "e1000,x"}, "not a usable", None),
        (HEAD + b"vif = [ '' ]\n", {"model": "e 1000"}, "not a usable", None),
        (HEAD + b"vif = [ '' ]\n", {"xen_type": "netfront"}, "xen_type", None),
    ],
)
def test_plan_errors(data, options, error, line):
    with pytest.raises(NicTuneError) as exc:
        plan(data, **options)
    assert error in exc.value.reason
    assert exc.value.line == line


def test_syntax_error_names_file_and_line():
    with pytest.raises(ConfigSyntaxError) as exc:
        plan(HEAD + b"vif = [ '' ]\r\n")
    assert str(exc.value).startswith("/etc/xen/web01.cfg:3: CRLF")


def test_contradicting_type_and_builder_warns_and_type_wins():
    data = b'name = "x"\ntype = "pv"\nbuilder = "hvm"\nvif = [ "" ]\n'
    new, result, warnings = plan(data)
    assert result["guest_type"] == "pv" and new == data
    assert any("contradict" in w for w in warnings)


def test_describe_file():
    data = (
        HEAD
        + b"vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0', 'model=e1000,vifname=web01-1',\n"
        + b"        'type=vif,bridge=xenbr1,model=e1000' ]\n"
    )
    info = describe_file("/etc/xen/web01.cfg", data, [].append)
    assert info == {
        "platform": "xen_hvm",
        "domain": "web01",
        "guest_type": "hvm",
        "nics": [
            {
                "index": 0,
                "mac": "00:16:3e:00:00:01",
                "bridge": "xenbr0",
                "model": "rtl8139",
                "model_explicit": False,
                "type": "ioemu",
                "vifname": None,
            },
            {
                "index": 1,
                "mac": None,
                "bridge": None,
                "model": "e1000",
                "model_explicit": True,
                "type": "ioemu",
                "vifname": "web01-1",
            },
            {
                "index": 2,
                "mac": None,
                "bridge": "xenbr1",
                "model": None,
                "model_explicit": True,
                "type": "vif",
                "vifname": None,
            },
        ],
    }


@pytest.mark.parametrize(
    "data, guest_type, models, types",
    [
        (b'type = "pv"\nvif = [ "model=e1000" ]\n', "pv", [None], ["vif"]),
        (b'type = "pvh"\nvif = [ "" ]\n', "pvh", [None], ["vif"]),
        (b'builder = "hvm"\nvif = [ "", "type=ioemu" ]\n', "hvm", ["rtl8139", "rtl8139"], ["ioemu", "ioemu"]),
        (b'type = "hvm"\nvif = []\n', "hvm", [], []),
        (b"", "pv", [], []),
    ],
)
def test_describe_guest_types(data, guest_type, models, types):
    info = describe_file("g.cfg", data, [].append)
    assert info["guest_type"] == guest_type
    assert [n["model"] for n in info["nics"]] == models
    assert [n["type"] for n in info["nics"]] == types
