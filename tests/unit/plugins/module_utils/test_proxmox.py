# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Proxmox VE core: the qemu-server config reader/editor, netN values and the model rules, table-driven."""

from __future__ import annotations

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common import models
from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import ConfigSyntaxError, NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox import backend
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.net_value import NetValue, format_net
from ansible_collections.nictune.fleet.plugins.module_utils._proxmox.qemu_config import QemuConfig

MAC = "BC:24:11:2C:69:EC"
PATH = "/etc/pve/nodes/pve1/qemu-server/100.conf"
HEAD = "# web server\nboot: order=scsi0\ncores: 2\nname: web01\n"
TAIL = "ostype: l26\nscsi0: local-lvm:vm-100-disk-0,size=8G\n"


def plan(text, model="virtio", match=None, **options):
    warnings = []
    opts = {"model": model, "match": normalise_match(match), "proxmox_via": "file"}
    opts.update(options)
    data = text.encode("utf-8") if isinstance(text, str) else text
    new, result = backend.plan_file(PATH, data, opts, warnings.append)
    return new.decode("utf-8", "surrogateescape"), result, warnings


def conf(*nets, head=HEAD, tail=TAIL):
    return head + "".join(n + "\n" for n in nets) + tail


# --- netN values -----------------------------------------------------------------------------------------

VALUES = [
    # (value, model, mac, other values, value after setting virtio)
    (
        "e1000=%s,bridge=vmbr0,firewall=1" % MAC,
        "e1000",
        MAC,
        {"bridge": "vmbr0", "firewall": True},
        "virtio=%s,bridge=vmbr0,firewall=1" % MAC,
    ),
    ("e1000,bridge=vmbr0", "e1000", None, {"bridge": "vmbr0"}, "virtio,bridge=vmbr0"),
    (
        "model=e1000,macaddr=%s,bridge=vmbr1" % MAC,
        "e1000",
        MAC,
        {"bridge": "vmbr1"},
        "model=virtio,macaddr=%s,bridge=vmbr1" % MAC,
    ),
    ("macaddr=%s,model=rtl8139,bridge=vmbr1" % MAC, "rtl8139", MAC, {}, "macaddr=%s,model=virtio,bridge=vmbr1" % MAC),
    (
        "bridge=vmbr0,tag=20,rtl8139=%s" % MAC.lower(),
        "rtl8139",
        MAC.lower(),
        {"tag": 20},
        "bridge=vmbr0,tag=20,virtio=%s" % MAC.lower(),
    ),
    (
        "virtio=%s,bridge=vmbr0,firewall=1,queues=4" % MAC,
        "virtio",
        MAC,
        {"queues": 4, "firewall": True},
        "virtio=%s,bridge=vmbr0,firewall=1,queues=4" % MAC,
    ),
    (
        "e1000e=%s,bridge=vmbr0,rate=12.5,link_down=1" % MAC,
        "e1000e",
        MAC,
        {"rate": 12.5, "link_down": True},
        "virtio=%s,bridge=vmbr0,rate=12.5,link_down=1" % MAC,
    ),
    (
        "vmxnet3=%s,bridge=vmbr0,firewall=off,mtu=1500,trunks=10;20-30" % MAC,
        "vmxnet3",
        MAC,
        {"firewall": False, "mtu": 1500, "trunks": "10;20-30"},
        "virtio=%s,bridge=vmbr0,firewall=off,mtu=1500,trunks=10;20-30" % MAC,
    ),
    ("e1000-82545em=%s,bridge=vmbr0" % MAC, "e1000-82545em", MAC, {}, "virtio=%s,bridge=vmbr0" % MAC),
    ("e1000=%s,,bridge=vmbr0," % MAC, "e1000", MAC, {"bridge": "vmbr0"}, "virtio=%s,,bridge=vmbr0," % MAC),
]


@pytest.mark.parametrize(("value", "model", "mac", "others", "after"), VALUES, ids=[v[0] for v in VALUES])
def test_net_values_are_read_and_only_the_model_token_changes(value, model, mac, others, after):
    net = NetValue(value)
    described = net.describe()
    assert (net.model, net.mac, described["mac"]) == (model, mac, mac)
    for key, expected in others.items():
        assert described[key] == expected
    assert net.with_model("virtio") == after
    assert NetValue(after).model == "virtio"


