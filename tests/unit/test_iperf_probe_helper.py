# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iperf_probe role's endpoint helper with a real iperf3 on loopback: the server it starts logs every test on
the endpoint's clock, one test at a time, and stop-server leaves nothing running; the endpoint's lease lets one
probe run at a time test on it, across processes, and keeps its server for the runs that hold or wait for it."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.nictune.fleet.plugins.module_utils._probe import results

HELPER = os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, "roles", "iperf_probe", "files", "nictune_iperf_probe.py"
)
needs_iperf3 = pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 is not installed on this machine")


def _load_helper():
    spec = importlib.util.spec_from_file_location("nictune_iperf_probe", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helper = _load_helper()


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


@needs_iperf3
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
    assert sorted(os.listdir(tmp_path)) == ["lease", "server-%d.log" % port]
    assert sorted(os.listdir(tmp_path / "lease")) == ["server.lock"]  # the lock stays; no run claims anything
    # stopping again is harmless
    assert _helper("stop-server", "--dir", str(tmp_path), "--port", str(port))[1]["changed"] is False


@needs_iperf3
def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        rc, out = _helper("serve", "--dir", str(tmp_path), "--port", str(port))
    assert rc == 1 and "already in use" in out["msg"]
    assert _ours(tmp_path, port) == []


# --- the endpoint's lease -----------------------------------------------------------------------------------------


def _acquire(directory, port, run, timeout=10, hold=120):
    return [
        "lease-acquire",
        "--dir",
        str(directory),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--run",
        run,
        "--owner",
        "%s's operator" % run,
        "--timeout",
        str(timeout),
        "--hold",
        str(hold),
    ]


def _background(*args):
    return subprocess.Popen([sys.executable, HELPER, *args], stdout=subprocess.PIPE, text=True)


def _finish(proc):
    out = proc.communicate(timeout=30)[0]
    return proc.returncode, json.loads(out or "{}")


def _claim(directory, run):
    path = directory / "lease" / ("run-%s.json" % run)
    return json.loads(path.read_text()) if path.exists() else None


def _running(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.fixture
def run_a(tmp_path):
    """An endpoint directory (tmp_path) whose lease run-a holds, with the server on a free port: (port, what
    lease-acquire said). At the end every run's lease is released and the server stopped: nothing may be left."""
    port = _free_port()
    try:
        rc, got = _helper(*_acquire(tmp_path, port, "run-a"))
        assert rc == 0, got
        yield port, got
    finally:
        for run in ("run-a", "run-b", "run-c", "run-d"):
            _helper("lease-release", "--dir", str(tmp_path), "--run", run)
        _helper("stop-server", "--dir", str(tmp_path), "--port", str(port))
    assert _ours(tmp_path, port) == []


def _stop_server(directory, port, run):
    return _helper("stop-server", "--dir", str(directory), "--port", str(port), "--run", run)


@needs_iperf3
def test_a_second_run_waits_for_the_first_and_its_server_stays(tmp_path, run_a):
    port, first = run_a
    assert first["waited"] < 2 and first["server"]["changed"] is True  # the lease makes sure the server runs
    holder = _claim(tmp_path, "run-a")
    assert holder["state"] == "held" and holder["port"] == port
    assert _running(holder["pid"])  # the holder outlives the command that took the lease
    second = _background(*_acquire(tmp_path, port, "run-b", timeout=20))
    time.sleep(1.5)
    assert second.poll() is None and _claim(tmp_path, "run-b")["state"] == "waiting"
    # run-a is done: its lease is released, but the server stays for run-b, which waits for it
    rc, stopped = _stop_server(tmp_path, port, "run-a")
    assert rc == 0 and stopped["changed"] is True and stopped["kept_for"] == ["run-b"], stopped
    assert "run run-b (run-b's operator) waits for it" in stopped["msg"]
    assert not _running(holder["pid"]) and _claim(tmp_path, "run-a") is None
    rc, got = _finish(second)
    assert rc == 0 and got["waited"] >= 1.5, got
    assert "run run-a (run-a's operator) holds it since" in got["msg"]
    assert got["server"] == {"changed": False, "pid": first["server"]["pid"], "port": port}
    assert _claim(tmp_path, "run-b")["state"] == "held"
    # run-b is done and nobody else claims the server: it is stopped
    rc, stopped = _stop_server(tmp_path, port, "run-b")
    assert rc == 0 and stopped["changed"] is True and "kept_for" not in stopped
    assert sorted(os.listdir(tmp_path / "lease")) == ["lease.lock", "server.lock"]


@needs_iperf3
def test_a_lease_not_had_in_time_names_its_holder_and_the_server_stays_for_it(tmp_path, run_a):
    port, _first = run_a
    rc, late = _helper(*_acquire(tmp_path, port, "run-b", timeout=1))
    assert rc == 1 and late["holder"]["run"] == "run-a", late
    assert late["msg"].startswith("the endpoint's lease was not had within 1 s: run run-a (run-a's operator)")
    assert "holds it since" in late["msg"] and "at the latest until" in late["msg"]
    assert _claim(tmp_path, "run-b") is None
    # run-b's clean-up leaves the server to run-a, which still holds the lease
    rc, kept = _stop_server(tmp_path, port, "run-b")
    assert rc == 0 and kept == dict(kept, changed=False, kept_for=["run-a"]), kept
    assert _helper("serve", "--dir", str(tmp_path), "--port", str(port))[1]["changed"] is False


@needs_iperf3
def test_the_lease_of_a_killed_holder_or_past_its_hold_ends(tmp_path, run_a):
    port, _first = run_a
    os.kill(_claim(tmp_path, "run-a")["pid"], signal.SIGKILL)  # its run died with it
    rc, got = _helper(*_acquire(tmp_path, port, "run-b", timeout=5))
    assert rc == 0 and got["waited"] < 2, got
    # run-a's record is not a live claim: run-b's clean-up stops the server, and drops that record
    rc, stopped = _stop_server(tmp_path, port, "run-b")
    assert rc == 0 and stopped["changed"] is True and "kept_for" not in stopped, stopped
    assert _claim(tmp_path, "run-a") is None
    # a holder nobody releases lets go at the end of its hold
    rc, held = _helper(*_acquire(tmp_path, port, "run-c", hold=1))
    assert rc == 0 and held["until"] - held["held_since"] == pytest.approx(1, abs=0.01)
    rc, got = _helper(*_acquire(tmp_path, port, "run-d", timeout=10))
    assert rc == 0 and 0.2 <= got["waited"] < 5, got
    assert _claim(tmp_path, "run-c") is None  # the holder took its record with it


@needs_iperf3
def test_a_waiting_run_whose_task_is_gone_stops_waiting(tmp_path, run_a):
    port, _first = run_a
    # run-b waits under a shell standing for its Ansible task; the task dies (controller gone, connection lost)
    argv = shlex.join([sys.executable, HELPER, *_acquire(tmp_path, port, "run-b", timeout=60)])
    task = subprocess.Popen(["sh", "-c", argv + " >/dev/null; true"])
    deadline = time.time() + 10
    while _claim(tmp_path, "run-b") is None and time.time() < deadline:
        time.sleep(0.1)
    waiting = _claim(tmp_path, "run-b")["pid"]
    task.kill()
    task.wait()
    deadline = time.time() + 10
    while _running(waiting) and time.time() < deadline:
        time.sleep(0.1)
    assert not _running(waiting) and _claim(tmp_path, "run-b") is None
    # so run-a's clean-up is not kept from stopping the server by a run nobody waits for
    rc, stopped = _stop_server(tmp_path, port, "run-a")
    assert rc == 0 and stopped["changed"] is True and "kept_for" not in stopped, stopped


def test_lease_acquire_refuses_a_run_id_unfit_for_a_file_name(tmp_path):
    out = subprocess.run(
        [sys.executable, HELPER, *_acquire(tmp_path, 5215, "../x")], capture_output=True, text=True, check=False
    )
    assert out.returncode == 2 and "a run id is" in out.stderr
    assert not (tmp_path / "lease").exists()


CLAIMS = [
    {"run": "a", "owner": "alice@ctl", "port": 5215, "pid": 10, "state": "held", "since": 100.0, "held_since": 130.0,
     "until": 700.0},
    {"run": "b", "owner": "", "port": 5215, "pid": 11, "state": "waiting", "since": 150.0},
    {"run": "c", "owner": "carol@ctl", "port": 5216, "pid": 12, "state": "waiting", "since": 160.0},
]  # fmt: skip


@pytest.mark.parametrize(
    ("port", "run", "users"),
    [(5215, None, ["a", "b"]), (5215, "a", ["b"]), (5215, "b", ["a"]), (5216, "c", []), (5217, None, [])],
)
def test_lease_users_are_the_other_runs_on_the_port(port, run, users):
    assert [c["run"] for c in helper.lease_users(CLAIMS, port, run)] == users


def test_lease_holder_and_claim_text():
    assert helper.lease_holder(CLAIMS)["run"] == "a"
    assert helper.lease_holder(CLAIMS, run="a") is None
    assert helper.lease_holder(CLAIMS[1:]) is None
    assert helper.claim_text(CLAIMS[0], 190.0) == (
        "run a (alice@ctl) holds it since 1970-01-01T00:02:10Z (60 s ago), at the latest until 1970-01-01T00:11:40Z"
    )
    assert helper.claim_text(CLAIMS[1], 190.0) == (
        "run b (owner not given) waits for it since 1970-01-01T00:02:30Z (40 s ago)"
    )
    assert helper.claim_text(None, 190.0) == "a process that left no record holds it"
