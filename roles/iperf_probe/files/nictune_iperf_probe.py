# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest and endpoint side of nictune.fleet's iperf_probe role (Python 3.6+, standard library only).

  run --dir D --plan JSON        run this guest's tests at their planned times; print one JSON document
  stop --dir D                   stop a runner started from D and the iperf3 clients it started
  serve --dir D --port P [--iperf3 PATH] [--bind ADDR]   start an iperf3 server owned by the role (idempotent)
  supervise --dir D --port P    (started by serve) run the server, timestamp its test start and end lines
  stop-server --dir D --port P [--run ID]   release run ID's lease, then stop that server unless another run
                                 still holds or waits for the endpoint's lease on that port
  lease-acquire --dir D --port P --run ID [--owner TEXT] --timeout S --hold S   wait (S s at most) for the
                                 endpoint's lease, keep it in a background holder, make sure the server runs
  lease-hold --dir D --run ID --fd N --until T   (started by lease-acquire) keep the lease until released or T
  lease-release --dir D --run ID  release run ID's lease (or stop waiting for it)

Everything it starts is recorded in D (pid files, lease claims); it stops nothing it did not start.

The endpoint's lease (D/lease/): one probe run tests on an endpoint at a time, also across concurrent runs.
  lease.lock       flock()ed by the holder process of the run that has the lease; released when that process
                   exits: on lease-release, at its --until, or when it is killed
  server.lock      a short flock() around starting and stopping servers and registering runs, so that a server
                   is never stopped between a run's check and its use
  run-<ID>.json    a run's claim: {run, owner, port, pid, state (waiting|held), since, held_since, until}; live
                   while its pid (the waiting lease-acquire, then the holder) runs with ID on its command line
"""

import argparse
import contextlib
import fcntl
import json
import os
import re
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


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _read_json(path):
    """The JSON object in path (None: no file, or not an object)."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
        _unlink(pidfile)
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


def _ensure_server(args):
    """Start the server on args.port unless ours runs there already: (rc, result document). Call under _mutex."""
    pidfile = _server_pidfile(args)
    pid = _read_pid(pidfile)
    if _alive(pid, "iperf3") and _listening(args.port):
        return 0, {"changed": False, "pid": pid, "port": args.port}
    if _listening(args.port):
        return 1, {"failed": True, "msg": "TCP port %d is already in use by another program" % args.port}
    logfile = _server_logfile(args)
    for path in (pidfile, logfile):
        _unlink(path)
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
        return 1, {"failed": True, "msg": "iperf3 -s did not start on port %d: %s" % (args.port, output)}
    return 0, {"changed": True, "pid": pid, "port": args.port, "log": logfile}


def cmd_serve(args):
    with _mutex(args.dir):
        rc, result = _ensure_server(args)
    print(json.dumps(result))
    return rc


def cmd_stop_server(args):
    with _mutex(args.dir):
        released = _release(args.dir, args.run) if args.run else False
        users = lease_users(_live_claims(args.dir), args.port, args.run)
        if users:
            print(
                json.dumps(
                    {
                        "changed": released,
                        "port": args.port,
                        "kept_for": [claim["run"] for claim in users],
                        "msg": "left running: %s" % "; ".join(claim_text(c, time.time()) for c in users),
                    }
                )
            )
            return 0
        return _stop_server(args, released)


def _stop_server(args, released):
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
        _unlink(path)
    print(json.dumps({"changed": stopped or released, "pid": pid, "port": args.port}))
    return 0


# --- the endpoint's lease: one probe run tests on an endpoint at a time, also across concurrent runs ---------------

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
POLL = 0.2  # seconds between two tries of a lease another run holds


def _run_id(text):
    """argparse type of --run: safe in a file name, distinctive on a command line ('' only where --run is optional)."""
    if not RUN_ID.match(text):
        raise argparse.ArgumentTypeError("a run id is 1-128 letters, digits, '.', '_' or '-', got %r" % text)
    return text


def _lease_path(directory, name):
    return os.path.join(directory, "lease", name)


