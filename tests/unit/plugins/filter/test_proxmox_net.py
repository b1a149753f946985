# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters proxmox_net_parse and proxmox_net_format, called directly and through Jinja2 templating."""

from __future__ import annotations

import pytest
from ansible.module_utils import _internal as _module_utils_internal

# Importing controller code (ansible.errors) flips ansible-core's process-wide "is_controller" switch (see
# test_vif.py): put it back once imported, and switch it on only for these tests.
_WAS_CONTROLLER = _module_utils_internal.is_controller
from ansible.errors import AnsibleFilterError

from ansible_collections.nictune.fleet.plugins.filter.proxmox_net import (
    FilterModule,
    proxmox_net_format,
    proxmox_net_parse,
)

_module_utils_internal.is_controller = _WAS_CONTROLLER

MAC = "BC:24:11:2C:69:EC"


@pytest.fixture(autouse=True)
def _controller_side(monkeypatch):
    monkeypatch.setattr(_module_utils_internal, "is_controller", True)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"proxmox_net_parse", "proxmox_net_format"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("virtio=%s,bridge=vmbr0,firewall=1,queues=4" % MAC,
         {"model": "virtio", "macaddr": MAC, "bridge": "vmbr0", "firewall": "1", "queues": "4"}),
        ("model=e1000,macaddr=%s,tag=20" % MAC, {"model": "e1000", "macaddr": MAC, "tag": "20"}),
        ("bridge=vmbr1,rtl8139", {"model": "rtl8139", "bridge": "vmbr1"}),
        ("e1000-82545em=%s,link_down=1,rate=1.5" % MAC,
         {"model": "e1000-82545em", "macaddr": MAC, "link_down": "1", "rate": "1.5"}),
    ],
)  # fmt: skip
def test_parse(value, expected):
    assert proxmox_net_parse(value) == expected
    assert list(proxmox_net_parse(value)) == list(expected)


@pytest.mark.parametrize("value", ["bridge=vmbr0", "tulip=%s" % MAC, "virtio=zz", 3, None])
def test_parse_refuses(value):
    with pytest.raises(AnsibleFilterError, match="proxmox_net_parse: "):
        proxmox_net_parse(value)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({"bridge": "vmbr0", "model": "virtio", "macaddr": MAC, "firewall": True},
         "virtio=%s,bridge=vmbr0,firewall=1" % MAC),
        ([["model", "e1000e"], ["bridge", "vmbr0"], ["tag", None], ["link_down", False]],
         "e1000e,bridge=vmbr0,link_down=0"),
    ],
)  # fmt: skip
def test_format(items, expected):
    assert proxmox_net_format(items) == expected


@pytest.mark.parametrize(
    "items",
    [
        {"bridge": "vmbr0"},
        {"model": "igb"},
        {"model": "virtio", "tag": 5000},
        {"model": "virtio", "trunks": "1,2"},
        "x",
    ],
)
def test_format_refuses(items):
    with pytest.raises(AnsibleFilterError, match="proxmox_net_format: "):
        proxmox_net_format(items)


def test_through_jinja2_the_model_changes_and_the_mac_stays():
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment()
    env.filters.update(FilterModule().filters())
    env.filters["combine_model"] = lambda d: dict(d, model="e1000e")
    out = env.from_string("{{ net | proxmox_net_parse | combine_model | proxmox_net_format }}")
    assert out.render(net="model=e1000,macaddr=%s,bridge=vmbr0,tag=20" % MAC) == ("e1000e=%s,bridge=vmbr0,tag=20" % MAC)
