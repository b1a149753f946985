# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bulk NIC model change on a real libvirtd: one nictune.fleet.nic_model task vs a virt-xml loop.

Starts a private libvirtd (roles/lab/files/nictune-libvirtd.sh, state under a temporary directory),
defines N domains (default 300) with two NICs each (rtl8139 + e1000), then times

* one ``nictune.fleet.nic_model`` task (``backend: libvirt``, every domain, ``model: virtio``), run by
  ansible-playbook on localhost, and the same task again (nothing left to change);
* ``virt-xml DOMAIN --edit all --network model.type=virtio`` per domain, on a sample of the domains
  (``--virt-xml-sample``, default 30; ``--virt-xml-sample 0`` runs it on all of them), after every
  domain was put back to its original models.

Both results are verified by reading the definitions back. community.general.xml + virsh define is not
measured: that collection is not installed here.

Prints figures; the last line is one JSON object with ``speedup_vs_virt_xml``: virt-xml's cost per
domain divided by nic_model's cost per domain. Stops its libvirtd and removes its state at the end.

Usage: benchmarks/libvirt_bulk [--domains 300] [--virt-xml-sample 30]
Needs root, libvirtd/virtlogd/qemu-system-x86_64/virt-xml from Debian, and the project's venv
(.venv with ansible-core and libvirt-python) or NICTUNE_PYTHON pointing at such a Python.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBVIRTD = os.path.join(ROOT, "roles", "lab", "files", "nictune-libvirtd.sh")

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='custom' match='exact'><model>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'><mac address='52:54:00:b0:{hi:02x}:{lo:02x}'/><model type='rtl8139'/></interface>
    <interface type='user'><mac address='52:54:00:b1:{hi:02x}:{lo:02x}'/><model type='e1000'/></interface>
  </devices>
</domain>
"""

PLAYBOOK = """---
- name: Bulk NIC model change
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Every NIC of every domain to virtio
      nictune.fleet.nic_model:
        backend: libvirt
        uri: "{{{{ nictune_uri }}}}"
        domains: {domains}
        model: virtio
      register: nictune_result

    - name: Report
      ansible.builtin.debug:
        msg: "changed={{{{ nictune_result.changed }}}} domains={{{{ nictune_result.results | length }}}}"
