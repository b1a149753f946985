# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for model names and one warning for unknown ones, whatever the backend (the catalogue's)."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common import models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import domain_xml
from ansible_collections.nictune.fleet.plugins.module_utils._xen import backend as xen

XEN = b'name = "web01"\ntype = "hvm"\nvif = [ "bridge=xenbr0" ]\n'
XML = b"<domain type='kvm'>\n  <name>d1</name>\n  <devices>\n    <interface type='user'/>\n  </devices>\n</domain>\n"
BACKENDS = [("xen", xen, XEN), ("libvirt_xml", domain_xml, XML)]


def _plan(backend, data, model):
    warnings = []
    options = {"model": model, "xen_type": None, "pin_mac": False, "match": normalise_match(None)}
    new, result = backend.plan_file("f", data, options, warnings.append)
    return new, result, warnings


@pytest.mark.parametrize("model", ["e1000\n", " e1000", "e1000 ", "virtio\t", "", "e 1000", "-e1000", "x" * 65])
@pytest.mark.parametrize("name,backend,data", BACKENDS)
def test_a_model_name_is_refused_alike_by_every_backend(name, backend, data, model):
    with pytest.raises(NicTuneError) as err:
        _plan(backend, data, model)
    assert "not a usable NIC model name" in str(err.value)
    with pytest.raises(NicTuneError):
        models.check_model_name(model)


def test_libvirt_refuses_a_dot_that_xen_accepts():
    assert models.check_model_name("virtio.x", "xen_hvm") == "virtio.x"
    with pytest.raises(NicTuneError) as err:
        models.check_model_name("virtio.x", "kvm")
    assert "libvirt" in str(err.value)


@pytest.mark.parametrize("name,backend,data", BACKENDS)
def test_an_unknown_model_is_written_with_a_warning_by_every_backend(name, backend, data):
    new, result, warnings = _plan(backend, data, "virtoi")
    assert new != data and result["nics"][0]["changed"]
    assert len(warnings) == 1 and "virtoi" in warnings[0] and "QEMU" in warnings[0]


@pytest.mark.parametrize(
    "name,backend,data,model,hint",
    [("xen", xen, XEN, "virtio", "virtio-net-pci"), ("libvirt_xml", domain_xml, XML, "virtio-net-pci", "write virtio")],
)
def test_another_platforms_name_warns_with_this_platforms_name(name, backend, data, model, hint):
    _new, _result, warnings = _plan(backend, data, model)
    assert len(warnings) == 1 and hint in warnings[0]


@pytest.mark.parametrize(
    "name,backend,data,model",
    [
        ("xen", xen, XEN, "e1000e"),
        ("libvirt_xml", domain_xml, XML, "e1000e"),
        ("libvirt_xml", domain_xml, XML, "VirtIO"),
    ],
)
def test_known_models_do_not_warn(name, backend, data, model):
    _new, _result, warnings = _plan(backend, data, model)
    assert warnings == []
