# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stable Xen MACs: deterministic, in libxl's 00:16:3e:00:00:00-00:16:3e:7f:ff:ff range."""

from __future__ import annotations

import re

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._xen.stable_mac import xen_stable_mac


def test_known_values():
    # pinned: changing the derivation would change the MAC of every pinned guest
    assert xen_stable_mac("web01", 0) == "00:16:3e:3b:46:9e"
    assert xen_stable_mac("example.hvm", 0) == "00:16:3e:55:d7:f2"


def test_deterministic_and_distinct():
    assert xen_stable_mac("web01", 1) == xen_stable_mac("web01", "1")
    macs = {xen_stable_mac("guest%d" % n, i) for n in range(200) for i in range(4)}
    assert len(macs) == 800


@pytest.mark.parametrize("name", ["a", "web01", "caf\u00e9", "x" * 300, "g\udce9"])
@pytest.mark.parametrize("index", [0, 1, 7, 1000])
def test_range_and_format(name, index):
    mac = xen_stable_mac(name, index)
    assert re.match(r"^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$", mac)


@pytest.mark.parametrize("name, index", [(None, 0), ("", 0), ("a", -1), ("a", "x"), ("a", None)])
def test_refused(name, index):
    with pytest.raises(NicTuneError):
        xen_stable_mac(name, index)
