# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iperf_probe role's endpoint helper with a real iperf3 on loopback: the server it starts logs every test on
the endpoint's clock, one test at a time, and stop-server leaves nothing running."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._probe import results

HELPER = os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, "roles", "iperf_probe", "files", "nictune_iperf_probe.py"
)
pytestmark = pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 is not installed on this machine")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _helper(*args):
    out = subprocess.run([sys.executable, HELPER, *args], capture_output=True, text=True, timeout=30, check=False)
    return out.returncode, json.loads(out.stdout or "{}")


def _ours(tmp_path, port):
    """Live processes of this test: the supervisor names the directory, the server its port."""
    ps = subprocess.run(["ps", "-ww", "-eo", "stat=,args="], capture_output=True, text=True, check=True).stdout
    return [
        ln
        for ln in ps.splitlines()
        if (str(tmp_path) in ln or "iperf3 -s -p %d " % port in ln) and not ln.strip().startswith("Z")
    ]


def _client(port, seconds, *extra):
    return subprocess.Popen(
        ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-J", *extra],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_serve_logs_each_test_on_the_endpoint_clock(tmp_path):
    port = _free_port()
    rc, started = _helper("serve", "--dir", str(tmp_path), "--port", str(port), "--bind", "127.0.0.1")
    try:
        assert rc == 0 and started["changed"] is True, started
        # a second serve finds its own server and leaves it alone
        assert _helper("serve", "--dir", str(tmp_path), "--port", str(port))[1] == {
            "changed": False,
            "pid": started["pid"],
            "port": port,
        }
        before = time.time()
        first = _client(port, 1)
        time.sleep(0.4)
        busy = json.loads(_client(port, 1).communicate(timeout=20)[0])
        first_out = json.loads(first.communicate(timeout=20)[0])
        second_out = json.loads(_client(port, 1, "-R").communicate(timeout=20)[0])
        after = time.time()
        assert "busy" in busy["error"]
        seen = results.parse_server_log((tmp_path / ("server-%d.log" % port)).read_text())
        cookies = [first_out["start"]["cookie"], second_out["start"]["cookie"]]
        assert sorted(seen) == sorted(cookies)
        one, two = seen[cookies[0]], seen[cookies[1]]
        assert before <= one["start"] < one["end"] <= two["start"] < two["end"] <= after
        assert 0.9 < one["end"] - one["start"] < 3 and one["remote_host"] == "127.0.0.1"
        assert len(_ours(tmp_path, port)) == 2  # the supervisor and its iperf3 -s
    finally:
        rc, stopped = _helper("stop-server", "--dir", str(tmp_path), "--port", str(port))
    assert rc == 0 and stopped["changed"] is True
    assert _ours(tmp_path, port) == []
    assert sorted(os.listdir(tmp_path)) == ["server-%d.log" % port]
    # stopping again is harmless
    assert _helper("stop-server", "--dir", str(tmp_path), "--port", str(port))[1]["changed"] is False


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        rc, out = _helper("serve", "--dir", str(tmp_path), "--port", str(port))
    assert rc == 1 and "already in use" in out["msg"]
    assert _ours(tmp_path, port) == []
