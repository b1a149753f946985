# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model catalogue: its answers, and that it is the only place in the collection that lists models."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from ansible_collections.nictune.fleet.plugins.module_utils._common import models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError

ROOT = pathlib.Path(__file__).resolve().parents[4]
CATALOGUE = ROOT / "plugins" / "module_utils" / "_common" / "models.py"
# What ships in the collection and runs: plugins, roles, playbooks, AWX material, metadata. Tests,
# benchmarks, docs and Molecule scenarios may name models freely.
SCANNED = ("plugins", "roles", "playbooks", "meta", "extensions/awx")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("virtio", "virtio"),
        ("VirtIO", "virtio"),
        ("virtio-net-pci", "virtio"),
        ("vif", "xen_pv"),
        ("netfront", "xen_pv"),
        ("xen_pv", "xen_pv"),
        ("8139cp", "rtl8139"),
        ("82540EM", "e1000"),
        ("e1000-82545em", "e1000"),
        ("Am79C973", "pcnet"),
        ("fakemodel", None),
        (None, None),
    ],
)
def test_canonical_names(name, canonical):
    assert models.canonical(name) == canonical


def test_unknown_model_names_the_known_ones():
    with pytest.raises(NicTuneError, match="unknown NIC model 'virtoi'; known: rtl8139, e1000"):
        models.normalise("virtoi")


def test_every_ranked_model_is_offered_by_its_platform():
    for platform in models.PLATFORMS:
        offered = models.platform_models(platform)
        assert models.ranking(platform), platform
        assert set(models.ranking(platform)) <= set(offered), platform


def test_platform_spellings_round_trip():
    for platform in models.PLATFORMS:
        for model in models.platform_models(platform):
            written = models.written_name(model, platform)
            if written is not None:
                assert models.from_platform(platform, written) == model, (platform, model)
    assert models.written_name("virtio", "xen_hvm") == "virtio-net-pci"
    assert models.written_name("xen_pv", "xen_hvm") is None
    with pytest.raises(NicTuneError, match="not offered on xen_hvm"):
        models.written_name("vmxnet3", "xen_hvm")


def test_guest_drivers_come_from_the_family():
    assert models.linux_driver("virtio-transitional")["needs"] == ["virtio_net", "virtio_pci"]
    assert models.linux_driver("i82559er")["needs"] == ["e100"]
    assert models.linux_driver("usb-net") is None
    assert models.linux_modules() == [
        "8139cp",
        "8139too",
        "e1000",
        "e1000e",
        "virtio_net",
        "virtio_pci",
        "xen_netfront",
        "vmxnet3",
    ]
    assert "vif" in models.ethtool_drivers()
    assert models.windows_candidates("e1000e") == ["windows_inbox_e1000e", "intel_proset"]
    assert models.windows_candidates("pcnet") == []


def test_address_types():
    assert models.models_for_address("pci") is None
    assert models.models_for_address("ccw") == ("virtio",)
    assert models.models_for_address("usb") == ("usb-net",)
    assert models.qemu_device("virtio", "ccw") == "virtio-net-ccw"
    assert models.qemu_device("e1000") == "e1000"
    assert models.libvirt_name_of_device("virtio-net-pci") == "virtio"


# --- one home: no other list of model names in the collection --------------------------------------------


def _names():
    names = set()
    for item in models.describe():
        names.add(item["name"].lower())
        names.update(a.lower() for a in item["aliases"])
        for written in item["names"].values():
            names.update(w.lower() for w in written)
    return names


NAMES = _names()


def _model_items(values):
    return {str(v).strip().lower() for v in values if isinstance(v, str) and str(v).strip().lower() in NAMES}


def _python_lists(path):
    """Line numbers of list/tuple/set literals (and dict keys) naming two or more models."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        values = None
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        elif isinstance(node, ast.Dict):
            values = [k.value for k in node.keys if isinstance(k, ast.Constant)]
        if values and len(_model_items(values)) >= 2:
            found.append(node.lineno)
    return found


def _yaml_lists(data, where=""):
    found = []
    if isinstance(data, dict):
        if len(_model_items(list(data))) >= 2:
            found.append(where or "(top)")
        for key, value in data.items():
            found += _yaml_lists(value, "%s.%s" % (where, key) if where else str(key))
    elif isinstance(data, list):
        if len(_model_items(data)) >= 2:
            found.append(where or "(top)")
        for index, value in enumerate(data):
            found += _yaml_lists(value, "%s[%d]" % (where, index))
    return found


def _files():
    for top in SCANNED:
        base = ROOT / top
        if not base.exists():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yml", ".yaml") and path != CATALOGUE:
                yield path


def test_no_list_of_model_names_outside_the_catalogue():
    offenders = []
    for path in _files():
        rel = path.relative_to(ROOT)
        if path.suffix == ".py":
            offenders += ["%s:%d" % (rel, line) for line in _python_lists(path)]
            continue
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue  # Jinja-templated YAML that is not YAML by itself
        for doc in docs:
            offenders += ["%s: %s" % (rel, where) for where in _yaml_lists(doc)]
    assert not offenders, "lists of model names outside plugins/module_utils/_common/models.py:\n" + "\n".join(
        offenders
    )


def test_the_scan_finds_a_planted_list(tmp_path):
    planted = tmp_path / "x.py"
    planted.write_text("RANKING = ['virtio', 'e1000e', 'e1000']\nONE = ('virtio',)\n")
    assert _python_lists(planted) == [1]
    assert _yaml_lists({"a": {"b": ["vif", "e1000", "other"]}, "c": ["virtio"]}) == ["a.b"]
    assert os.path.exists(CATALOGUE)


def test_models_doc_is_current():
    script = ROOT / "scripts" / "models-doc.py"
    run = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
