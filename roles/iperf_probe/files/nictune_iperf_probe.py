# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest and endpoint side of nictune.fleet's iperf_probe role (Python 3.6+, standard library only).

  run --dir D --plan JSON        run this guest's tests at their planned times; print one JSON document
  stop --dir D                   stop a runner started from D and the iperf3 clients it started
  serve --dir D --port P [--iperf3 PATH] [--bind ADDR]   start an iperf3 server owned by the role (idempotent)
  supervise --dir D --port P    (started by serve) run the server, timestamp its test start and end lines
  stop-server --dir D --port P   stop that server

Everything it starts is recorded in D (pid files); it stops nothing it did not start.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

BUSY_MARK = "server is busy"
# Text mode for subprocess: `text=` is Python 3.7+, guests may have 3.6.
TEXT = {"universal_newlines": True}


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, path)


def _read_pid(path):
    try:
        with open(path) as handle:
            return int(handle.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _alive(pid, needle):
    """True when pid runs (not a zombie) a command line containing needle."""
    return bool(pid) and _state(pid) not in ("", "Z", "X") and needle in _cmdline(pid)


def _kill(pid, needle, grace=3.0):
    if not _alive(pid, needle):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    deadline = time.time() + grace
    while time.time() < deadline and _alive(pid, needle):
        time.sleep(0.1)
    if _alive(pid, needle):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return True


def _listening(port):
    """True when something listens on TCP port (IPv4 or IPv6), read from /proc/net/tcp*."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except (OSError, StopIteration, ValueError):
            continue
    return False


def _run_one(test, iperf3, log):
    """Run one test at its planned time; retry while the server is busy with an earlier test."""
    delay = test["at"] - time.time()
    if delay > 0:
        time.sleep(delay)
    attempts = 0
    entry = {"id": test["id"], "kill_after": test["kill_after"]}
    # Keep trying a busy server until the planned deadline, or, for a runner that started late, for as long
    # as the endpoint's other tests may take.
    deadline = max(test["busy_until"], time.time() + test.get("busy_for", 0))
    while True:
        attempts += 1
        started = time.time()
        proc = subprocess.Popen(
            [iperf3] + test["args"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        with open(log["clients"], "a") as handle:
            handle.write("%d\n" % proc.pid)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=test["kill_after"])
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.send_signal(signal.SIGTERM)  # iperf3 prints its JSON (with an error) on SIGTERM
            try:
                out, err = proc.communicate(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
        ended = time.time()
        busy = BUSY_MARK in (out or "") and not timed_out
        if busy and time.time() < deadline:
            time.sleep(0.2)
            continue
        entry.update(
            {
                "stdout": out,
                "stderr": (err or "")[-2000:],
                "rc": proc.returncode,
                "started": started,
                "ended": ended,
                "attempts": attempts,
                "timed_out": timed_out,
            }
        )
        if busy:
            entry["error"] = "the endpoint's server stayed busy"
        return entry


def cmd_run(args):
    plan = json.loads(args.plan)
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    pidfile = os.path.join(args.dir, "runner.pid")
    _write(pidfile, "%d\n" % os.getpid())
    log = {"clients": os.path.join(args.dir, "clients.pids"), "progress": os.path.join(args.dir, "progress.log")}
    _write(log["clients"], "")
    results = []
    try:
        for test in sorted(plan["tests"], key=lambda t: t["at"]):
            try:
                entry = _run_one(test, plan.get("iperf3") or "iperf3", log)
            except OSError as exc:
                entry = {"id": test["id"], "error": "could not run iperf3: %s" % exc, "stdout": "", "attempts": 1}
            results.append(entry)
            _write(os.path.join(args.dir, "%s.json" % test["id"]), json.dumps(entry))
            with open(log["progress"], "a") as handle:
                handle.write("%s done at %.3f\n" % (test["id"], time.time()))
    finally:
        try:
            os.unlink(pidfile)
        except OSError:
            pass
    print(json.dumps({"host": plan.get("host"), "tests": results}))
    return 0


def cmd_stop(args):
    stopped = []
    runner = _read_pid(os.path.join(args.dir, "runner.pid"))
    if _kill(runner, "nictune_iperf_probe"):
        stopped.append(runner)
    try:
        with open(os.path.join(args.dir, "clients.pids")) as handle:
            pids = [int(x) for x in handle.read().split() if x.strip().isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        if _kill(pid, "iperf3"):
            stopped.append(pid)
    print(json.dumps({"changed": bool(stopped), "stopped": stopped}))
    return 0


def _server_pidfile(args):
    return os.path.join(args.dir, "server-%d.pid" % args.port)


# Lines of a verbose iperf3 server that tell when a test began and ended; the supervisor keeps only these, each
# after the endpoint's clock time it was printed at, so the controller can place every test on one clock.
TIMING_MARKS = ("Server listening", "Accepted connection", "Cookie:", "Test Complete", "error", "interrupt")


def _server_options(args):
    """iperf3 -s options shared by the supervised and the plain server."""
    options = []
    if args.bind:
        options += ["-B", args.bind]
    if args.idle_timeout:
        options += ["--idle-timeout", str(args.idle_timeout)]
    return options


def _server_logfile(args):
    return _server_pidfile(args)[:-4] + ".log"


def _pty_lines(fd):
    """Lines read from a pseudo-terminal master until the other side closes."""
    pending = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the server has exited
            chunk = b""
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line.decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")


def cmd_supervise(args):
    """Run iperf3 -s in the foreground; write its pid, and its timing lines stamped with this host's clock.

    The server writes to a pseudo-terminal, so it prints every line as it happens (on a pipe its output waits in a
    buffer until the first interval report).
    """
    import pty

    pidfile = _server_pidfile(args)
    cmd = [args.iperf3, "-s", "-p", str(args.port), "-V"]
    cmd += _server_options(args)
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    _write(pidfile, "%d\n" % proc.pid)
    with open(_server_logfile(args), "a") as log:
        for line in _pty_lines(master):
            if any(mark in line for mark in TIMING_MARKS):
                log.write("%.3f %s\n" % (time.time(), line.strip()))
                log.flush()
    os.close(master)
    proc.wait()
    return 0


def cmd_serve(args):
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    pidfile = _server_pidfile(args)
    pid = _read_pid(pidfile)
    if _alive(pid, "iperf3") and _listening(args.port):
        print(json.dumps({"changed": False, "pid": pid, "port": args.port}))
        return 0
    if _listening(args.port):
        print(json.dumps({"failed": True, "msg": "TCP port %d is already in use by another program" % args.port}))
        return 1
    logfile = _server_logfile(args)
    for path in (pidfile, logfile):
        try:
            os.unlink(path)
        except OSError:
            pass
    if not args.plain:
        # A supervisor in a session of its own runs the server and timestamps its lines (see cmd_supervise).
        cmd = [sys.executable, os.path.abspath(__file__), "supervise", "--dir", args.dir, "--port", str(args.port)]
        if args.iperf3 != "iperf3":
            cmd += ["--iperf3", args.iperf3]
        if args.bind:
            cmd += ["--bind", args.bind]
        if args.idle_timeout:
            cmd += ["--idle-timeout", str(args.idle_timeout)]
        with open(os.devnull, "w") as null:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=null, stderr=null, start_new_session=True)
        _write(os.path.join(args.dir, "supervisor-%d.pid" % args.port), "%d\n" % proc.pid)
        output = ""
    else:
        # A plain daemon (--plain): test times then come from the guests' clocks only.
        cmd = [args.iperf3, "-s", "-D", "-p", str(args.port), "-I", pidfile, "--logfile", logfile]
        cmd += _server_options(args)
        output = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **TEXT).stdout
    deadline = time.time() + 10
    while time.time() < deadline and not (_listening(args.port) and _alive(_read_pid(pidfile), "iperf3")):
        time.sleep(0.1)
    pid = _read_pid(pidfile)
    if not _listening(args.port) or not _alive(pid, "iperf3"):
        print(json.dumps({"failed": True, "msg": "iperf3 -s did not start on port %d: %s" % (args.port, output)}))
        return 1
    print(json.dumps({"changed": True, "pid": pid, "port": args.port, "log": logfile}))
    return 0


def cmd_stop_server(args):
    pidfile = _server_pidfile(args)
    pid = _read_pid(pidfile)
    stopped = _kill(pid, "iperf3")
    supervisor_pidfile = os.path.join(args.dir, "supervisor-%d.pid" % args.port)
    supervisor = _read_pid(supervisor_pidfile)
    deadline = time.time() + 3
    while time.time() < deadline and _alive(supervisor, "nictune_iperf_probe"):
        time.sleep(0.1)  # it ends by itself once its server is gone
    _kill(supervisor, "nictune_iperf_probe")
    for path in (pidfile, supervisor_pidfile):
        try:
            os.unlink(path)
        except OSError:
            pass
    print(json.dumps({"changed": stopped, "pid": pid, "port": args.port}))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run")
    run.add_argument("--dir", required=True)
    run.add_argument("--plan", required=True)
    stop = sub.add_parser("stop")
    stop.add_argument("--dir", required=True)
    serve = sub.add_parser("serve")
    supervise = sub.add_parser("supervise")
    for server in (serve, supervise):
        server.add_argument("--dir", required=True)
        server.add_argument("--port", type=int, required=True)
        server.add_argument("--iperf3", default="iperf3")
        server.add_argument("--bind", default="")
        server.add_argument("--idle-timeout", type=int, default=0)
    serve.add_argument("--plain", action="store_true", help="run iperf3 -s -D without the timing supervisor")
    stop_server = sub.add_parser("stop-server")
    stop_server.add_argument("--dir", required=True)
    stop_server.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "stop": cmd_stop,
        "serve": cmd_serve,
        "supervise": cmd_supervise,
        "stop-server": cmd_stop_server,
    }
    if args.command not in handlers:
        parser.print_help()
        return 2
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
