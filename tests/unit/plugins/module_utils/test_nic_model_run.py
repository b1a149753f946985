# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared file workflow: the result is ready and reportable before the first file is written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import backends, run
from ansible_collections.nictune.fleet.plugins.module_utils._xen import backend as xen

CFG = b'name = "web01"\ntype = "hvm"\nvif = [ "bridge=xenbr0" ]\n'


def _params(path, **extra):
    params = {"backend": "xen", "path": [str(path)], "model": "e1000", "xen_type": None, "pin_mac": False}
    params.update(backup=False, match=None, uri="qemu:///system", domains=None)
    params.update(extra)
    return params


def test_a_result_that_cannot_be_reported_stops_the_task_before_any_write(tmp_path, make_host, monkeypatch):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(CFG)
    writes = []
    host = make_host()
    host.write_file = lambda path, data, backup=False: writes.append(path)

    def plan_file(path, data, options, warn):
        new, result = xen.plan_file(path, data, options, warn)
        return new, dict(result, odd=object())  # a backend bug: something JSON cannot carry

    monkeypatch.setitem(backends.FILE_BACKENDS, "xen", type("Odd", (), {"plan_file": staticmethod(plan_file)}))
    with pytest.raises(NicTuneError) as err:
        run.apply(host, _params(cfg))
    assert "cannot be reported" in str(err.value) and "nothing was written" in str(err.value)
    assert writes == [] and cfg.read_bytes() == CFG


def test_undecodable_bytes_are_reported_as_escapes(tmp_path, make_host):
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(CFG.replace(b"web01", b"w\xe9b"))
    out = run.apply(make_host(check_mode=True, diff_mode=True), _params(cfg))
    assert out["results"][0]["domain"] == "w\\xe9b"
    assert 'name = "w\\xe9b"' in out["diff"][0]["after"]


_LOADS = """
import sys
from ansible_collections.nictune.fleet.plugins.module_utils._nic_model import run
from ansible_collections.nictune.fleet.plugins.modules import nic_model_info  # the module's own imports too

class Host:
    check_mode = diff_mode = False
    def warn(self, msg):
        pass

params = {"backend": sys.argv[1], "path": [sys.argv[2]], "uri": "qemu:///system", "domains": None}
assert run.info(Host(), params)["domains"]
prefix = "ansible_collections.nictune.fleet.plugins.module_utils."
print(" ".join(sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))))
"""


@pytest.mark.parametrize("backend", ["xen", "auto"])
def test_a_xen_task_loads_no_other_backend(tmp_path, backend):
    # every module a run imports is compiled anew on the host (the payload is a zip): a Xen audit of a big fleet
    # must not pay for the libvirt, Proxmox and VirtualBox cores
    cfg = tmp_path / "web01.cfg"
    cfg.write_bytes(CFG)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [sys.executable, "-c", _LOADS, backend, str(cfg)], env=env, capture_output=True, text=True, check=True
    )
    loaded = proc.stdout.split()
    assert "_xen.backend" in loaded
    others = {"_libvirt.api", "_libvirt.live", "_libvirt.emulator", "_proxmox.qm"}
    if backend == "xen":  # auto asks the other file backends whether they take the file: they are loaded
        others |= {"_libvirt.domain_xml", "_proxmox.backend", "_virtualbox.backend", "_virtualbox.manage"}
    assert not others & set(loaded), loaded