BAD_VALUES = [
    ("bridge=vmbr0", "no NIC model"),
    ("virtio=%s,e1000=%s" % (MAC, MAC), "model is given twice"),
    ("virtio,model=e1000", "model is given twice"),
    ("foo=%s,bridge=vmbr0" % MAC, "no NIC model"),
    ("virtio-net=%s" % MAC, "no NIC model"),
    ("e1000=%s,model=e1000" % MAC, "model is given twice"),
    ("ne2k=%s" % MAC, "no NIC model"),
    ("virtio=%s,bridge=vmbr0,bridge=vmbr1" % MAC, "bridge is given twice"),
    ("virtio=%s,bridge=" % MAC, "no value after"),
    ("virtio=%s,=x" % MAC, "no key before"),
    ("virtio=%s, bridge=vmbr0" % MAC, "not a key Proxmox can read"),
    ("virtio=BC:24:11:2C:69", "not six"),
    ("virtio=01:24:11:2C:69:EC", "multicast"),
    ("virtio=%s,tag=0" % MAC, "tag=0: must be an integer from 1 to 4094"),
    ("virtio=%s,queues=65" % MAC, "queues=65"),
    ("virtio=%s,rate=fast" % MAC, "rate=fast"),
    ("virtio=%s,firewall=maybe" % MAC, "firewall=maybe"),
    ("virtio=%s,trunks=10,20" % MAC, "model"),
    ("Virtio=%s" % MAC, "no NIC model"),
    ("igb=%s" % MAC, "no NIC model"),
]


@pytest.mark.parametrize(("value", "reason"), BAD_VALUES, ids=[v[0] for v in BAD_VALUES])
def test_net_values_proxmox_refuses_are_refused(value, reason):
    with pytest.raises(ConfigSyntaxError, match=reason):
        NetValue(value)


def test_unknown_items_are_kept_and_reported():
    net = NetValue("virtio=%s,bridge=vmbr0,future-knob=3" % MAC)
    assert net.unknown == ["future-knob"]
    assert net.with_model("e1000") == "e1000=%s,bridge=vmbr0,future-knob=3" % MAC


def test_format_and_parse_are_inverse():
    items = {"model": "virtio", "macaddr": MAC, "bridge": "vmbr0", "firewall": True, "tag": 20}
    text = format_net(items)
    assert text == "virtio=%s,bridge=vmbr0,firewall=1,tag=20" % MAC
    as_written = {"model": "virtio", "macaddr": MAC, "bridge": "vmbr0", "firewall": "1", "tag": "20"}
    assert NetValue(text).as_dict() == as_written
    assert format_net([["bridge", "vmbr0"], ["model", "e1000"]]) == "e1000,bridge=vmbr0"
    with pytest.raises(ConfigSyntaxError, match="needs a model"):
        format_net({"bridge": "vmbr0"})
    with pytest.raises(ConfigSyntaxError, match="must not contain"):
        format_net({"model": "virtio", "trunks": "1,2"})