"""


def _python():
    for candidate in (os.environ.get("NICTUNE_PYTHON"), os.path.join(ROOT, ".venv", "bin", "python")):
        if candidate and os.path.exists(candidate):
            return candidate
    return sys.executable


def _venv_bin(name):
    path = os.path.join(os.path.dirname(_python()), name)
    return path if os.path.exists(path) else shutil.which(name)


def _models(libvirt, conn, names):
    """Every NIC model of the named domains' persistent definitions."""
    import xml.etree.ElementTree as ET

    out = {}
    for name in names:
        root = ET.fromstring(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        out[name] = [m.get("type") for m in root.findall("./devices/interface/model")]
    return out


def _define_all(libvirt, conn, names):
    for i, name in enumerate(names):
        conn.defineXML(DOMAIN.format(name=name, hi=i // 256, lo=i % 256))


def _reset(libvirt, conn, names):
    """Every domain back to rtl8139 + e1000 (a new definition needs the old one undefined first)."""
    for name in names:
        conn.lookupByName(name).undefine()
    _define_all(libvirt, conn, names)


def _run_playbook(workdir, uri, names):
    collections = os.path.join(workdir, "collections")
    link = os.path.join(collections, "ansible_collections", "nictune", "fleet")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link))
        os.symlink(ROOT, link)
    playbook = os.path.join(workdir, "bulk.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK.format(domains=json.dumps(names)))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    cmd = [
        _venv_bin("ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % _python(),
        "-e",
        "nictune_uri=%s" % uri,
        playbook,
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("ansible-playbook failed")
    return elapsed


def _run_virt_xml(uri, names):
    start = time.monotonic()
    for name in names:
        cmd = ["virt-xml", "--connect", uri, name, "--edit", "all", "--network", "model.type=virtio"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit("virt-xml failed on %s: %s" % (name, proc.stderr.strip()))
    return time.monotonic() - start


def main():
    if os.path.abspath(_python()) != os.path.abspath(sys.executable) and not os.environ.get("_NICTUNE_BENCH_REEXEC"):
        os.environ["_NICTUNE_BENCH_REEXEC"] = "1"
        os.execv(_python(), [_python(), *sys.argv])
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--domains", type=int, default=300)
    parser.add_argument("--virt-xml-sample", type=int, default=30, help="domains for the virt-xml loop (0 = all)")
    parser.add_argument("--repeat", type=int, default=3, help="nic_model runs (the median counts; the host is shared)")
    args = parser.parse_args()
    import libvirt

    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    if shutil.which("virt-xml") is None:
        raise SystemExit("virt-xml not found (apt-get install virtinst)")
    workdir = tempfile.mkdtemp(prefix="nictune-bench-")
    state = os.path.join(workdir, "libvirt")
    try:
        t0 = time.monotonic()
        uri = subprocess.run([LIBVIRTD, "start", state], capture_output=True, text=True, check=True).stdout.strip()
        print("private libvirtd: %s (up in %.1f s)" % (uri, time.monotonic() - t0))
        conn = libvirt.open(uri)
        names = ["bench-%03d" % i for i in range(args.domains)]
        t0 = time.monotonic()
        _define_all(libvirt, conn, names)
        print("defined %d domains (2 NICs each: rtl8139, e1000) in %.1f s" % (len(names), time.monotonic() - t0))

        runs = []
        for attempt in range(max(1, args.repeat)):
            if attempt:
                _reset(libvirt, conn, names)
            runs.append(_run_playbook(workdir, uri, names))
            after = _models(libvirt, conn, names)
            assert all(m == ["virtio", "virtio"] for m in after.values()), "nic_model left a NIC unchanged"
        nic_model_s = sorted(runs)[len(runs) // 2]
        nic_model_noop_s = _run_playbook(workdir, uri, names)
        print(
            "nic_model, one task over %d domains: %s s, median %.2f s (%.1f ms/domain)"
            % (len(names), ", ".join("%.2f" % r for r in runs), nic_model_s, 1000 * nic_model_s / len(names))
        )
        print("nic_model again, nothing to change: %.2f s" % nic_model_noop_s)

        _reset(libvirt, conn, names)
        sample = names if args.virt_xml_sample <= 0 else names[: args.virt_xml_sample]
        virt_xml_s = _run_virt_xml(uri, sample)
        after = _models(libvirt, conn, sample)
        assert all(m == ["virtio", "virtio"] for m in after.values()), "virt-xml left a NIC unchanged"
        per_nic_model = nic_model_s / len(names)
        per_virt_xml = virt_xml_s / len(sample)
        print("virt-xml loop over %d domains: %.2f s (%.1f ms/domain)" % (len(sample), virt_xml_s, 1000 * per_virt_xml))
        print("community.general.xml + define: not measured (collection not installed here)")
        speedup = per_virt_xml / per_nic_model
        print("speedup per domain vs virt-xml: %.1fx" % speedup)
        conn.close()
        result = {
            "domains": len(names),
            "nics_per_domain": 2,
            "nic_model_seconds": round(nic_model_s, 3),
            "nic_model_runs_seconds": [round(r, 3) for r in runs],
            "nic_model_noop_seconds": round(nic_model_noop_s, 3),
            "nic_model_ms_per_domain": round(1000 * per_nic_model, 2),
            "virt_xml_domains": len(sample),
            "virt_xml_seconds": round(virt_xml_s, 3),
            "virt_xml_ms_per_domain": round(1000 * per_virt_xml, 2),
            "community_general_xml": "not measured: collection not installed",
            "speedup_vs_virt_xml": round(speedup, 1),
        }
    finally:
        subprocess.run([LIBVIRTD, "stop", state], capture_output=True, check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
