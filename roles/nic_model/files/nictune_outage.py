# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure how long a guest does not answer while its NIC is switched: ICMP echo from a reference host.

    nictune_outage.py start --dir D --id ID --target ADDR [--interval 0.05] [--max 900]
        start a watcher in the background (it outlives the command); prints {"started": true, ...}
    nictune_outage.py stop --dir D --id ID [--wait 10]
        end the watcher and print what it saw: {"sent", "received", "outage_s", "outage_from", "outage_to",
        "answering_at_end", "first", "last"}

The outage is the longest stretch without replies, from the last reply before it to the first reply after it
(or to the end of the watch when the guest did not answer again). Runs on any Linux host with Python 3.6+ and no
other package: an unprivileged ICMP socket where the kernel allows it (net.ipv4.ping_group_range), a raw socket
otherwise (root).
"""

import argparse
import json
import os
import select
import socket
import stat
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident, seq):
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    payload = b"nictune-outage"
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload


def open_socket():
    """An ICMP socket: datagram (no root needed where allowed), else raw."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except OSError:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True


def reply_seq(packet, raw, ident):
    """The sequence number of an echo reply in ``packet``, or None (another kind of packet, or another pinger's)."""
    if raw:
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, _code, _sum, got_ident, seq = struct.unpack("!BBHHH", packet[:8])
    if kind != 0 or (raw and got_ident != ident):
        return None
    return seq


def outage(replies, started, ended):
    """``(seconds, from, to)``: the longest stretch without replies between ``started`` and ``ended``."""
    marks = [started, *sorted(replies), ended] if replies else [started, ended]
    best = (0.0, None, None)
    for before, after in zip(marks, marks[1:]):
        if after - before > best[0]:
            best = (after - before, before, after)
    return best


def watch(args):
    sock, raw = open_socket()
    ident = os.getpid() & 0xFFFF
    sent, replies, seq = 0, [], 0
    started = time.time()
    stop_file = os.path.join(args.dir, args.id + ".stop")
    deadline = started + args.max
    next_send = started
    next_owner_check = started
    while time.time() < deadline and not os.path.exists(stop_file):
        now = time.time()
        if now >= next_owner_check:
            if not owns(args):
                return  # a later start for the same id took over: it answers the stop
            next_owner_check = now + 0.2
        if now >= next_send:
            seq = (seq + 1) & 0xFFFF
            try:
                sock.sendto(echo_request(ident, seq), (args.target, 0))
                sent += 1
            except OSError:
                pass  # no route for a moment: that is part of the outage
            next_send = now + args.interval
        ready, _w, _x = select.select([sock], [], [], max(0.0, next_send - time.time()))
        if ready:
            packet, _addr = sock.recvfrom(2048)
            if reply_seq(packet, raw, ident) is not None:
                replies.append(time.time())
    ended = time.time()
    seconds, gap_from, gap_to = outage(replies, started, ended)
    result = {
        "target": args.target,
        "interval": args.interval,
        "sent": sent,
        "received": len(replies),
        "started": started,
        "ended": ended,
        "first": replies[0] if replies else None,
        "last": replies[-1] if replies else None,
        "outage_s": round(seconds, 2),
        "outage_from": gap_from,
        "outage_to": gap_to,
        "answering_at_end": bool(replies) and ended - replies[-1] < max(1.0, 10 * args.interval),
    }
    if not owns(args):
        return
    tmp = os.path.join(args.dir, "%s.json.%s.tmp" % (args.id, args.token))
    with open(tmp, "w") as handle:
        json.dump(result, handle)
    os.rename(tmp, os.path.join(args.dir, args.id + ".json"))


def owns(args):
    """Whether this watcher is still the one the last start for its id made."""
    try:
        with open(os.path.join(args.dir, args.id + ".owner")) as handle:
            return handle.read() == args.token
    except OSError:
        return False


def private_dir(path):
    """Create ``path`` for this user only; refuse one that someone else owns or can write (shared /tmp)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return "%s is not a directory" % path
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        return "%s belongs to another user or is open to others (mode %o)" % (path, stat.S_IMODE(info.st_mode))
    return None


def start(args):
    problem = private_dir(args.dir)
    if problem:
        print(json.dumps({"started": False, "msg": problem}))
        return 1
    try:
        args.target = socket.gethostbyname(args.target)
    except OSError as exc:
        print(json.dumps({"started": False, "msg": "cannot resolve %s: %s" % (args.target, exc)}))
        return 1
    for suffix in (".stop", ".json"):
        path = os.path.join(args.dir, args.id + suffix)
        if os.path.exists(path):
            os.unlink(path)
    # The last start for an id owns it: a watcher an earlier start left (the same command run again when a
    # connection is retried) sees the new owner and ends without writing a result.
    args.token = "%d-%d" % (os.getpid(), int(time.time() * 1e6))
    owner_tmp = os.path.join(args.dir, "%s.owner.%s.tmp" % (args.id, args.token))
    with open(owner_tmp, "w") as handle:
        handle.write(args.token)
    os.rename(owner_tmp, os.path.join(args.dir, args.id + ".owner"))
    socket_ok = True
    try:
        open_socket()[0].close()
    except OSError as exc:
        socket_ok = str(exc)
    if socket_ok is not True:
        print(json.dumps({"started": False, "msg": "no ICMP socket on this host: %s" % socket_ok}))
        return 1
    if os.fork():
        print(json.dumps({"started": True, "target": args.target, "id": args.id}))
        return 0
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        watch(args)
    finally:
        os._exit(0)


def stop(args):
    with open(os.path.join(args.dir, args.id + ".stop"), "w"):
        pass
    result_file = os.path.join(args.dir, args.id + ".json")
    deadline = time.time() + args.wait
    while not os.path.exists(result_file) and time.time() < deadline:
        time.sleep(0.05)
    if not os.path.exists(result_file):
        print(json.dumps({"failed": True, "msg": "the watcher %s left no result" % args.id}))
        return 1
    with open(result_file) as handle:
        text = handle.read()
    try:
        json.loads(text)
    except ValueError:
        print(
            json.dumps(
                {"failed": True, "msg": "the watcher %s left a result that is not JSON: %r" % (args.id, text[:200])}
            )
        )
        return 1
    print(text)
    for suffix in (".stop", ".json", ".owner"):
        try:
            os.unlink(os.path.join(args.dir, args.id + suffix))
        except FileNotFoundError:
            pass
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sub.required = True
    first = sub.add_parser("start")
    first.add_argument("--dir", required=True)
    first.add_argument("--id", required=True)
    first.add_argument("--target", required=True)
    first.add_argument("--interval", type=float, default=0.05)
    first.add_argument("--max", type=float, default=900)
    last = sub.add_parser("stop")
    last.add_argument("--dir", required=True)
    last.add_argument("--id", required=True)
    last.add_argument("--wait", type=float, default=10)
    args = parser.parse_args(argv)
    return start(args) if args.command == "start" else stop(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