def test_the_catalogue_knows_every_model_proxmox_accepts():
    # nic_model_list of qemu-server's PVE/QemuServer/Network.pm (9.2)
    proxmox = {"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b",
               "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}  # fmt: skip
    assert set(models.platform_names("proxmox")) == proxmox


# --- the config file ------------------------------------------------------------------------------------

SNAPSHOT = (
    """
[before-upgrade]
boot: order=scsi0
name: web01
net0: rtl8139=%s,bridge=vmbr0
net1: e1000=12:34:56:78:90:12,bridge=vmbr1
snaptime: 1700000000
"""
    % MAC
)

CASES = [
    # (id, config, model, match, expected config after (None: unchanged), checks on the result)
    (
        "model-mac form",
        conf("net0: e1000=%s,bridge=vmbr0,firewall=1" % MAC),
        "virtio",
        None,
        conf("net0: virtio=%s,bridge=vmbr0,firewall=1" % MAC),
        {},
    ),
    (
        "bare model, no MAC",
        conf("net0: e1000,bridge=vmbr0"),
        "virtio",
        None,
        conf("net0: virtio,bridge=vmbr0"),
        {"warns": "no MAC address"},
    ),
    (
        "model= and macaddr=",
        conf("net0: model=e1000,macaddr=%s,bridge=vmbr0" % MAC),
        "e1000e",
        None,
        conf("net0: model=e1000e,macaddr=%s,bridge=vmbr0" % MAC),
        {},
    ),
    (
        "odd order, queues, tag, rate, link_down",
        conf("net1: tag=20,queues=4,link_down=1,rate=10,rtl8139=%s,bridge=vmbr0" % MAC),
        "virtio",
        None,
        conf("net1: tag=20,queues=4,link_down=1,rate=10,virtio=%s,bridge=vmbr0" % MAC),
        {},
    ),
    ("already the model", conf("net0: virtio=%s,bridge=vmbr0" % MAC), "virtio", None, None, {}),
    (
        "catalogue alias",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC),
        "virtio-net",
        None,
        conf("net0: virtio=%s,bridge=vmbr0" % MAC),
        {},
    ),
    (
        "e1000 sub-variant",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC),
        "E1000-82545EM",
        None,
        conf("net0: e1000-82545em=%s,bridge=vmbr0" % MAC),
        {},
    ),
    (
        "match by index",
        conf("net0: e1000=%s" % MAC, "net1: e1000=12:34:56:78:90:12"),
        "virtio",
        {"index": 1},
        conf("net0: e1000=%s" % MAC, "net1: virtio=12:34:56:78:90:12"),
        {},
    ),
    (
        "match by MAC",
        conf("net0: e1000=%s" % MAC, "net1: e1000=12:34:56:78:90:12"),
        "virtio",
        {"mac": MAC.lower().replace(":", "-")},
        conf("net0: virtio=%s" % MAC, "net1: e1000=12:34:56:78:90:12"),
        {},
    ),
    (
        "match by bridge",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC, "net1: e1000=12:34:56:78:90:12,bridge=vmbr1"),
        "virtio",
        {"bridge": "vmbr1"},
        conf("net0: e1000=%s,bridge=vmbr0" % MAC, "net1: virtio=12:34:56:78:90:12,bridge=vmbr1"),
        {},
    ),
    (
        "match by model (catalogue name)",
        conf("net0: e1000-82545em=%s" % MAC, "net1: rtl8139=12:34:56:78:90:12"),
        "virtio",
        {"model": "e1000"},
        conf("net0: virtio=%s" % MAC, "net1: rtl8139=12:34:56:78:90:12"),
        {},
    ),
    ("nothing selected", conf("net0: e1000=%s" % MAC), "virtio", {"index": 5}, None, {"skipped": "no NIC selected"}),
    (
        "snapshots keep their models",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC) + SNAPSHOT,
        "virtio",
        None,
        conf("net0: virtio=%s,bridge=vmbr0" % MAC) + SNAPSHOT,
        {},
    ),
    (
        "CRLF",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC).replace("\n", "\r\n"),
        "virtio",
        None,
        conf("net0: virtio=%s,bridge=vmbr0" % MAC).replace("\n", "\r\n"),
        {},
    ),
    ("no netN", conf(), "virtio", None, None, {"skipped": "no netN line"}),
    (
        "locked VM",
        conf("net0: e1000=%s" % MAC, tail="lock: backup\n"),
        "virtio",
        None,
        None,
        {"skipped": "locked (lock: backup)"},
    ),
    (
        "a NIC with a pending change",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC, tail="\n[PENDING]\nnet0: e1000=%s,bridge=vmbr1\n" % MAC),
        "virtio",
        None,
        None,
        {"skipped": "has a pending change"},
    ),
    (
        "a NIC with a pending change, replaced",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC, tail="\n[PENDING]\nnet0: e1000=%s,bridge=vmbr1\nvga: qxl\n" % MAC),
        "virtio",
        None,
        conf("net0: virtio=%s,bridge=vmbr0" % MAC, tail="\n[PENDING]\nvga: qxl\n"),
        {"proxmox_pending": "replace"},
    ),
    (
        "the pending change already sets the model",
        conf("net0: e1000=%s,bridge=vmbr0" % MAC, tail="\n[PENDING]\nnet0: virtio=%s,bridge=vmbr0\n" % MAC),
        "virtio",
        None,
        None,
        {"restart_required": True},
    ),
    (
        "a NIC only in PENDING",
        conf("net0: virtio=%s" % MAC, tail="\n[PENDING]\nnet1: e1000=12:34:56:78:90:12\n"),
        "virtio",
        None,
        None,
        {"nic1": "exists only in [PENDING]"},
    ),
    (
        "a NIC removed in PENDING",
        conf("net0: virtio=%s" % MAC, "net1: e1000=12:34:56:78:90:12", tail="\n[PENDING]\ndelete: net1,!vga\n"),
        "virtio",
        None,
        None,
        {"nic1": "removed at the next start"},
    ),
    (
        "unknown keys and comments anywhere",
        conf("net0: e1000=%s" % MAC, head="#a\n#b\nfuture-key: 1\nname: web01\n"),
        "virtio",
        None,
        conf("net0: virtio=%s" % MAC, head="#a\n#b\nfuture-key: 1\nname: web01\n"),
        {},
    ),
]


