# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's report (no Ansible imports): result rows -> the report the shared writer renders.

A row is a dict with at least ``host``, ``direction`` and ``bits_per_second`` (None when the test failed, with the
reason in ``error``). Only the fields in ``ROW_FIELDS`` are ever written, so nothing else a caller's rows carry
(credentials, raw outputs) reaches a report. ``baseline`` is an earlier set of rows (or a parsed earlier
report.json): the page then shows a "before" bar above each "after" bar and the change.
"""

from __future__ import annotations

from .._common.errors import NicTuneError
from .._common.report import iso_time
from .._common.values import number

ROW_FIELDS = (
    "host",
    "endpoint",
    "direction",
    "bits_per_second",
    "mbit_per_second",
    "retransmits",
    "start",
    "end",
    "error",
    "bits_per_second_sent",
    "bits_per_second_received",
    "cpu_local_percent",
    "cpu_remote_percent",
    "seconds",
    "planned_start",
    "attempts",
    "clock",
    "guest_start",
    "guest_end",
)
CSV_FIELDS = ("host", "endpoint", "direction", "mbit_per_second", "bits_per_second", "retransmits", "start", "end")
CSV_FIELDS += ("cpu_local_percent", "cpu_remote_percent", "error")
REQUIRED_FIELDS = ("endpoint", "bits_per_second", "mbit_per_second", "retransmits", "start", "end", "error")
DIRECTION_ORDER = {"send": 0, "receive": 1}


def clean_rows(rows):
    """Keep only ``ROW_FIELDS`` of each row; check the keys every report needs."""
    if isinstance(rows, dict):
        rows = rows.get("results")
    if rows is None:
        return []
    if not isinstance(rows, (list, tuple)):
        raise NicTuneError("report: results must be a list of rows, got %s" % type(rows).__name__)
    out = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise NicTuneError("report: result %d is not a dictionary" % index)
        for key in ("host", "direction"):
            if row.get(key) in (None, ""):
                raise NicTuneError("report: result %d has no %s" % (index, key))
        clean = {key: row.get(key) for key in ROW_FIELDS if key in row}
        clean["host"] = str(clean["host"])
        clean["direction"] = str(clean["direction"])
        for key in REQUIRED_FIELDS:
            clean.setdefault(key, None)
        if clean.get("mbit_per_second") is None and number(clean["bits_per_second"]) is not None:
            clean["mbit_per_second"] = round(number(clean["bits_per_second"]) / 1e6, 1)
        out.append(clean)
    return sorted(out, key=lambda r: (r["host"], DIRECTION_ORDER.get(r["direction"], 9), r["direction"]))


def _index(rows):
    return {(r["host"], r["direction"]): r for r in rows}


def compare(rows, baseline=None):
    """Per host and direction: before and after bits per second and their ratio (after / before)."""
    rows = clean_rows(rows)
    before = _index(clean_rows(baseline)) if baseline else {}
    out = []
    for row in rows:
        old = before.get((row["host"], row["direction"]))
        b = number(old.get("bits_per_second")) if old else None
        a = number(row.get("bits_per_second"))
        out.append(
            {
                "host": row["host"],
                "direction": row["direction"],
                "before_bits_per_second": b,
                "after_bits_per_second": a,
                "ratio": round(a / b, 4) if a is not None and b else None,
            }
        )
    return out


def failures(rows):
    """The failed rows: host, direction, endpoint and reason."""
    return [
        {"host": r["host"], "direction": r["direction"], "endpoint": r.get("endpoint"), "error": r["error"]}
        for r in clean_rows(rows)
        if r.get("error") or number(r.get("bits_per_second")) is None
    ]


def _mbit_text(bps, error=None):
    v = number(bps)
    return "%.1f Mbit/s" % (v / 1e6) if v is not None else "failed: %s" % (error or "no result")


def _chart(clean, before):
    groups = []
    for r in clean:
        bars = []
        old = before.get((r["host"], r["direction"])) if before else None
        data = {"host": r["host"], "direction": r["direction"]}
        if before:
            bars.append(
                {
                    "series": "before",
                    "value": number(old.get("bits_per_second")) if old else None,
                    "text": "before: "
                    + _mbit_text(
                        old.get("bits_per_second") if old else None, old.get("error") if old else "not measured"
                    ),
                    "data": dict(data, series="before"),
                }
            )
        bps = number(r.get("bits_per_second"))
        bars.append(
            {
                "series": "after",
                "value": bps,
                "text": ("after: " if before else "") + _mbit_text(bps, r.get("error")),
                "failed": bps is None,
                "data": dict(data, series="after", bps="" if bps is None else "%.0f" % bps),
            }
        )
        note = None
        if old and number(old.get("bits_per_second")) and bps is not None:
            note = "x%.2f" % (bps / number(old["bits_per_second"]))
        groups.append({"label": "%s %s" % (r["host"], r["direction"]), "bars": bars, "note": note})
    return {"title": "throughput per guest and direction", "unit": "Mbit/s", "groups": groups}


RESULT_COLUMNS = [
    ("host", "guest", "text"),
    ("direction", "direction", "text"),
    ("endpoint", "endpoint", "text"),
    ("bits_per_second", "Mbit/s", "mbps"),
    ("retransmits", "retransmits", "number"),
    ("start", "start", "time"),
    ("seconds", "seconds", "seconds"),
]


def build(rows, meta=None, baseline=None, title="iperf3 probe"):
    """The probe report (a dict for ``_common.report.render``) of result ``rows``.

    ``meta``: what the role knows of the run: ``probe_start``/``probe_end`` (epoch seconds), ``probe_seconds``,
    ``setup_seconds``, ``planned_span_seconds``, ``test_seconds``, ``overlaps``, ``failed_tests`` and the settings
    (``duration``, ``omit``, ``parallel``, ``window``, ``port``, ``gap``, ``endpoints``).
    """
    clean = clean_rows(rows)
    meta = dict(meta or {})
    before_rows = clean_rows(baseline) if baseline else []
    before = _index(before_rows) if baseline else {}
    failed = failures(clean)
    meta.setdefault("failed_tests", len(failed))
    meta["started"] = iso_time(meta.get("probe_start"))
    meta["finished"] = iso_time(meta.get("probe_end"))
    data = {"results": clean, "failures": failed, "meta": meta}
    if baseline:
        data["comparison"] = compare(clean, baseline)
        data["baseline"] = before_rows
    summary = [
        ("tests", "%d (%d failed)" % (len(clean), len(failed))),
        ("started", meta["started"]),
        (
            "probe",
            "%s s in all, %s s of it set-up; tests planned over %s s"
            % (meta.get("probe_seconds"), meta.get("setup_seconds"), meta.get("planned_span_seconds"))
            if meta.get("probe_seconds") is not None
            else None,
        ),
        ("overlapping tests on an endpoint", meta.get("overlaps")),
    ]
    settings = [
        ("test duration (s)", meta.get("duration")),
        ("omitted first seconds", meta.get("omit")),
        ("parallel streams", meta.get("parallel")),
        ("TCP window", meta.get("window")),
        ("server port", meta.get("port")),
        ("gap between tests (s)", meta.get("gap")),
        ("endpoints", meta.get("endpoints")),
    ]
    failure_rows = [dict(f, reason=f["error"] or "no result") for f in failed]
    sections = [
        {"heading": "Throughput (Mbit/s)", "chart": _chart(clean, before), "empty": "No test ran."},
        {
            "heading": "Results",
            "table": {
                "columns": RESULT_COLUMNS,
                "rows": [dict(r, state="failed" if r["error"] else "ok") for r in clean],
                "row_class": "state",
            },
        },
        {
            "heading": "Failures",
            "table": {
                "columns": [
                    ("host", "guest", "text"),
                    ("direction", "direction", "text"),
                    ("endpoint", "endpoint", "text"),
                    ("reason", "reason", "text"),
                ],
                "rows": failure_rows,
            },
            "empty": "None.",
        },
    ]
    return {
        "title": title,
        "data": data,
        "csv": {"columns": list(CSV_FIELDS), "rows": clean},
        "summary": summary,
        "settings": settings,
        "sections": sections,
    }
