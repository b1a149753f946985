# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iperf3's own output (no Ansible imports): one ``-J`` document (normal, ``-R``, error, truncated or empty) ->
a flat summary, with a hint where iperf3's words alone do not say what to do."""

from __future__ import annotations

import json
import re

from .._common.values import number as _num

DIRECTIONS = ("send", "receive")
BUSY_MARK = "server is busy"
# iperf3's words when -w asks for more than the kernel allows (net.core.rmem_max / wmem_max), and what to do.
WINDOW_MARK = "socket buffer size not set correctly"
WINDOW_HINT = (
    " (the -w window is larger than net.core.rmem_max / net.core.wmem_max allow on the guest or the endpoint:"
    " raise those sysctls to at least the window on both ends, or set a smaller iperf_probe_window)"
)

_ERROR_RE = re.compile(r'"error"\s*:\s*"((?:[^"\\]|\\.)*)"')


def load_output(data):
    """Return ``(document, error)`` for an iperf3 ``-J`` output given as text, bytes or an already parsed dict.

    ``document`` is None when nothing usable could be read; ``error`` then says why (empty output, truncated or
    invalid JSON, with the iperf3 error message when one can still be found in the text).
    """
    if isinstance(data, dict):
        return data, None
    if data is None:
        return None, "no output (iperf3 printed nothing)"
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if not isinstance(data, str):
        return None, "unexpected iperf3 output of type %s" % type(data).__name__
    text = data.strip()
    if not text:
        return None, "no output (iperf3 printed nothing)"
    try:
        doc = json.loads(text)
    except ValueError:
        found = _ERROR_RE.search(text)
        if found:
            try:
                message = json.loads('"%s"' % found.group(1))
            except ValueError:
                message = found.group(1)
            return None, "%s (truncated output)" % message
        if text.startswith("{"):
            return None, "truncated JSON output (%d characters): iperf3 was stopped before it finished" % len(text)
        first = text.splitlines()[0][:200]
        return None, "not iperf3 JSON output: %s" % first
    if not isinstance(doc, dict):
        return None, "not iperf3 JSON output: top level is %s" % type(doc).__name__
    return doc, None


def _hinted(error):
    """iperf3's error, with what to do when its words alone do not say it."""
    if error and WINDOW_MARK in error:
        return error + WINDOW_HINT
    return error


def summarize(data, direction=None):
    """Summarise one iperf3 ``-J`` output.

    Returns a dict with ``ok``, ``error``, ``direction`` (``send`` for a normal run, ``receive`` for ``-R``),
    ``bits_per_second`` (what the receiving side counted, the figure to compare), ``bits_per_second_sent``,
    ``bits_per_second_received``, ``bytes_sent``, ``bytes_received``, ``retransmits`` (TCP sender side, None when
    iperf3 did not report them), ``cpu_local_percent`` (where ``iperf3 -c`` ran), ``cpu_remote_percent`` (the
    server), ``seconds`` (measured), ``duration`` and ``omit`` (asked), ``streams``, ``protocol``, ``start``
    (epoch seconds, whole seconds as iperf3 prints them), ``end`` (start + omit + measured seconds), ``local_host``,
    ``remote_host``, ``remote_port`` and ``version``. Fields iperf3 did not give are None; nothing is invented.
    """
    out = {
        "ok": False,
        "error": None,
        "direction": direction if direction in DIRECTIONS else None,
        "protocol": None,
        "streams": None,
        "duration": None,
        "omit": None,
        "seconds": None,
        "bits_per_second": None,
        "bits_per_second_sent": None,
        "bits_per_second_received": None,
        "bytes_sent": None,
        "bytes_received": None,
        "retransmits": None,
        "cpu_local_percent": None,
        "cpu_remote_percent": None,
        "start": None,
        "end": None,
        "local_host": None,
        "remote_host": None,
        "remote_port": None,
        "version": None,
        "cookie": None,
    }
    doc, error = load_output(data)
    if doc is None:
        out["error"] = _hinted(error)
        return out
    start = doc.get("start") if isinstance(doc.get("start"), dict) else {}
    end = doc.get("end") if isinstance(doc.get("end"), dict) else {}
    test = start.get("test_start") if isinstance(start.get("test_start"), dict) else {}
    out["version"] = start.get("version")
    out["cookie"] = start.get("cookie") if isinstance(start.get("cookie"), str) else None
    out["protocol"] = test.get("protocol")
    out["streams"] = _num(test.get("num_streams"))
    out["duration"] = _num(test.get("duration"))
    out["omit"] = _num(test.get("omit"))
    if "reverse" in test:
        out["direction"] = "receive" if test.get("reverse") else "send"
    connected = start.get("connected") or []
    if connected and isinstance(connected[0], dict):
        out["local_host"] = connected[0].get("local_host")
        out["remote_host"] = connected[0].get("remote_host")
        out["remote_port"] = connected[0].get("remote_port")
    elif isinstance(start.get("connecting_to"), dict):
        out["remote_host"] = start["connecting_to"].get("host")
        out["remote_port"] = start["connecting_to"].get("port")
    stamp = start.get("timestamp") if isinstance(start.get("timestamp"), dict) else {}
    out["start"] = _num(stamp.get("timesecs"))

    sent = end.get("sum_sent") if isinstance(end.get("sum_sent"), dict) else {}
    received = end.get("sum_received") if isinstance(end.get("sum_received"), dict) else {}
    if not sent and not received and isinstance(end.get("sum"), dict):  # UDP
        sent = received = end["sum"]
    out["bits_per_second_sent"] = _num(sent.get("bits_per_second"))
    out["bits_per_second_received"] = _num(received.get("bits_per_second"))
    out["bytes_sent"] = _num(sent.get("bytes"))
    out["bytes_received"] = _num(received.get("bytes"))
    out["retransmits"] = _num(sent.get("retransmits"))
    out["seconds"] = _num(received.get("seconds")) or _num(sent.get("seconds"))
    cpu = end.get("cpu_utilization_percent") if isinstance(end.get("cpu_utilization_percent"), dict) else {}
    out["cpu_local_percent"] = _num(cpu.get("host_total"))
    out["cpu_remote_percent"] = _num(cpu.get("remote_total"))
    if out["start"] is not None and out["seconds"] is not None:
        out["end"] = out["start"] + (out["omit"] or 0) + out["seconds"]

    if doc.get("error"):
        out["error"] = _hinted(str(doc["error"]))
    elif out["bits_per_second_received"] is None and out["bits_per_second_sent"] is None:
        out["error"] = "iperf3 reported no result (no end.sum_sent / end.sum_received)"
    else:
        out["ok"] = True
        out["bits_per_second"] = (
            out["bits_per_second_received"]
            if out["bits_per_second_received"] is not None
            else out["bits_per_second_sent"]
        )
    if not out["ok"]:
        out["bits_per_second"] = None
    return out
