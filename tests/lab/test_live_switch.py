# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live switch on the lab's real libvirtd, around the edges the main job does not reach:

* check mode plans a live switch, says so, and changes neither the definition nor the running domain;
* a domain that is shut off takes the config path under ``apply: auto`` and ``apply: live`` fails on it, naming it;
* ``apply: live`` with a file backend is refused before anything is read.

(The live switch itself, with the guest keeping its name, address and MAC without a reboot, is verified by the
Molecule scenario ``upgrade``; the rollback by test_upgrade_rollback.py.) Skips when the lab is not up.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

GUEST = "lab-guest1"
OFF_DOMAIN = "nictune-lab-offtest"
OFF_MAC = "52:54:00:4e:54:f0"


def _module(lab_ansible, args, *extra):
    """nictune.fleet.nic_model run ad hoc on the lab's hypervisor: (returncode, the module's result)."""
    paths = [os.path.join(lab_ansible.root, ".build", d) for d in ("collections", "ansible-pkg")]
    env = dict(
        lab_ansible.env,
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
    )
    run = subprocess.run(
        [
            os.path.join(lab_ansible.root, ".venv", "bin", "ansible"),
            "-i",
            lab_ansible.inventory,
            "lab-hypervisor",
            "-m",
            "nictune.fleet.nic_model",
            "-a",
            json.dumps(args),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(run.stdout)
    return run.returncode, doc["plays"][0]["tasks"][0]["hosts"]["lab-hypervisor"]


@pytest.fixture
def libvirt_lab(lab_ansible):
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python is needed to reach the lab's libvirtd")
    hosts = lab_ansible.hostvars()["_meta"]["hostvars"]
    uri = hosts["lab-hypervisor"]["nic_model_uri"]
    conn = libvirt.open(uri)
    yield libvirt, conn, uri, hosts
    conn.close()


def _nics(libvirt, dom, flags):
    root = ET.fromstring(dom.XMLDesc(flags))
    return [
        (i.find("mac").get("address"), (i.find("model") if i.find("model") is not None else i).get("type"))
        for i in root.findall("./devices/interface")
    ]


def test_check_mode_says_live_and_changes_nothing(lab_ansible, libvirt_lab):
    libvirt, conn, _uri, hosts = libvirt_lab
    dom = conn.lookupByName(hosts[GUEST]["nic_model_domain"])
    if not dom.isActive():
        pytest.skip("%s is not running" % GUEST)
    before = (_nics(libvirt, dom, libvirt.VIR_DOMAIN_XML_INACTIVE), _nics(libvirt, dom, 0))
    current = before[0][0][1]
    other = "e1000" if current != "e1000" else "rtl8139"
    run = lab_ansible.playbook(
        "upgrade_nics.yml",
        "--check",
        "-e",
        json.dumps({"nictune_guests_group": GUEST, "nic_model_target": other, "nic_model_probe": False}),
        stdout=-1,
        stderr=-2,
        text=True,
    )
    output = run.communicate(timeout=600)[0]
    assert run.returncode == 0, output[-4000:]
    assert re.search(r"%s: switch %s -> %s, live \(" % (GUEST, current, other), output), output[-4000:]
    assert "check mode: would switch live to %s" % other in output, output[-4000:]
    assert (_nics(libvirt, dom, libvirt.VIR_DOMAIN_XML_INACTIVE), _nics(libvirt, dom, 0)) == before


@pytest.fixture
def shut_off_domain(libvirt_lab):
    libvirt, conn, _uri, _hosts = libvirt_lab
    try:
        conn.lookupByName(OFF_DOMAIN).undefine()
    except libvirt.libvirtError:
        pass
    xml = (
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<interface type='network'><source network='default'/><mac address='%s'/><model type='rtl8139'/></interface>"
        "</devices></domain>" % (OFF_DOMAIN, OFF_MAC)
    )
    dom = conn.defineXML(xml)
    yield dom
    dom.undefine()


def test_shut_off_domain_takes_the_config_path_under_auto_and_live_fails(lab_ansible, libvirt_lab, shut_off_domain):
    libvirt, _conn, uri, _hosts = libvirt_lab
    args = {"backend": "libvirt", "uri": uri, "domains": [OFF_DOMAIN], "model": "virtio"}

    rc, live = _module(lab_ansible, dict(args, apply="live"))
    assert rc != 0 and live.get("failed"), live
    assert "domain %s: apply is live, but the domain is not running" % OFF_DOMAIN in live["msg"], live
    assert _nics(libvirt, shut_off_domain, libvirt.VIR_DOMAIN_XML_INACTIVE) == [(OFF_MAC, "rtl8139")]

    rc, auto = _module(lab_ansible, dict(args, apply="auto"))
    assert rc == 0 and auto["changed"], auto
    result = auto["results"][0]
    assert (result["apply_method"], result["live_pending"]) == ("config", False), result
    assert "the domain is not running" in result["apply_reason"], result
    assert _nics(libvirt, shut_off_domain, libvirt.VIR_DOMAIN_XML_INACTIVE) == [(OFF_MAC, "virtio")]

    rc, again = _module(lab_ansible, dict(args, apply="auto"))
    assert rc == 0 and not again["changed"], again


def test_live_with_a_file_backend_is_refused_before_anything_is_read(lab_ansible, tmp_path):
    path = tmp_path / "guest.xml"
    original = (
        "<domain type='kvm'><name>g</name><devices><interface type='bridge'><model type='rtl8139'/>"
        "</interface></devices></domain>"
    )
    path.write_text(original)
    rc, out = _module(lab_ansible, {"backend": "libvirt_xml", "path": [str(path)], "model": "virtio", "apply": "live"})
    assert rc != 0 and out.get("failed"), out
    assert (
        "apply: live swaps the NICs of running domains through the libvirt API: it needs backend libvirt" in out["msg"]
    )
    assert path.read_text() == original
