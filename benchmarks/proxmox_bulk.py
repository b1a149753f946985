# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge 1,000 realistic Proxmox VE qemu-server configs to virtio, three ways, measured side by side in one run:

  (a) one nictune.fleet.nic_model task (backend proxmox, proxmox_mode file) over a glob (at 100 and at 1,000
      files: the difference of the median times over --rounds runs is the marginal cost of one more file),
  (b) a per-file loop of ansible.builtin.replace (on a subset: 10 and 40 files, same method), limited to the
      current configuration (from the start to the first section, with after/before) so snapshots keep their
      models; it gives the same files as (a),
  (c) plain Python: read, parse, plan and write each file with the collection's core.

Prints the figures; the last line is one JSON object with speedup_vs_replace (per-file cost of b
divided by that of a, both marginal) and marginal_ms_per_file (a's cost per extra file).
Targets: speedup_vs_replace >= 50, marginal_ms_per_file <= 1.

Run from the repository root:  benchmarks/proxmox_bulk [--files N] [--rounds R]   (scripts/setup.sh prepares .venv)
"""

from __future__ import annotations

import bulk_files  # first: it puts the collection on sys.path

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox import backend as proxmox

OLD = ("e1000", "rtl8139", "e1000", "virtio")  # what the generated NICs start on (a quarter already virtio)


def _mac(i, n):
    return "BC:24:11:%02X:%02X:%02X" % (i // 256 % 256, i % 256, n)


def realistic_config(i, rng):
    """One VM config of the kinds met in the field: 1-3 NICs in both item orders, options, a description,
    sometimes a pending change and a snapshot that holds an older copy of the NICs."""
    lines = []
    if rng.random() < 0.3:
        lines += ["#VM %d of the platform team" % i, "#ticket%%3A OPS-%d" % (1000 + i)]
    lines += [
        "boot: order=scsi0;net0",
        "cores: %d" % rng.choice([1, 2, 4]),
        "memory: %d" % rng.choice([1024, 2048, 4096]),
        "name: vm%04d" % i,
    ]
    nets = []
    for n in range(rng.choice([1, 1, 2, 3])):
        model = rng.choice(OLD)
        items = ["bridge=vmbr%d" % n]
        if rng.random() < 0.5:
            items.append("firewall=1")
        if rng.random() < 0.2:
            items.append("tag=%d" % rng.randint(2, 4094))
        if rng.random() < 0.1:
            items.append("queues=4")
        if rng.random() < 0.1:
            nets.append("net%d: model=%s,macaddr=%s,%s" % (n, model, _mac(i, n), ",".join(items)))
        else:
            nets.append("net%d: %s=%s,%s" % (n, model, _mac(i, n), ",".join(items)))
    lines += nets
    lines += [
        "ostype: %s" % rng.choice(["l26", "l26", "win10", "win11", "other"]),
        "scsi0: local-lvm:vm-%d-disk-0,iothread=1,size=32G" % (100 + i),
        "scsihw: virtio-scsi-single",
        "smbios1: uuid=00000000-0000-4000-8000-%012d" % i,
        "sockets: 1",
    ]
    if rng.random() < 0.1:
        lines += ["", "[PENDING]", "memory: 8192"]
    if rng.random() < 0.2:
        lines += ["", "[before-upgrade]", "cores: 2", "name: vm%04d" % i, *nets, "snaptime: 1717400000"]
    return "\n".join(lines) + "\n"


def task_a(folder):
    return (
        "    - nictune.fleet.nic_model:\n"
        "        backend: proxmox\n"
        "        proxmox_mode: file\n"
        "        path: %s/*.conf\n"
        "        model: virtio\n" % folder
    )


def task_b(folder):
    return (
        "    - ansible.builtin.replace:\n"
        "        path: '{{ item }}'\n"
        "        regexp: '^(net[0-9]+: (model=)?)(e1000|rtl8139)\\b'\n"
        "        replace: '\\1virtio'\n"
        "        after: '\\A'\n"
        "        before: '(?:\\n\\[|\\Z)'\n"
        "      loop: \"{{ query('ansible.builtin.fileglob', '%s/*.conf') }}\"\n" % folder
    )


OPTIONS = {"model": "virtio", "match": normalise_match(None), "proxmox_via": "file"}


def plan(path, data):
    return proxmox.plan_file(path, data, OPTIONS, lambda msg: None)[0]


BULK = bulk_files.Bulk("proxmox", realistic_config, lambda i: "%d.conf" % (100 + i), task_a, task_b, plan)

if __name__ == "__main__":
    bulk_files.main(BULK, __doc__.splitlines()[0])
