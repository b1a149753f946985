# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt_api against libvirt's test driver (test:///default needs no daemon) and qemu_models."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._common.errors import NicTuneError
from ansible_collections.nictune.fleet.plugins.module_utils._common.selection import normalise_match
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import api as libvirt_api
from ansible_collections.nictune.fleet.plugins.module_utils._libvirt import emulator as qemu_models

libvirt = pytest.importorskip("libvirt")
URI = "test:///default"  # one instance per process: what apply() defines, the next call sees


class Host:
    def __init__(self, check_mode=False, diff_mode=False):
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


def _xml(name, nics):
    return (
        "<domain type='test'><name>%s</name><memory>65536</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>%s</devices></domain>" % (name, nics)
    )


NICS3 = (
    "<interface type='bridge'><mac address='52:54:00:30:00:01'/><source bridge='br0'/><model type='rtl8139'/>"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></interface>"
    "<interface type='network'><mac address='52:54:00:30:00:02'/><source network='lan'/>"
    "<model type='e1000'/></interface>"
    "<interface type='network'><mac address='52:54:00:30:00:03'/><source network='lan'/><model type='virtio'/>"
    "<driver queues='2'/></interface>"
)


@pytest.fixture
def conn():
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    connection = libvirt.open(URI)
    made = []

    def define(nics, running=False):
        name = "t-%s" % uuid.uuid4().hex[:8]
        dom = connection.defineXML(_xml(name, nics))
        if running:
            dom.create()
        made.append(name)
        return name

    connection.make = define
    yield connection
    for name in made:
        dom = connection.lookupByName(name)
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    connection.close()


def _apply(host, names, model="virtio", match=None):
    return libvirt_api.apply(host, libvirt, URI, names, {"model": model, "match": normalise_match(match)})


def _models(conn, name):
    from ansible_collections.nictune.fleet.plugins.module_utils._libvirt.domain_xml import Domain

    return [n["model"] for n in Domain(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).nics()]


