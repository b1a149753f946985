# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge 1,000 realistic xl.cfg files to e1000, three ways, measured side by side in one run:

  (a) one nictune.fleet.nic_model task over a glob (at 100 and at 1,000 files: the difference of the median
      times over --rounds runs is the marginal cost of one more file),
  (b) a per-file loop of ansible.builtin.replace (on a subset: 10 and 40 files, same method),
  (c) plain Python: read, parse, plan and write each file with the collection's core.

Prints the figures; the last line is one JSON object with speedup_vs_replace (per-file cost of b
divided by that of a, both marginal) and marginal_ms_per_file (a's cost per extra file).
Targets: speedup_vs_replace >= 50, marginal_ms_per_file <= 1.

Run from the repository root:  benchmarks/xen_bulk [--files N] [--rounds R]   (scripts/setup.sh prepares .venv)
"""

from __future__ import annotations

import bulk_files  # first: it puts the collection on sys.path

from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._xen import backend as xen


def realistic_config(i, rng):
    """One guest config of the kinds met in the field: HVM or PV, 1-3 NICs, both quote styles, comments."""
    q = rng.choice(["'", '"'])
    hvm = rng.random() < 0.85
    lines = [
        "# guest %d, managed by the platform team" % i,
        "name = %sguest%04d%s" % (q, i, q),
        ("builder = %shvm%s" % (q, q)) if rng.random() < 0.5 else ("type = %shvm%s" % (q, q) if hvm else 'type = "pv"'),
        "memory = %d" % rng.choice([512, 1024, 2048, 4096]),
        "vcpus = %d" % rng.choice([1, 2, 4]),
        "disk = [ %sphy:/dev/vg0/guest%04d,xvda,w%s ]" % (q, i, q),
    ]
    if not hvm:
        lines[2] = 'type = "pv"'
        lines.insert(3, 'kernel = "/boot/vmlinuz-guest"')
    nics = []
    for n in range(rng.choice([1, 1, 2, 3])):
        items = []
        if rng.random() < 0.6:
            items.append("mac=00:16:3e:%02x:%02x:%02x" % (i // 256, i % 256, n))
        items.append("bridge=xenbr%d" % n)
        if rng.random() < 0.5:
            items.append("model=rtl8139")
        sep = rng.choice([",", ", "])
        nics.append("%s%s%s" % (q, sep.join(items), q))
    if len(nics) > 1 and rng.random() < 0.5:
        lines.append("vif = [\n" + "".join("    %s,   # nic %d\n" % (s, k) for k, s in enumerate(nics)) + "]")
    else:
        lines.append("vif = [ %s ]" % ", ".join(nics))
    lines.append('on_reboot = "restart"')
    return "\n".join(lines) + "\n"


def task_a(folder):
    return "    - nictune.fleet.nic_model:\n        path: %s/*.cfg\n        model: e1000\n" % folder


def task_b(folder):
    return (
        "    - ansible.builtin.replace:\n"
        "        path: '{{ item }}'\n"
        "        regexp: 'model=rtl8139'\n"
        "        replace: 'model=e1000'\n"
        "      loop: \"{{ query('ansible.builtin.fileglob', '%s/*.cfg') }}\"\n" % folder
    )


OPTIONS = {"model": "e1000", "xen_type": None, "pin_mac": False, "match": normalise_match(None)}


def plan(path, data):
    return xen.plan_file(path, data, OPTIONS, lambda msg: None)[0]


BULK = bulk_files.Bulk("xen", realistic_config, lambda i: "guest%04d.cfg" % i, task_a, task_b, plan)

if __name__ == "__main__":
    bulk_files.main(BULK, __doc__.splitlines()[0])
