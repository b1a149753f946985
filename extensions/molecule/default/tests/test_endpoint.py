"""The lab's reference endpoint: an sshd and an iperf3 server bound to the bridge address, in the namespace."""

testinfra_hosts = ["iperf_endpoints"]


def _vars(host):
    return host.backend.ansible_runner.get_variables(host.backend.host)


def test_endpoint_is_inside_the_lab_namespace(host):
    # The host's namespace has no address of the lab; this one does.
    assert _vars(host)["ansible_host"] in host.check_output("ip -4 -o addr show")


def test_iperf3_server_listens(host):
    v = _vars(host)
    assert host.socket("tcp://%s:%s" % (v["ansible_host"], v["lab_iperf3_port"])).is_listening
