# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Proxmox VE core of the fuzz harness: qemu-server configs (``<vmid>.conf``).

Seeds: a few built-in configs, the corpus's ``proxmox/`` configs and the repository's own test configs. The
structure-aware mutations write ``netN:`` lines (every model Proxmox knows and some it does not; MACs upper and
lower case, multicast, short; the other items valid and not, in odd orders, ``model=``/``macaddr=`` spelled out,
blanks, empty items), rewrite the value of a ``netN:`` line that is there, add ``[PENDING]`` (``netN:`` values,
``delete:`` lists) and snapshot sections (a copy of the current configuration), and insert lines Proxmox treats
specially (comments, ``lock:``, section headers) with bytes that are not UTF-8.

The check: the edited file is read again by the qemu-server reader; it differs from the input only in the model
token of the current configuration's ``netN:`` lines the plan changed (and, with ``proxmox_pending: replace``,
by the ``[PENDING]`` lines of those NICs, which go); the model read back is the one planned.
"""

from __future__ import annotations

import re

from harness import (
    Core,
    corpus_and_test_files,
    insert_after,
    match_option,
    mutations,
)

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox import backend
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.net_value import MODEL_NAMES, NetValue
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.qemu_config import QemuConfig

HEAD = b"# web server\n#caf\xc3\xa9 owner\nboot: order=scsi0;net0\ncores: 2\nmemory: 2048\nname: web01\n"
TAIL = b"ostype: l26\nscsi0: local-lvm:vm-100-disk-0,size=8G\n"
SEEDS = [
    (
        "builtin:plain",
        HEAD + b"net0: e1000=BC:24:11:0A:00:01,bridge=vmbr0,firewall=1\n"
        b"net1: rtl8139=bc:24:11:0a:00:02,bridge=vmbr1,tag=20,queues=2\n" + TAIL,
    ),
    (
        "builtin:spelled-out",
        HEAD + b"net0: bridge=vmbr0,model=e1000,macaddr=BC:24:11:0B:00:01\n"
        b"net2: macaddr=BC:24:11:0B:00:02,bridge=vmbr0,model=vmxnet3,rate=12.5,mtu=1500\n"
        b"net3: e1000e,bridge=vmbr0,link_down=on,trunks=10;20-30\n" + TAIL,
    ),
    (
        "builtin:pending-and-snapshot",
        HEAD + b"net0: e1000=BC:24:11:0C:00:01,bridge=vmbr0\nnet1: virtio=BC:24:11:0C:00:02,bridge=vmbr1\n"
        b"parent: before\n" + TAIL + b"\n[PENDING]\nnet0: e1000=BC:24:11:0C:00:01,bridge=vmbr2\n"
        b"net2: rtl8139=BC:24:11:0C:00:03,bridge=vmbr0\ndelete: !net1\n\n[before]\n"
        b"net0: e1000=BC:24:11:0C:00:01,bridge=vmbr0\nsnaptime: 1717400000\n\n[special:cloudinit]\nipconfig0: dhcp\n",
    ),
    (
        "builtin:crlf-latin1",
        (
            b"#d\xe9mo \xff\nname: caf\xe9\nnet0:\te1000=BC:24:11:0D:00:01 , bridge=vmbr\xe9  \n  \n"
            b"net1: model=rtl8139,,bridge=vmbr0,x-unknown=1\nlock: backup\n"
        ).replace(b"\n", b"\r\n"),
    ),
    ("builtin:no-final-newline", b"name: t\nnet0: virtio,bridge=vmbr0\nnet1: e1000=BC:24:11:0E:00:01"),
]
MACS = (
    "BC:24:11:0A:00:01",
    "bc:24:11:0a:00:02",
    "52:54:00:12:34:56",
    "01:00:5E:00:00:01",
    "BC:24:11:0A:00",
    "BC-24-11-0A-00-01",
    "zz:24:11:0a:00:01",
)
WRITTEN_MODELS = (*MODEL_NAMES, "E1000", "virtio-net", "ne2k", "")
ITEMS = (
    "bridge=vmbr0",
    "bridge=vmbr1",
    "bridge=vmbr\xe9",
    "firewall=1",
    "firewall=off",
    "firewall=maybe",
    "tag=20",
    "tag=0",
    "tag=4095",
    "queues=4",
    "queues=65",
    "rate=12.5",
    "rate=-1",
    "rate=.5",
    "mtu=1500",
    "mtu=0",
    "trunks=10;20-30",
    "trunks=x",
    "link_down=1",
    "host-tunnel=0",
    "x-unknown=1",
    "Bridge=vmbr0",
    "=x",
    "bridge=",
    "",
    " ",
    "bridge=vmbr0\r",
    "macaddr=BC:24:11:0A:00:09",
    "model=virtio",
    "virtio",
    "tag=20",
)
LINES = (
    "# a comment with ,net0: inside\n",
    "#\xe9t\xe9 \xff\xfe\n",
    "\n",
    " \t\r\n",
    "lock: backup\n",
    "lock: snapshot\n",
    "hotplug: 0\n",
    "hotplug: disk,network\n",
    "template: 1\n",
    "delete: net0\n",
    "parent: before\n",
    "name: caf\xc3\xa9\n",
    "net0 e1000\n",
    "net0:\n",
    "NET0: virtio\n",
    "[PENDING]\n",
    "[pending]\n",
    "[special:cloudinit]\n",
    "[special:unknown]\n",
    "[:3]\n",
    "[snap1]\n",
    "[s]\n",
)
TOKENS = (
    *LINES,
    ",",
    "=",
    ":",
    " ",
    "\t",
    "\r",
    "\n",
    "#",
    "[",
    "]",
    "\xe9",
    "\xff",
    "\x00",
    "net0",
    "net1",
    "net31",
    "e1000",
    "virtio",
    "rtl8139",
    "vmxnet3",
    "model=",
    "macaddr=",
    "BC:24:11:0A:00:01",
    "bridge=vmbr0",
    ",firewall=1",
    "delete: ",
    "!net0",
)
#: The ``model`` option: Proxmox names and catalogue names, in odd case (every one is a model Proxmox offers).
TARGETS = (*MODEL_NAMES, "VirtIO", "E1000", "virtio-net", "e1000-82545EM", "pcnet", "rtl8139")
_NET_LINE_RE = re.compile(rb"^net[0-9]+:[ \t]*([^\n]*?)[ \t\r]*$", re.MULTILINE)
_HEADER_RE = re.compile(rb"^\[", re.MULTILINE)


def seeds():
    return SEEDS + corpus_and_test_files("proxmox", ".conf", "nic_model_proxmox")


def _latin1(text):
    return text.encode("latin-1")


def _net_value(rng):
    """A ``netN`` value: the model first or anywhere, as ``<model>=<MAC>``, bare or spelled out, and other items."""
    model = rng.choice(WRITTEN_MODELS)
    mac = rng.choice((*MACS, None, None))
    items = list(rng.sample(ITEMS, rng.randint(0, 4)))
    form = rng.randrange(3)
    if form == 0:
        first = [model if mac is None else "%s=%s" % (model, mac)]
    elif form == 1:
        first = ["model=%s" % model] + ([] if mac is None else ["macaddr=%s" % mac])
    else:
        first = [model]
    if rng.random() < 0.3:
        items = first + items
        rng.shuffle(items)
    else:
        items = first + items
    return rng.choice((",", ",", ", ", " ,")).join(items)


def _net_line(rng):
    return _latin1(
        "net%d:%s%s%s\n"
        % (
            rng.choice((0, 0, 1, 1, 2, 3, 31)),
            rng.choice((" ", " ", "", "\t", "  ")),
            _net_value(rng),
            rng.choice(("", "", " ", "\r")),
        )
    )


def _current_end(data):
    """Where the current configuration ends (the first line that opens a section), or the end of the file."""
    match = _HEADER_RE.search(data)
    return match.start() if match else len(data)


def insert_net_line(rng, data, _core):
    """A new ``netN:`` line at the start of a line, most often in the current configuration."""
    end = _current_end(data) if rng.random() < 0.8 else len(data)
    starts = [0] + [i + 1 for i in range(end) if data[i : i + 1] == b"\n"]
    pos = rng.choice(starts)
    return data[:pos] + _net_line(rng) + data[pos:]


def rewrite_net_value(rng, data, core):
    """The value of a ``netN:`` line that is there: a new one, or its own items reordered, case changed or one
    item dropped or added."""
    found = list(_NET_LINE_RE.finditer(data))
    if not found:
        return insert_net_line(rng, data, core)
    match = rng.choice(found)
    value = match.group(1)
    items = value.split(b",")
    how = rng.randrange(5)
    if how == 0:
        new = _latin1(_net_value(rng))
    elif how == 1:
        rng.shuffle(items)
        new = b",".join(items)
    elif how == 2:
        new = value.upper() if rng.random() < 0.5 else value.lower()
    elif how == 3 and len(items) > 1:
        del items[rng.randrange(len(items))]
        new = b",".join(items)
    else:
        items.insert(rng.randint(0, len(items)), _latin1(rng.choice(ITEMS)))
        new = b",".join(items)
    return data[: match.start(1)] + new + data[match.end(1) :]


def _section_lines(rng, data):
    """Lines of a ``[PENDING]`` section: new ``netN:`` values, next values of NICs the file has, ``delete:``."""
    lines = [_net_line(rng) for _n in range(rng.randint(0, 1))]
    current = list(_NET_LINE_RE.finditer(data, 0, _current_end(data)))
    for match in rng.sample(current, min(len(current), rng.randint(0, 2))):
        line = match.group(0).rstrip(b"\r") + b"\n"
        lines.append(rng.choice((line.replace(b"vmbr0", b"vmbr2"), line, line.rstrip(b"\n") + b",tag=30\n")))
    lines += [
        _latin1(line)
        for line in rng.sample(
            (
                "delete: net0\n",
                "delete: !net1,net2\n",
                "delete: net0;net1 net3\n",
                "delete: memory\n",
                "memory: 4096\n",
                "# pending note\n",
            ),
            rng.randint(0, 2),
        )
    ]
    rng.shuffle(lines)
    return b"".join(lines)


def add_pending(rng, data, _core):
    """A ``[PENDING]`` section (``netN:`` values, ``delete:`` lists) after the current configuration."""
    pos = _current_end(data)
    section = rng.choice((b"[PENDING]\n", b"[pending]\n", b"[PENDING] \r\n")) + _section_lines(rng, data)
    lead = b"" if pos == 0 or data[pos - 1 : pos] == b"\n" else b"\n"
    return data[:pos] + lead + section + b"\n" + data[pos:]


def add_snapshot(rng, data, _core):
    """A snapshot section: a copy of the current configuration (with one ``netN:`` line more, sometimes), at the end."""
    current = data[: _current_end(data)]
    if rng.random() < 0.3:
        current += _net_line(rng)
    name = rng.choice((b"before", b"snap-1", b"s2_x", b"Before"))
    lead = b"" if data.endswith(b"\n") else b"\n"
    tail = rng.choice((b"snaptime: 1717400000\n", b""))
    return data + lead + b"\n[" + name + b"]\n" + current + tail


def insert_line(rng, data, core):
    """A line Proxmox reads specially (comment, ``lock:``, section header ...) at the start of a line."""
    return insert_after(rng, data, core, b"\n", [_latin1(line) for line in LINES])


def options(rng):
    return {
        "model": rng.choice(TARGETS),
        "match": match_option(rng, ("BC:24:11:0A:00:01", "bc:24:11:0c:00:01"), ("vmbr0", "vmbr1")),
        "proxmox_pending": rng.choice((None, "skip", "replace", "replace")),
        "proxmox_via": "file",
    }


def check(old, new, result, opts):
    """The edit-then-reparse check of one edit (see the module docstring); yields a text per problem."""
    try:
        old_cfg = QemuConfig.parse(old, "old")
        new_cfg = QemuConfig.parse(new, "new")
        after = {nic["key"]: nic for nic in backend.describe_file("new", new, [].append)["nics"]}
    except NicTuneError as exc:
        yield "the edited file is refused by the qemu-server reader: %s" % exc
        return
    changed = {nic["key"]: nic for nic in result["nics"] if nic["changed"]}
    dropped = [line for line in old_cfg.pending.lines if line.key in changed] if old_cfg.pending else []
    if dropped and opts.get("proxmox_pending") != "replace":
        yield "the pending value of a changed NIC went without proxmox_pending: replace"
    kept = [line for line in old_cfg.lines if line not in dropped]
    if len(kept) != len(new_cfg.lines):
        yield "%d lines became %d (only [PENDING] lines of changed NICs may go)" % (len(kept), len(new_cfg.lines))
        return
    current = old_cfg.main.lines
    for before, line in zip(kept, new_cfg.lines):
        if (before.text, before.eol) == (line.text, line.eol):
            continue
        if before not in current or before.key not in changed:
            yield "line %d changed and is not a netN line the plan changed: %r -> %r" % (
                before.number,
                before.text,
                line.text,
            )
            continue
        if line.key != before.key:
            yield "line %d: %r became %r" % (before.number, before.text, line.text)
            continue
        start, end = before.span
        if before.text[:start] != line.text[: line.span[0]] or before.text[end:] != line.text[line.span[1] :]:
            yield "line %d: more than the value changed: %r -> %r" % (before.number, before.text, line.text)
        old_value = NetValue(before.value)
        if NetValue(line.value).with_model(old_value.model) != old_value.text:
            yield "line %d: more than the model token changed: %r -> %r" % (before.number, before.text, line.text)
    for key, nic in changed.items():
        if key not in after or after[key]["model"] != nic["model_after"]:
            yield "%s: model %r planned, %r read back" % (key, nic["model_after"], after.get(key, {}).get("model"))


CORE = Core(
    "proxmox",
    seeds=seeds,
    tokens=TOKENS,
    mutators=mutations(
        (6, insert_net_line), (8, rewrite_net_value), (3, add_pending), (2, add_snapshot), (4, insert_line)
    ),
    options=options,
    plan=backend.plan_file,
    describe=backend.describe_file,
    check_edit=check,
)
