# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Results the controller can decode whatever bytes a file holds: the files keep their own bytes, every
reported string (results, diffs, warnings, errors) is valid UTF-8."""

from __future__ import annotations

import os

import pytest

from ansible_collections.nictune.fleet.plugins.modules import nic_model, nic_model_info

HVM = b"""# web guest
name = "web01"
type = "hvm"
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]
"""
HVM_E1000 = HVM.replace(b"bridge=xenbr0", b"bridge=xenbr0, model=e1000")
LATIN1_XML = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    b"<!-- r\xe9seau de d\xe9monstration -->\n"
    b"<domain type='kvm'>\n  <name>caf\xe9</name>\n  <devices>\n"
    b"    <interface type='network'>\n      <source network='d\xe9mo'/>\n    </interface>\n"
    b"  </devices>\n</domain>\n"
)


@pytest.mark.parametrize(
    "name,content,model",
    [
        ("name.cfg", b'name = "g\xe9"\ntype = "hvm"\nvif = [ "bridge=xenbr0" ]\n', "e1000"),
        ("comment.cfg", b"# serveur de d\xe9mo\n" + HVM, "e1000"),
        ("vif.cfg", b'name = "w"\ntype = "hvm"\nvif = [ "bridge=br\xe9" ]\n', "e1000"),
        ("latin1.xml", LATIN1_XML, "virtio"),
    ],
)
def test_non_utf8_bytes_give_a_result_the_controller_can_decode(tmp_path, run_module, name, content, model):
    path = tmp_path / name
    path.write_bytes(content)
    res = run_module(nic_model, diff=True, path=[str(path)], model=model)
    assert res["rc"] == 0 and res["changed"] is True, res
    assert path.read_bytes() != content
    assert len(res["diff"]) == 1
    # the bytes written are the file's own: only the model changed, nothing was re-encoded
    assert path.read_bytes().count(b"\xe9") == content.count(b"\xe9")
    again = run_module(nic_model, path=[str(path)], model=model)
    assert again["changed"] is False
    info = run_module(nic_model_info, path=[str(path)])
    assert info["rc"] == 0 and len(info["domains"]) == 1


def test_check_mode_diff_of_a_latin1_xml_file(tmp_path, run_module):
    path = tmp_path / "latin1.xml"
    path.write_bytes(LATIN1_XML)
    res = run_module(nic_model, check=True, diff=True, path=[str(path)], model="virtio")
    assert res["changed"] is True and path.read_bytes() == LATIN1_XML
    assert "<model type='virtio'/>" in res["diff"][0]["after"]


def test_non_utf8_file_names_are_reported_readably(tmp_path, run_module):
    path = os.path.join(os.fsencode(tmp_path), b"d\xe9mo.cfg")
    with open(path, "wb") as handle:
        handle.write(HVM)
    res = run_module(nic_model, path=[str(tmp_path / "*.cfg")], model="e1000", backup=True)
    assert res["changed"] is True and res["results"][0]["path"].endswith(".cfg")
    with open(path, "rb") as handle:
        assert handle.read() == HVM_E1000
