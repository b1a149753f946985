# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xen edits that must keep what is written: MACs stay unique within a domain, escapes stay escapes."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen.backend import describe_file, plan_file
from ansible_collections.nictune.fleet.plugins.module_utils._xen.stable_mac import xen_stable_mac

HEAD = b'name = "web01"\ntype = "hvm"\n'


def plan(data, model="e1000", pin_mac=False, match=None):
    options = {"model": model, "xen_type": None, "pin_mac": pin_mac, "backup": False, "match": normalise_match(match)}
    warnings = []
    new, result = plan_file("/etc/xen/web01.cfg", data, options, warnings.append)
    return new, result, warnings


def _macs(data):
    return [nic["mac"] for nic in describe_file("web01.cfg", data, [].append)["nics"]]


def test_pin_mac_never_gives_a_mac_another_nic_of_the_domain_has():
    # the first vif was removed: the NIC that was index 1 (and got the stable MAC of index 1) is now
    # index 0, and a new NIC without a MAC sits at index 1
    taken = xen_stable_mac("web01", 1)
    data = HEAD + ("vif = [ 'mac=%s,bridge=xenbr0', 'bridge=xenbr1' ]\n" % taken).encode()
    new, result, warnings = plan(data, pin_mac=True)
    macs = _macs(new)
    assert macs[0] == taken
    assert macs[1] is not None and macs[1] != taken
    assert result["nics"][1]["mac"] == macs[1]
    assert any(taken in w and "NIC 0" in w for w in warnings), warnings
    again, result2, _w = plan(new, pin_mac=True)
    assert again == new and not any(n["changed"] for n in result2["nics"])


def test_pin_mac_compares_macs_in_any_spelling():
    taken = xen_stable_mac("web01", 1).upper().replace(":", "-")
    data = HEAD + ("vif = [ 'mac=%s', '' ]\n" % taken).encode()
    new, _result, _warnings = plan(data, pin_mac=True, model=None)
    macs = [m.lower().replace("-", ":") for m in _macs(new)]
    assert len(set(macs)) == 2


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


def test_escapes_between_two_edits_of_one_vif_entry_are_kept_as_written():
    # found by the fuzz harness: the type set in place and a MAC appended wrote the items between them anew
    data = HEAD + rb"vif = [ 'type=vifx,vifname=a\tb,script=\"x\"' ]" + b"\n"
    options = {"model": None, "xen_type": "vif", "pin_mac": True, "backup": False, "match": normalise_match(None)}
    new, result = plan_file("/etc/xen/web01.cfg", data, options, [].append)
    assert result["nics"][0]["changed"]
    mac = xen_stable_mac("web01", 0)
    assert new == HEAD + (r"vif = [ 'type=vif,vifname=a\tb,script=\"x\",mac=%s' ]" % mac).encode() + b"\n"