@pytest.mark.parametrize(("case", "text", "model", "match", "expected", "checks"), CASES, ids=[c[0] for c in CASES])
def test_plan(case, text, model, match, expected, checks):
    options = {k: v for k, v in checks.items() if k.startswith("proxmox_")}
    new, result, warnings = plan(text, model, match, **options)
    assert new == (text if expected is None else expected)
    assert QemuConfig.parse(new.encode()).to_bytes() == new.encode()
    assert result["vmid"] == "100" and result["node"] == "pve1" and result["domain"] == "web01"
    if "warns" in checks:
        assert any(checks["warns"] in w for w in warnings), warnings
    if "skipped" in checks:
        assert result["skipped"] and checks["skipped"] in result["reason"]
    if "nic1" in checks:
        nic = next(n for n in result["nics"] if n["index"] == 1)
        assert nic["skipped"] and checks["nic1"] in nic["reason"]
    changed = expected is not None and new != text
    assert result["restart_required"] == (changed or checks.get("restart_required", False))
    # a second run changes nothing more
    again, second, _warnings = plan(new, model, match, **options)
    assert again == new
    assert not any(n["changed"] for n in second["nics"])


def test_missing_mac_stays_missing_and_is_explained():
    new, result, warnings = plan(conf("net0: e1000,bridge=vmbr0"), "virtio")
    assert "net0: virtio,bridge=vmbr0\n" in new
    assert result["nics"][0]["mac"] is None
    assert warnings == [
        "%s:5: net0 has no MAC address: Proxmox gives it a new random one at every start, before and after "
        "this change; set macaddr to keep one" % PATH
    ]


def test_unknown_model_option_is_refused_naming_what_proxmox_accepts():
    with pytest.raises(NicTuneError, match=r"model 'igb' is not one Proxmox VE offers; it accepts: .*e1000e.*vmxnet3"):
        plan(conf("net0: e1000=%s" % MAC), "igb")
    with pytest.raises(NicTuneError, match="'nope' is not one Proxmox VE offers"):
        plan(conf("net0: e1000=%s" % MAC), "nope")


@pytest.mark.parametrize("option", [{"xen_type": "vif"}, {"pin_mac": True}])
def test_xen_options_are_refused(option):
    with pytest.raises(NicTuneError, match="Xen option"):
        plan(conf("net0: e1000=%s" % MAC), "virtio", **option)


BAD_FILES = [
    ("unknown model in the file", conf("net0: tulip=%s" % MAC), 5, "no NIC model"),
    ("model Proxmox refuses", conf("net0: model=tulip,macaddr=%s" % MAC), 5, "'tulip' is not one Proxmox accepts"),
    ("NIC written twice", conf("net0: e1000=%s" % MAC, "net0: virtio=%s" % MAC), 6, "net0 is written twice"),
    ("not key: value", conf("net0 e1000=%s" % MAC), 5, "not a 'key: value' line"),
    ("empty value", conf("net0:"), 5, "not a 'key: value' line"),
    ("upper-case key", conf("Net0: e1000=%s" % MAC), 5, "not a 'key: value' line"),
    ("unknown section", conf("net0: e1000=%s" % MAC, tail="[special:x]\nname: y\n"), 6, "unknown section [special:x]"),
    ("one-letter snapshot", conf("net0: e1000=%s" % MAC, tail="[a]\nname: y\n"), 6, "unknown section [a]"),
    (
        "PENDING twice",
        conf("net0: e1000=%s" % MAC, tail="[PENDING]\nvga: qxl\n[pending]\ncores: 4\n"),
        8,
        "[PENDING] is written twice (first on line 6)",
    ),
    ("snapshot twice", conf(tail="[s1]\ncores: 1\n[s1]\ncores: 2\n"), 7, "snapshot section [s1] is written twice"),
    ("delete outside PENDING", conf("net0: e1000=%s" % MAC, "delete: net1"), 6, "only allowed in [PENDING]"),
    ("bad NIC in PENDING", conf("net0: e1000=%s" % MAC, tail="[PENDING]\nnet1: e1000=zz\n"), 7, "net1: MAC address"),
]