def test_four_runs(conn):
    names = [conn.make(""), conn.make(NICS3), conn.make(NICS3.split("</interface>", maxsplit=1)[0] + "</interface>")]
    for check_mode, expect_changed in ((True, True), (False, True), (True, False), (False, False)):
        out = _apply(Host(check_mode=check_mode, diff_mode=True), names, "e1000e")
        assert out["changed"] is expect_changed
        assert len(out["diff"]) == (2 if expect_changed else 0)
        if check_mode and expect_changed:
            assert _models(conn, names[1]) == ["rtl8139", "e1000", "virtio"]
    assert _models(conn, names[1]) == ["e1000e"] * 3
    assert _models(conn, names[2]) == ["e1000e"]
    xml = conn.lookupByName(names[1]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert "52:54:00:30:00:01" in xml and "slot='0x05'" in xml
    assert "<driver" not in xml  # virtio-only options dropped for e1000e (with a warning)


@pytest.mark.parametrize(
    "match,expected",
    [
        ({"index": 1}, ["rtl8139", "vmxnet3", "virtio"]),
        ({"mac": "52:54:00:30:00:03"}, ["rtl8139", "e1000", "vmxnet3"]),
        ({"bridge": "br0"}, ["vmxnet3", "e1000", "virtio"]),
        ({"bridge": "lan"}, ["rtl8139", "vmxnet3", "vmxnet3"]),
        ({"model": ["rtl8139", "e1000"]}, ["vmxnet3", "vmxnet3", "virtio"]),
    ],
)
def test_selection(conn, match, expected):
    name = conn.make(NICS3)
    out = _apply(Host(), [name], "vmxnet3", match)
    assert out["changed"]
    assert _models(conn, name) == expected


def test_running_domain_reports_restart(conn):
    name = conn.make(NICS3, running=True)
    out = _apply(Host(), [name], "e1000")
    result = out["results"][0]
    assert result["state"] == "running"
    assert result["changed"] and result["restart_required"]
    info = libvirt_api.info(Host(), libvirt, URI, [name])["domains"][0]
    assert info["restart_required"] is True and info["state"] == "running"
    # A second run changes nothing but the restart is still pending.
    again = _apply(Host(), [name], "e1000")["results"][0]
    assert not again["changed"] and again["restart_required"]


def test_queues_are_defined_read_back_and_pending_on_a_running_domain(conn):
    name = conn.make(NICS3, running=True)
    options = {"model": "virtio", "queues": 4, "match": normalise_match({"mac": "52:54:00:30:00:03"})}
    for check_mode, expect_changed in ((True, True), (False, True), (True, False), (False, False)):
        out = libvirt_api.apply(Host(check_mode=check_mode), libvirt, URI, [name], options)
        assert out["changed"] is expect_changed
    nic = out["results"][0]["nics"][2]
    assert (nic["queues_before"], nic["queues_after"]) == (4, 4)
    xml = conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert "<driver queues='4'/>" in xml
    # the running domain still has 2 queues: the change waits for a restart
    assert out["results"][0]["restart_required"] is True
    one = libvirt_api.apply(Host(), libvirt, URI, [name], dict(options, queues=1))
    assert one["changed"] and "<driver" not in conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def test_missing_domain_changes_nothing(conn):
    name = conn.make(NICS3)
    with pytest.raises(NicTuneError) as err:
        _apply(Host(), [name, "no-such-domain"], "e1000")
    assert "no-such-domain" in str(err.value)
    assert _models(conn, name) == ["rtl8139", "e1000", "virtio"]


def test_unreachable_libvirtd(tmp_path):
    uri = "qemu:///system?socket=%s" % (tmp_path / "no-sock")
    with pytest.raises(NicTuneError) as err:
        libvirt_api.apply(Host(), libvirt, uri, None, {"model": "virtio", "match": {}})
    assert uri in str(err.value) and "libvirtd running" in str(err.value)


def test_clash_refused_before_define(conn):
    ok = conn.make(NICS3)
    bad = conn.make(
        "<interface type='vhostuser'><source type='unix' path='/tmp/x' mode='server'/>"
        "<model type='virtio'/></interface>"
    )
    with pytest.raises(NicTuneError) as err:
        _apply(Host(), [ok, bad], "e1000")
    assert "domain %s" % bad in str(err.value) and "nothing was changed" in str(err.value)
    assert _models(conn, ok) == ["rtl8139", "e1000", "virtio"]


def test_rollback_when_define_fails_midway(conn):
    first, second = conn.make(NICS3), conn.make(NICS3)

    class Flaky:
        """The real binding, but defineXML of the second domain fails."""

        def __getattr__(self, attr):
            return getattr(libvirt, attr)

        def open(self, uri):
            real = libvirt.open(uri)

            class Conn:
                def __getattr__(self, attr):
                    return getattr(real, attr)

                def defineXML(self, xml):
                    if "<name>%s</name>" % second in xml and "vmxnet3" in xml:
                        raise libvirt.libvirtError("simulated refusal")
                    return real.defineXML(xml)

            return Conn()

    with pytest.raises(NicTuneError) as err:
        libvirt_api.apply(Host(), Flaky(), URI, [first, second], {"model": "vmxnet3", "match": {}})
    assert "domain %s" % second in str(err.value) and "simulated refusal" in str(err.value)
    assert "restored" in str(err.value)
    assert _models(conn, first) == ["rtl8139", "e1000", "virtio"]
    assert _models(conn, second) == ["rtl8139", "e1000", "virtio"]


def test_test_driver_warns_that_model_is_not_validated(conn):
    name = conn.make(NICS3)
    host = Host()
    _apply(host, [name], "e1000")
    assert any("not checked against the emulator" in w for w in host.warnings)


def test_info_every_domain(conn):
    name = conn.make(NICS3)
    out = libvirt_api.info(Host(), libvirt, URI, None)
    names = [d["domain"] for d in out["domains"]]
    assert "test" in names and name in names
    mine = out["domains"][names.index(name)]
    assert mine["domain_type"] == "test" and mine["uuid"]
    assert [n["model"] for n in mine["nics"]] == ["rtl8139", "e1000", "virtio"]
    assert mine["nics"][0]["pci_address"] == "0000:00:05.0"
    assert mine["nics"][0]["bridge"] == "br0" and mine["nics"][1]["bridge"] == "lan"


# --- qemu_models -------------------------------------------------------------------------------

HELP = """Controller/Bridge/Hub devices:
name "pci-bridge", bus PCI, desc "Standard PCI Bridge"

Network devices:
name "e1000", bus PCI, alias "e1000-82540em", desc "Intel Gigabit Ethernet"
name "rtl8139", bus PCI
name "virtio-net-device", bus virtio-bus
name "virtio-net-pci", bus PCI, alias "virtio-net"

Storage devices:
name "virtio-blk-pci", bus PCI
"""


@pytest.mark.parametrize(
    "uri,local",
    [
        ("qemu:///system", True),
        ("qemu:///session", True),
        ("qemu:///system?socket=/tmp/x/libvirt-sock", True),
        ("qemu+unix:///system", True),
        ("qemu+ssh://root@hv1/system", False),
        ("qemu+tcp://hv1/system", False),
        ("test:///default", False),
        ("xen:///system", False),
    ],
)
def test_is_local_uri(uri, local):
    assert qemu_models.is_local_uri(uri) is local


def test_parse_device_help():
    offered = qemu_models.parse_device_help(HELP)
    assert set(offered) == {"e1000", "e1000-82540em", "rtl8139", "virtio-net-device", "virtio-net-pci", "virtio-net"}
    assert qemu_models.check_offered("virtio", None, offered) is None
    assert qemu_models.check_offered("virtio", "virtio-mmio", offered) is None
    assert "virtio-net-ccw" in qemu_models.check_offered("virtio", "ccw", offered)
    assert "vmxnet3" in qemu_models.check_offered("vmxnet3", None, offered)
    offered["ne2k_isa"] = "ISA"
    assert "ISA bus" in qemu_models.check_offered("ne2k_isa", "pci", offered)
    assert qemu_models.describe_offered(offered) == ["e1000", "rtl8139", "virtio"]


def test_offered_models_cached(tmp_path, make_host):
    fake = tmp_path / "qemu-fake"
    fake.write_text("#!/bin/sh\n")
    host = make_host(commands={str(fake): lambda argv: (0, HELP, "")})
    qemu_models._MEMORY_CACHE.clear()
    first = qemu_models.offered_models(host, str(fake))
    qemu_models._MEMORY_CACHE.clear()
    second = qemu_models.offered_models(host, str(fake))
    assert first == second and len(host.calls) == 1  # the second answer came from the host's cache
    assert host.calls[0][1:] == ["-machine", "none", "-display", "none", "-nodefaults", "-device", "help"]


@pytest.mark.skipif(not os.path.exists("/usr/bin/qemu-system-x86_64"), reason="QEMU not installed")
def test_real_emulator(make_host):
    qemu_models._MEMORY_CACHE.clear()
    offered = qemu_models.offered_models(make_host(), "/usr/bin/qemu-system-x86_64")
    for model in ("virtio", "e1000", "rtl8139", "e1000e", "vmxnet3"):
        assert qemu_models.check_offered(model, "pci", offered) is None
    assert qemu_models.check_offered("fakemodel", "pci", offered)


def test_missing_emulator(make_host):
    with pytest.raises(NicTuneError) as err:
        qemu_models.offered_models(make_host(), "/nonexistent/qemu-system-x86_64")
    assert "/nonexistent/qemu-system-x86_64" in str(err.value)


NICS8 = "".join(
    "<interface type='network'><mac address='52:54:00:40:00:%02x'/><source network='lan'/>"
    "<model type='rtl8139'/></interface>" % i
    for i in range(8)
)


def _apply_in_threads(count, name, model):
    errors = []

    def one(index):
        try:
            _apply(Host(), [name], model, {"index": index})
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_concurrent_runs_on_different_nics_of_one_domain_lose_no_update(conn):
    lost = []
    for round_no in range(6):
        name = conn.make(NICS8)
        model = ("e1000", "e1000e")[round_no % 2]
        assert _apply_in_threads(8, name, model) == []
        models = _models(conn, name)
        if models != [model] * 8:
            lost.append(models)
    assert lost == []


def test_a_domain_locked_by_another_run_is_not_changed(conn, monkeypatch):
    from ansible_collections.nictune.fleet.plugins.module_utils._common import locks

    name = conn.make(NICS3)
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 0.3)
    key = "libvirt-domain-%s" % conn.lookupByName(name).UUIDString()
    with locks.named_lock(key, "the test"):
        with pytest.raises(NicTuneError) as err:
            _apply(Host(), [name], "e1000e")
        assert "domain %s" % name in str(err.value) and "locked by another run" in str(err.value)
        assert _models(conn, name) == ["rtl8139", "e1000", "virtio"]
        out = _apply(Host(check_mode=True), [name], "e1000e")  # check mode reads only and does not wait
        assert out["changed"]
    assert _apply(Host(), [name], "e1000e")["changed"]