def _claim_file(directory, run):
    return _lease_path(directory, "run-%s.json" % run)


@contextlib.contextmanager
def _mutex(directory):
    """Hold server.lock: around starting and stopping servers and registering or releasing runs (short)."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.makedirs(os.path.join(directory, "lease"), mode=0o700, exist_ok=True)
    fd = os.open(_lease_path(directory, "server.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _claims(directory):
    """Every run's claim found in the lease directory, live or not."""
    try:
        names = sorted(os.listdir(os.path.join(directory, "lease")))
    except OSError:
        return []
    claims = []
    for name in names:
        claim = _read_json(_lease_path(directory, name)) if name.startswith("run-") and name.endswith(".json") else None
        if claim and RUN_ID.match(str(claim.get("run"))):
            claims.append(claim)
    return claims


def _claim_alive(claim):
    """A claim is live while its process (the waiting lease-acquire, then the holder) runs with its run id."""
    pid = claim.get("pid")
    return isinstance(pid, int) and _alive(pid, str(claim["run"]))


def _live_claims(directory):
    """The live claims; the records of runs whose process is gone are removed. Call under _mutex."""
    live = []
    for claim in _claims(directory):
        if _claim_alive(claim):
            live.append(claim)
        else:
            _unlink(_claim_file(directory, claim["run"]))
    return live


def lease_users(claims, port, run=None):
    """The claims, other than run's, of runs that hold or wait for the lease and use the server on port."""
    return [c for c in claims if c.get("port") == port and c.get("run") != run]


def lease_holder(claims, run=None):
    """The claim, other than run's, that holds the lease (None: no claim says so)."""
    for claim in claims:
        if claim.get("state") == "held" and claim.get("run") != run:
            return claim
    return None


def _iso(stamp):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def claim_text(claim, now):
    """Who a claim is, what it does and since when, in words."""
    if not claim:
        return "a process that left no record holds it"
    held = claim.get("state") == "held"
    since = claim.get("held_since") if held else claim.get("since")
    since = since if isinstance(since, (int, float)) else now
    text = "run %s (%s) %s since %s (%.0f s ago)" % (
        claim.get("run"),
        claim.get("owner") or "owner not given",
        "holds it" if held else "waits for it",
        _iso(since),
        now - since,
    )
    if held and isinstance(claim.get("until"), (int, float)):
        text += ", at the latest until %s" % _iso(claim["until"])
    return text


def _release(directory, run):
    """End run's claim: stop its holder (or its lease-acquire still waiting) and remove the record. Under _mutex."""
    path = _claim_file(directory, run)
    claim = _read_json(path)
    if claim is None:
        return False
    pid = claim.get("pid")
    if isinstance(pid, int) and pid != os.getpid():
        _kill(pid, run)
    _unlink(path)
    return True


def _try_lock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _fail(msg, **extra):
    print(json.dumps(dict(extra, failed=True, msg=msg)))
    return 1


