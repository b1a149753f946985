# -*- coding: utf-8 -*-
"""Whether a Linux guest takes back a NIC unplugged and plugged again as another model, from its own files."""

from __future__ import annotations

import os

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._guest import linux, linux_net

NIC = {"name": "ens3", "mac": "52:54:00:aa:bb:01", "driver": "8139too"}


def _write(root, rel, text=""):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


@pytest.fixture
def networkd_root(tmp_path):
    _write(tmp_path, "run/systemd/netif/links/2")
    return tmp_path


def test_networkd_by_mac_is_ready(networkd_root):
    _write(networkd_root, "etc/systemd/network/10-lab.network", "[Match]\nMACAddress=52-54-00-AA-BB-01\n[Network]\n")
    out = linux_net.hotplug([NIC], root=str(networkd_root))
    assert out["ready"] is True
    nic = out["nics"][0]
    assert (nic["manager"], nic["file"], nic["how"]) == ("networkd", "/etc/systemd/network/10-lab.network", "mac")


def test_networkd_first_matching_file_wins_and_etc_hides_run(networkd_root):
    _write(networkd_root, "run/systemd/network/05-x.network", "[Match]\nName=ens3\nDriver=8139too\n")
    _write(networkd_root, "etc/systemd/network/05-x.network", "[Match]\nName=eth*\n")
    _write(networkd_root, "etc/systemd/network/20-all.network", "[Match]\nName=en*\n")
    out = linux_net.hotplug([NIC], root=str(networkd_root))
    assert out["nics"][0]["file"] == "/etc/systemd/network/20-all.network"
    assert out["nics"][0]["how"] == "name" and out["ready"] is True


def test_networkd_match_on_driver_is_not_relied_on(networkd_root):
    _write(networkd_root, "etc/systemd/network/10-a.network", "[Match]\nDriver=8139too\n")
    out = linux_net.hotplug([NIC], root=str(networkd_root))
    assert out["ready"] is False
    assert "Driver=8139too changes with the NIC model" in out["reason"]


def test_networkd_masked_and_negated_files_do_not_apply(networkd_root):
    _write(networkd_root, "usr/lib/systemd/network/10-a.network", "[Match]\nName=ens3\n")
    _write(networkd_root, "etc/systemd/network/20-b.network", "[Match]\nName=!ens*\n")
    os.symlink("/dev/null", os.path.join(str(networkd_root), "etc/systemd/network/10-a.network"))
    out = linux_net.hotplug([NIC], root=str(networkd_root))
    assert out["ready"] is False
    assert "no configuration" in out["reason"] and "networkd" in out["reason"]


def test_configuration_of_a_manager_that_does_not_run_does_not_count(tmp_path):
    _write(tmp_path, "etc/systemd/network/10-lab.network", "[Match]\nMACAddress=52:54:00:aa:bb:01\n")
    out = linux_net.hotplug([NIC], root=str(tmp_path))
    assert out["ready"] is False and "none found" in out["reason"]


def test_names_not_pinned_make_the_guest_not_ready(networkd_root):
    _write(networkd_root, "etc/systemd/network/10-lab.network", "[Match]\nMACAddress=52:54:00:aa:bb:01\n")
    out = linux_net.hotplug([NIC], root=str(networkd_root), names_pinnable=False)
    assert out["ready"] is False and "not pinned" in out["reason"]


@pytest.fixture
def ifupdown_root(tmp_path):
    _write(tmp_path, "run/network/ifstate")
    return tmp_path


def test_ifupdown_auto_only_is_not_ready_and_names_the_fix(ifupdown_root):
    _write(
        ifupdown_root,
        "etc/network/interfaces",
        "source-directory /etc/network/interfaces.d\nauto lo\niface lo inet loopback\n",
    )
    _write(ifupdown_root, "etc/network/interfaces.d/ens3", "auto ens3\niface ens3 inet static\n  address 10.0.0.2/24\n")
    out = linux_net.hotplug([NIC], root=str(ifupdown_root))
    assert out["ready"] is False
    assert "at boot only (auto)" in out["reason"]
    assert out["nics"][0]["fix"] == {"file": "/etc/network/interfaces.d/ens3", "line": "allow-hotplug ens3"}
    assert linux_net.hotplug([NIC], root=str(ifupdown_root), fix=True)["ready"] is True


