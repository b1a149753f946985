# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vif spec strings: read as xl reads them, edit without touching anything else."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._xen.vif_spec import VifSpec, format_vif, parse_vif


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", {}),
        ("   ", {}),
        ("mac=00:16:3e:00:00:01,bridge=xenbr0", {"mac": "00:16:3e:00:00:01", "bridge": "xenbr0"}),
        ("mac=00:16:3e:00:00:01, bridge=xenbr0", {"mac": "00:16:3e:00:00:01", "bridge": "xenbr0"}),
        ("ip=10.0.0.1 10.1.1.1 2000::1,type=vif", {"ip": "10.0.0.1 10.1.1.1 2000::1", "type": "vif"}),
        ("model=rtl8139,model=e1000", {"model": "e1000"}),
        ("bridge=ovsbr0:42:43", {"bridge": "ovsbr0:42:43"}),
        ("bridge=a,,", {"bridge": "a"}),
        ("rate=10240KB/s@20ms", {"rate": "10240KB/s@20ms"}),
        ("Model=E1000", {"Model": "E1000"}),
        ("accel", {"accel": None}),
        ("script=vif-bridge ", {"script": "vif-bridge "}),
        ("k=a=b", {"k": "a=b"}),
    ],
)
def test_parse_vif(text, expected):
    assert parse_vif(text) == expected
    assert VifSpec.parse(text).to_text() == text


def test_parse_vif_none():
    assert parse_vif(None) == {}


@pytest.mark.parametrize(
    "text, key, value, expected",
    [
        ("", "model", "e1000", "model=e1000"),
        ("  ", "model", "e1000", "  model=e1000"),
        ("bridge=xenbr0", "model", "e1000", "bridge=xenbr0,model=e1000"),
        ("mac=00:16:3e:00:00:01, bridge=xenbr0", "model", "e1000", "mac=00:16:3e:00:00:01, bridge=xenbr0, model=e1000"),
        ("mac=a,bridge=b", "model", "e1000", "mac=a,bridge=b,model=e1000"),
        ("mac=a,  bridge=b", "model", "e1000", "mac=a,  bridge=b,  model=e1000"),
        ("bridge=b, model=rtl8139, mac=a", "model", "e1000", "bridge=b, model=e1000, mac=a"),
        ("MODEL=x,bridge=b", "model", "e1000", "MODEL=x,bridge=b,model=e1000"),
        ("model=a,bridge=b,model=c", "model", "e1000", "model=a,bridge=b,model=e1000"),
        ("bridge=b,", "model", "e1000", "bridge=b,model=e1000"),
        ("bridge=b, ", "model", "e1000", "bridge=b, model=e1000"),
        ("ip=10.0.0.1 10.0.0.2", "model", "e1000", "ip=10.0.0.1 10.0.0.2,model=e1000"),
        ("type=vif,bridge=b", "type", "ioemu", "type=ioemu,bridge=b"),
        ("model=e1000", "model", "e1000", "model=e1000"),
    ],
)
def test_set(text, key, value, expected):
    spec = VifSpec.parse(text)
    spec.set(key, value)
    assert spec.to_text() == expected
    assert spec.get(key) == value
    assert str(spec) == expected


def test_get_contains_items_keys():
    spec = VifSpec.parse("mac=a, bridge=b,accel,,model=x")
    assert spec.get("bridge") == "b"
    assert spec.get("missing", "dflt") == "dflt"
    assert "model" in spec
    assert "accel" not in spec  # a bare word is no key=value item
    assert spec.items() == [("mac", "a"), ("bridge", "b"), ("accel", None), ("model", "x")]
    assert spec.keys() == ["mac", "bridge", "accel", "model"]
    assert repr(spec) == "VifSpec('mac=a, bridge=b,accel,,model=x')"


@pytest.mark.parametrize(
    "key, value", [("model", "a,b"), ("mo=del", "x"), ("", "x"), (" model", "x"), ("model", "a\nb")]
)
def test_set_refuses_what_would_break_the_spec(key, value):
    with pytest.raises(NicTuneError):
        VifSpec.parse("bridge=b").set(key, value)


@pytest.mark.parametrize(
    "items, sep, expected",
    [
        ({"bridge": "xenbr0", "model": "e1000"}, ",", "bridge=xenbr0,model=e1000"),
        ([("model", "e1000"), ("bridge", "xenbr0")], ", ", "model=e1000, bridge=xenbr0"),
        ({}, ",", ""),
        (None, ",", ""),
        ({"accel": None, "trusted": True}, ",", "accel,trusted=1"),
        ({"ip": "10.0.0.1 10.0.0.2"}, ",", "ip=10.0.0.1 10.0.0.2"),
    ],
)
def test_format_vif(items, sep, expected):
    assert format_vif(items, sep=sep) == expected


@pytest.mark.parametrize("items", [{"model": "a,b"}, [("model",)], ["model"], {"a=b": "c"}])
def test_format_vif_refuses(items):
    with pytest.raises(NicTuneError):
        format_vif(items)


def test_round_trip_parse_format():
    text = "mac=00:16:3e:00:00:01,bridge=xenbr0,model=e1000"
    assert format_vif(parse_vif(text)) == text
