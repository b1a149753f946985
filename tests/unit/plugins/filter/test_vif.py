# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters vif_parse, vif_format and xen_mac, called directly and through Jinja2 templating."""

from __future__ import annotations

import re

import pytest
from ansible.module_utils import _internal as _module_utils_internal

# Importing controller code (ansible.errors) flips ansible-core's process-wide "is_controller" switch,
# after which AnsibleModule.warn() prints instead of returning warnings. Put it back once imported, so
# module tests collected in the same run keep their warnings, and switch it on only for these tests.
_WAS_CONTROLLER = _module_utils_internal.is_controller
from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.filter import vif as vif_filters
from ansible_collections.nictune.fleet.plugins.filter.vif import FilterModule, vif_format, vif_parse, xen_mac
from ansible_collections.nictune.fleet.plugins.module_utils._xen.stable_mac import xen_stable_mac

_module_utils_internal.is_controller = _WAS_CONTROLLER


@pytest.fixture(autouse=True)
def _controller_side(monkeypatch):
    monkeypatch.setattr(_module_utils_internal, "is_controller", True)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"vif_parse", "vif_format", "xen_mac"}


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("", {}),
        (None, {}),
        (
            "mac=00:16:3e:01:02:03, bridge=xenbr0, model=e1000",
            {"mac": "00:16:3e:01:02:03", "bridge": "xenbr0", "model": "e1000"},
        ),
        ("ip=10.0.0.1 10.0.0.2,bridge=b", {"ip": "10.0.0.1 10.0.0.2", "bridge": "b"}),
    ],
)
def test_vif_parse(spec, expected):
    assert vif_parse(spec) == expected


def test_vif_parse_refuses_non_strings():
    with pytest.raises(AnsibleFilterError):
        vif_parse(["mac=a"])


@pytest.mark.parametrize(
    "items, args, expected",
    [
        ({"bridge": "xenbr0", "model": "e1000"}, (), "bridge=xenbr0,model=e1000"),
        ([["model", "e1000"], ["bridge", "xenbr0"]], (", ",), "model=e1000, bridge=xenbr0"),
        ({}, (), ""),
    ],
)
def test_vif_format(items, args, expected):
    assert vif_format(items, *args) == expected


@pytest.mark.parametrize("items", ["model=e1000", 5, {"model": "a,b"}])
def test_vif_format_refuses(items):
    with pytest.raises(AnsibleFilterError):
        vif_format(items)


def test_xen_mac_matches_pin_mac():
    assert xen_mac("web01") == xen_stable_mac("web01", 0) == "00:16:3e:3b:46:9e"
    assert xen_mac("web01", 2) == xen_stable_mac("web01", 2)
    assert re.match(r"^00:16:3e:[0-7][0-9a-f](:[0-9a-f]{2}){2}$", xen_mac("db01", 1))


def test_xen_mac_without_netaddr(monkeypatch):
    monkeypatch.setattr(vif_filters, "EUI", None)
    assert xen_mac("web01") == "00:16:3e:3b:46:9e"


@pytest.mark.parametrize("name, index", [("", 0), (None, 0), ("web01", -1), ("web01", "x")])
def test_xen_mac_refuses(name, index):
    with pytest.raises(AnsibleFilterError):
        xen_mac(name, index)


def test_through_jinja2():
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment()
    env.filters.update(FilterModule().filters())
    env.filters["combine_model"] = lambda d: dict(d, model="e1000")
    out = env.from_string(
        "{{ (spec | vif_parse).bridge }}"
        "|{{ spec | vif_parse | combine_model | vif_format(', ') }}"
        "|{{ 'web01' | xen_mac(0) }}"
    )
    assert out.render(spec="mac=00:16:3e:00:00:01, bridge=xenbr0") == (
        "xenbr0|mac=00:16:3e:00:00:01, bridge=xenbr0, model=e1000|00:16:3e:3b:46:9e"
    )