def test_ifupdown_allow_hotplug_is_ready(ifupdown_root):
    _write(ifupdown_root, "etc/network/interfaces", "allow-hotplug ens3 # the uplink\niface ens3 inet dhcp\n")
    out = linux_net.hotplug([NIC], root=str(ifupdown_root))
    assert out["ready"] is True and out["nics"][0]["manager"] == "ifupdown"


def test_ifupdown_source_loops_end(ifupdown_root):
    _write(ifupdown_root, "etc/network/interfaces", "source /etc/network/interfaces\nallow-hotplug ens3\n")
    assert linux_net.hotplug([NIC], root=str(ifupdown_root))["ready"] is False  # no iface stanza


@pytest.fixture
def nm_root(tmp_path):
    _write(tmp_path, "run/NetworkManager/devices/2")
    return tmp_path


def test_network_manager_profile_by_mac(nm_root):
    _write(
        nm_root,
        "etc/NetworkManager/system-connections/any.nmconnection",
        "[connection]\nid=any\ntype=ethernet\n[ipv4]\nmethod=auto\n",
    )
    _write(
        nm_root,
        "etc/NetworkManager/system-connections/up.nmconnection",
        "[connection]\nid=up\ntype=ethernet\n[ethernet]\nmac-address=52:54:00:AA:BB:01\n",
    )
    out = linux_net.hotplug([NIC], root=str(nm_root))
    assert out["ready"] is True and out["nics"][0]["how"] == "mac"
    assert out["nics"][0]["file"].endswith("up.nmconnection")


def test_network_manager_profile_without_autoconnect(nm_root):
    _write(
        nm_root,
        "etc/NetworkManager/system-connections/up.nmconnection",
        "[connection]\ntype=ethernet\ninterface-name=ens3\nautoconnect=false\n",
    )
    out = linux_net.hotplug([NIC], root=str(nm_root))
    assert out["ready"] is False and "autoconnect off" in out["reason"]


def test_ready_configuration_wins_over_a_blocked_one(tmp_path):
    _write(tmp_path, "run/systemd/netif/links/2")
    _write(tmp_path, "run/network/ifstate")
    _write(tmp_path, "etc/network/interfaces", "auto ens3\niface ens3 inet manual\n")
    _write(tmp_path, "etc/systemd/network/10-a.network", "[Match]\nMACAddress=52:54:00:aa:bb:01\n")
    out = linux_net.hotplug([NIC], root=str(tmp_path))
    assert out["ready"] is True and out["nics"][0]["manager"] == "networkd"
    assert out["nics"][0]["config_files"] == ["/etc/network/interfaces", "/etc/systemd/network/10-a.network"]


def test_netplan_files_are_listed(networkd_root):
    _write(networkd_root, "etc/netplan/50-cloud.yaml", "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n")
    _write(networkd_root, "run/systemd/network/10-netplan-ens3.network", "[Match]\nName=ens3\n")
    nic = linux_net.hotplug([NIC], root=str(networkd_root))["nics"][0]
    assert nic["config_files"] == ["/etc/netplan/50-cloud.yaml", "/run/systemd/network/10-netplan-ens3.network"]


def test_no_nic_is_not_ready(networkd_root):
    assert linux_net.hotplug([], root=str(networkd_root))["ready"] is False


@pytest.mark.parametrize(
    ("paths", "method"),
    [
        (["usr/lib/systemd/systemd-udevd", "bin/udevadm"], "link"),
        (["sbin/udevd"], "udev_rule"),
        ([], "none"),
    ],
)
def test_naming_method(tmp_path, paths, method):
    for rel in paths:
        _write(tmp_path, rel)
    assert linux.naming_method(root=str(tmp_path)) == method