@pytest.mark.parametrize(("case", "text", "line", "reason"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_malformed_files_are_refused_with_path_line_and_reason(case, text, line, reason):
    with pytest.raises(ConfigSyntaxError) as exc:
        plan(text, "virtio")
    assert (exc.value.path, exc.value.line) == (PATH, line)
    assert reason in exc.value.reason
    with pytest.raises(ConfigSyntaxError):
        backend.describe_file(PATH, text.encode(), lambda m: None)


def test_lines_proxmox_reads_like_blank_lines_and_descriptions_are_kept():
    text = "#desc \xe9\n\n  \t\r\n#more\nname: x\ntags:  \nnet0: e1000=%s  \r\n" % MAC
    data = text.encode("utf-8") + b"description: caf\xe9 not UTF-8\n"
    cfg = QemuConfig.parse(data)
    assert cfg.to_bytes() == data
    assert cfg.main.get("tags") == " "
    new, _result = backend.plan_file(PATH, data, {"model": "virtio", "match": {}, "proxmox_via": "file"}, print)
    assert new == data.replace(b"net0: e1000=", b"net0: virtio=")


def test_no_final_newline_is_kept():
    data = b"name: x\nnet0: e1000=" + MAC.encode()
    new, _result = backend.plan_file(PATH, data, {"model": "virtio", "match": {}, "proxmox_via": "file"}, print)
    assert new == b"name: x\nnet0: virtio=" + MAC.encode()


def test_describe_reports_every_nic_pending_and_vm_hints():
    text = conf(
        "net0: virtio=%s,bridge=vmbr0,firewall=1,queues=4" % MAC,
        "net1: e1000=12:34:56:78:90:12,bridge=somebr0,tag=20,rate=5,link_down=1",
        "net2: rtl8139=12:34:56:78:90:14,bridge=vmbr0",
        tail="hotplug: disk,usb\nostype: win10\n\n[PENDING]\nnet1: e1000e=12:34:56:78:90:12,bridge=somebr0\n"
        "net3: virtio=12:34:56:78:90:13,bridge=vmbr0\ndelete: net2\n" + SNAPSHOT,
    )
    info = backend.describe_file(PATH, text.encode(), print)
    assert (info["domain"], info["vmid"], info["node"], info["platform"]) == ("web01", "100", "pve1", "proxmox")
    assert (info["ostype"], info["hotplug"], info["hotplug_network"]) == ("win10", "disk,usb", False)
    assert info["snapshots"] == ["before-upgrade"]
    nics = {n["key"]: n for n in info["nics"]}
    assert sorted(nics) == ["net0", "net1", "net2", "net3"]
    assert nics["net0"]["queues"] == 4 and nics["net0"]["firewall"] is True and nics["net0"]["pending"] is None
    assert (nics["net1"]["model"], nics["net1"]["tag"], nics["net1"]["rate"], nics["net1"]["link_down"]) == (
        "e1000", 20, 5.0, True)  # fmt: skip
    assert nics["net1"]["pending"]["model"] == "e1000e" and not nics["net1"]["pending"]["delete"]
    assert nics["net2"]["pending"] == {"delete": True, "force": False, "value": None}
    assert not nics["net3"]["in_config"] and nics["net3"]["model"] is None
    assert nics["net3"]["pending"]["mac"] == "12:34:56:78:90:13"


@pytest.mark.parametrize(
    ("value", "network"), [(None, True), ("1", True), ("0", False), ("disk,usb", False), ("network,disk", True)]
)
def test_hotplug_network(value, network):
    assert backend.hotplug_network(value) is network


def test_config_paths_and_names():
    assert backend.config_paths() == ["/etc/pve/qemu-server/*.conf"]
    assert backend.config_paths([100, "101"], "pve2") == [
        "/etc/pve/nodes/pve2/qemu-server/100.conf",
        "/etc/pve/nodes/pve2/qemu-server/101.conf",
    ]
    with pytest.raises(NicTuneError, match="not a VM id"):
        backend.config_paths(["x"])
    assert backend.vmid_of("/x/qemu-server/105.conf") == "105" and backend.vmid_of("/x/web.conf") is None
    assert backend.sniff("/etc/pve/qemu-server/105.conf") and not backend.sniff("/etc/xen/105.conf")


def test_plan_without_the_proxmox_api_is_refused():
    with pytest.raises(NicTuneError, match="backend: proxmox"):
        backend.plan_file(PATH, conf().encode(), {"model": "virtio", "match": {}}, print)