def cmd_lease_acquire(args):
    """Register the run, wait for the lease, hand it to a background holder, make sure the server runs."""
    began = time.time()
    parent = os.getppid()  # the task that runs this; if it dies (the run is gone), stop waiting
    claim = {"run": args.run, "owner": args.owner, "port": args.port, "pid": os.getpid(), "state": "waiting"}
    claim["since"] = round(began, 3)
    path = _claim_file(args.dir, args.run)
    with _mutex(args.dir):  # from here on the server on args.port is not stopped under this run's feet
        _write(path, json.dumps(claim))
    fd = os.open(_lease_path(args.dir, "lease.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    behind = None
    while not _try_lock(fd):
        if behind is None:
            behind = lease_holder([c for c in _claims(args.dir) if _claim_alive(c)], args.run) or {}
        if time.time() - began >= args.timeout or os.getppid() != parent:
            os.close(fd)
            with _mutex(args.dir):
                holder = lease_holder(_live_claims(args.dir), args.run)
                _unlink(path)
            if os.getppid() != parent:
                return _fail("the task that asked for the lease is gone: stopped waiting")
            return _fail(
                "the endpoint's lease was not had within %g s: %s" % (args.timeout, claim_text(holder, time.time())),
                holder=holder,
            )
        time.sleep(POLL)
    now = time.time()
    until = now + args.hold
    with _mutex(args.dir):
        # The holder inherits the locked file: the lease lasts as long as it runs, whatever happens to this task.
        hold = ["lease-hold", "--dir", args.dir, "--run", args.run, "--fd", str(fd), "--until", "%.3f" % until]
        holder = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), *hold],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
            start_new_session=True,
        )
        claim.update(pid=holder.pid, state="held", held_since=round(now, 3), until=round(until, 3))
        _write(path, json.dumps(claim))
        os.close(fd)
        # A run that stopped the server before this one had registered leaves it to be started again here.
        rc, server = _ensure_server(args)
        if rc != 0:
            _release(args.dir, args.run)
    if rc != 0:
        return _fail("iperf3 server did not start: %s" % server.get("msg"), server=server)
    msg = "lease held until %s" % _iso(until)
    if behind is not None:
        msg = "waited %.1f s for the lease (when asked: %s); %s" % (now - began, claim_text(behind, began), msg)
    result = {"changed": True, "msg": msg, "waited": round(now - began, 1), "server": server}
    result.update((key, claim[key]) for key in ("run", "owner", "held_since", "until"))
    print(json.dumps(result))
    return 0


def _leave(_signum, _frame):
    raise SystemExit(0)


def cmd_lease_hold(args):
    """Keep the lease (the locked file inherited as --fd) until SIGTERM or --until, then drop the run's claim."""
    signal.signal(signal.SIGTERM, _leave)
    path = _claim_file(args.dir, args.run)
    try:
        while time.time() < args.until:
            time.sleep(min(30.0, max(0.0, args.until - time.time())))
    finally:
        if (_read_json(path) or {}).get("pid") == os.getpid():
            _unlink(path)
    return 0


def cmd_lease_release(args):
    with _mutex(args.dir):
        released = _release(args.dir, args.run)
    print(json.dumps({"changed": released, "run": args.run}))
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
    acquire = sub.add_parser("lease-acquire")
    for server in (serve, supervise, acquire):
        server.add_argument("--dir", required=True)
        server.add_argument("--port", type=int, required=True)
        server.add_argument("--iperf3", default="iperf3")
        server.add_argument("--bind", default="")
        server.add_argument("--idle-timeout", type=int, default=0)
    for server in (serve, acquire):
        server.add_argument("--plain", action="store_true", help="run iperf3 -s -D without the timing supervisor")
    acquire.add_argument("--run", type=_run_id, required=True, help="this probe run's id")
    acquire.add_argument("--owner", default="", help="who runs it, in words (shown to runs that wait)")
    acquire.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the lease at most")
    acquire.add_argument("--hold", type=float, required=True, help="seconds after which an unreleased lease ends")
    hold = sub.add_parser("lease-hold")
    hold.add_argument("--dir", required=True)
    hold.add_argument("--run", type=_run_id, required=True)
    hold.add_argument("--fd", type=int, required=True)
    hold.add_argument("--until", type=float, required=True)
    release = sub.add_parser("lease-release")
    release.add_argument("--dir", required=True)
    release.add_argument("--run", type=_run_id, required=True)
    stop_server = sub.add_parser("stop-server")
    stop_server.add_argument("--dir", required=True)
    stop_server.add_argument("--port", type=int, required=True)
    stop_server.add_argument("--run", type=lambda text: text and _run_id(text), default="", help="release its lease")
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "stop": cmd_stop,
        "serve": cmd_serve,
        "supervise": cmd_supervise,
        "stop-server": cmd_stop_server,
        "lease-acquire": cmd_lease_acquire,
        "lease-hold": cmd_lease_hold,
        "lease-release": cmd_lease_release,
    }
    if args.command not in handlers:
        parser.print_help()
        return 2
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
