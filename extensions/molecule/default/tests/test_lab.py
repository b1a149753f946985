"""Each lab guest: reachable, on its fixed MAC and address, driven by the driver of its NIC model."""

import json
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

testinfra_hosts = ["guests"]

# The guest driver that binds each emulated NIC model (QEMU's rtl8139 is driven by 8139cp, not 8139too).
DRIVER_OF_MODEL = {
    "rtl8139": "8139cp",
    "e1000": "e1000",
    "e1000e": "e1000e",
    "virtio": "virtio_net",
    "vmxnet3": "vmxnet3",
}


def _vars(host):
    return host.backend.ansible_runner.get_variables(host.backend.host)


def inactive_xml(host):
    """The guest's persistent (inactive) libvirt definition, read on the controller with virsh."""
    runner = host.backend.ansible_runner
    own = runner.get_variables(host.backend.host)
    uri = runner.get_variables(own["nic_model_hypervisor"])["nic_model_uri"]
    return subprocess.run(
        ["virsh", "-q", "-c", uri, "dumpxml", "--inactive", own["nic_model_domain"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _nic(host):
    iface = ET.fromstring(inactive_xml(host)).find("./devices/interface")
    return iface.find("model").get("type"), iface.find("mac").get("address")


def _ifname_of_mac(host, mac):
    out = host.check_output("grep -il '^%s$' /sys/class/net/*/address", mac)
    return out.splitlines()[0].split("/")[4]


def test_reachable_as_root(host):
    assert host.user().name == "root"
    assert host.check_output("hostname") == host.backend.host


def test_inactive_definition_has_model_and_fixed_mac(host):
    model, mac = _nic(host)
    assert model == "rtl8139"
    assert mac == _vars(host)["lab_mac"]


def test_address_on_the_interface_with_the_fixed_mac(host):
    ifname = _ifname_of_mac(host, _vars(host)["lab_mac"])
    addrs = host.check_output("ip -4 -o addr show dev %s", ifname)
    assert re.search(r"inet %s/" % re.escape(_vars(host)["ansible_host"]), addrs)


def test_nic_driver_of_the_model_is_loaded_and_bound(host):
    model, mac = _nic(host)
    driver = DRIVER_OF_MODEL[model]
    assert driver in host.check_output("lsmod").split()
    ifname = _ifname_of_mac(host, mac)
    assert host.check_output("basename $(readlink /sys/class/net/%s/device/driver)", ifname) == driver


# The NIC drivers each image variant holds (roles/lab/files/nictune-lab-image.sh, docs/lab.md).
NIC_DRIVERS = ("8139cp", "8139too", "e1000", "e1000e", "virtio_net", "vmxnet3")
VARIANT_LACKS = {
    "standard": (),
    "novirtio": ("virtio_net", "e1000e"),
    "legacy": ("8139too", "e1000", "e1000e", "virtio_net", "vmxnet3"),
}


def test_variant_has_or_lacks_the_virtio_driver(host):
    has_virtio = host.run("modinfo -n virtio_net").rc == 0
    assert has_virtio == (_vars(host)["lab_variant"] == "standard")


def test_variant_has_exactly_its_nic_drivers(host):
    lacks = VARIANT_LACKS[_vars(host)["lab_variant"]]
    has = {mod: host.run("modinfo -n %s", mod).rc == 0 for mod in NIC_DRIVERS}
    assert has == {mod: mod not in lacks for mod in NIC_DRIVERS}


def test_ethtool_is_installed(host):
    assert host.run("ethtool --version").rc == 0


@pytest.mark.parametrize("reverse", [False, True], ids=["guest-to-endpoint", "endpoint-to-guest"])
def test_iperf3_with_the_endpoint(host, reverse):
    endpoint = host.backend.ansible_runner.get_variables("lab-endpoint")
    args = "-c %s -p %s -t 2 -J" + (" -R" if reverse else "")
    out = host.run("iperf3 " + args, endpoint["ansible_host"], str(endpoint["lab_iperf3_port"]))
    result = json.loads(out.stdout)
    assert out.rc == 0, result.get("error")
    assert result["end"]["sum_received"]["bits_per_second"] > 1e6


def test_etc_survives_a_cold_restart(host):
    """The root disk is persistent: a change in /etc outlives `virsh destroy` + `virsh start`."""
    if host.backend.host != "lab-guest1":
        pytest.skip("checked on one guest only (a restart costs ~30 s under software emulation)")
    runner = host.backend.ansible_runner
    hyp = runner.get_variables("lab-hypervisor")
    host.check_output("echo persisted > /etc/nictune-lab-persist && sync")
    virsh = ["virsh", "-q", "-c", hyp["nic_model_uri"]]
    domain = _vars(host)["nic_model_domain"]
    subprocess.run([*virsh, "destroy", domain], check=True, capture_output=True)
    subprocess.run([*virsh, "start", domain], check=True, capture_output=True)
    deadline = time.monotonic() + 180
    content = None
    while content is None and time.monotonic() < deadline:
        time.sleep(3)
        try:
            res = host.run("cat /etc/nictune-lab-persist")
        except RuntimeError:  # ssh itself failed (exit 255): the guest is still booting
            continue
        if res.rc == 0:
            content = res.stdout.strip()
    assert content == "persisted"
    host.check_output("rm -f /etc/nictune-lab-persist")
