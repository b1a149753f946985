# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xen edits that must keep what is written: escapes stay escapes."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import plan_file

HEAD = b'name = "web01"\ntype = "hvm"\n'


def plan(data, model="e1000", pin_mac=False, match=None):
    options = {"model": model, "xen_type": None, "pin_mac": pin_mac, "backup": False, "match": normalise_match(match)}
    warnings = []
    new, result = plan_file("/etc/xen/web01.cfg", data, options, warnings.append)
    return new, result, warnings


@pytest.mark.parametrize(
    "entry,expected",
    [
        (rb"'bridge=xenbr0,vifname=a\tb'", rb"'bridge=xenbr0,vifname=a\tb,model=e1000'"),
        (rb"'bridge=xenbr0,script=\"vif-x\"'", rb"'bridge=xenbr0,script=\"vif-x\",model=e1000'"),
        (rb'"script=\"v\",model=rtl8139,ip=a\\b"', rb'"script=\"v\",model=e1000,ip=a\\b"'),
        (rb"'ip=10.0.0.1\n,model=rtl8139'", rb"'ip=10.0.0.1\n,model=e1000'"),
        (rb"'vifname=\101\102\103,bridge=b'", rb"'vifname=\101\102\103,bridge=b,model=e1000'"),
    ],
)
def test_escapes_in_an_edited_vif_entry_are_kept_as_written(entry, expected):
    data = HEAD + b"vif = [ " + entry + b" ]\n"
    new, result, _warnings = plan(data)
    assert result["nics"][0]["changed"]
    assert new == HEAD + b"vif = [ " + expected + b" ]\n"
