# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task reads: only regular files of bounded size, never a wider target than asked for."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.nictune.fleet.plugins.modules import nic_model, nic_model_info

HVM = b'name = "web01"\ntype = "hvm"\nvif = [ "bridge=xenbr0" ]\n'
XML = b"<domain type='kvm'><name>d1</name><devices><interface type='network'/></devices></domain>\n"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-to-dev-zero", "directory-link"])
@pytest.mark.parametrize("module", ["nic_model", "nic_model_info"])
def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path, run_module_apart, kind, module):
    target = tmp_path / "special.cfg"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target = "/dev/zero"
    elif kind == "link-to-dev-zero":
        os.symlink("/dev/zero", target)
    else:
        os.symlink(tmp_path, target)
    args = {"path": [str(target)]}
    if module == "nic_model":
        args["model"] = "e1000"
    result, out, err = run_module_apart(module, args)
    assert result is not None, "no result: %s %s" % (out[-500:], err[-500:])
    assert result.get("failed") is True
    assert "not a regular file" in result["msg"] or "is a directory" in result["msg"], result["msg"]
    assert str(target) in result["msg"]


def test_a_config_larger_than_the_limit_is_refused_unread(tmp_path, run_module_apart):
    big = tmp_path / "big.cfg"
    with open(big, "wb") as handle:
        handle.write(HVM)
        handle.truncate(4 << 30)  # sparse: 4 GiB that are never read
    result, out, err = run_module_apart("nic_model_info", {"path": [str(big)]})
    assert result is not None, "no result: %s %s" % (out[-500:], err[-500:])
    assert result.get("failed") is True and "larger than" in result["msg"] and str(big) in result["msg"]


# -- an empty path never widens the target --------------------------------------------------------------------


@pytest.mark.parametrize("module", [nic_model, nic_model_info])
def test_an_empty_path_list_is_an_error_not_every_libvirt_domain(run_module, module):
    args = {"path": [], "uri": "test:///default"}
    if module is nic_model:
        args["model"] = "virtio"
    res = run_module(module, check=True, **args)
    assert res.get("failed") is True, res
    assert "path" in res["msg"] and "empty" in res["msg"]


def test_a_match_that_selects_nothing_warns(tmp_path, run_module):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(HVM)
    res = run_module(nic_model, path=[str(cfg)], model="e1000", match={"mac": ["52:54:00:ff:ff:ff"]})
    assert res["changed"] is False
    assert "selected no NIC" in json.dumps(res.get("warnings", []))


# -- one rule for model names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,content", [("web01.cfg", HVM), ("d1.xml", XML)])
def test_a_model_name_with_a_newline_is_refused_by_every_backend(tmp_path, run_module, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    res = run_module(nic_model, path=[str(path)], model="e1000\n")
    assert res.get("failed") is True and "model" in res["msg"], res
    assert path.read_bytes() == content
