# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throughput reports from result rows: report.json, report.csv, report.md and a self-contained report.html.

A row is a dict with at least ``host``, ``direction`` and ``bits_per_second`` (None when the test failed, with the
reason in ``error``); ``endpoint``, ``retransmits``, ``start`` and ``end`` (epoch seconds) are used when present.
Only the fields in ``ROW_FIELDS`` are ever written, so nothing else a caller's rows carry (credentials, raw outputs)
reaches a report. ``baseline`` is an earlier set of rows (or a parsed earlier report.json): the page then shows a
"before" bar beside each "after" bar, and the other formats the change. No Ansible imports here.
"""

from __future__ import annotations

import csv
import html
import io
import json

from .._common.errors import NicTuneError
from .._common.values import number as _num

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
    "model",
    "label",
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
        if clean.get("mbit_per_second") is None and _num(clean["bits_per_second"]) is not None:
            clean["mbit_per_second"] = round(_num(clean["bits_per_second"]) / 1e6, 1)
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
        b = _num(old.get("bits_per_second")) if old else None
        a = _num(row.get("bits_per_second"))
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
        if r.get("error") or _num(r.get("bits_per_second")) is None
    ]


def render_json(rows, meta=None, baseline=None):
    """report.json: ``{"results": [...], "failures": [...], "comparison": [...], "meta": {...}}``."""
    clean = clean_rows(rows)
    doc = {"results": clean, "failures": failures(clean), "meta": dict(meta or {})}
    if baseline:
        doc["comparison"] = compare(clean, baseline)
        doc["baseline"] = clean_rows(baseline)
    return json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n"


def render_csv(rows):
    """report.csv: one line per test, a header line first."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in clean_rows(rows):
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


def _mbit(value):
    v = _num(value)
    return "-" if v is None else "%.1f" % (v / 1e6)


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(rows, meta=None, baseline=None, title="iperf3 probe"):
    """report.md: a table per test, the comparison with the baseline when given, then the failures."""
    clean = clean_rows(rows)
    meta = meta or {}
    lines = ["# %s" % _md(title), ""]
    for key in sorted(meta):
        if isinstance(meta[key], (str, int, float)) or meta[key] is None:
            lines.append("- %s: %s" % (_md(key), _md(meta[key])))
    if meta:
        lines.append("")
    lines += [
        "| host | direction | endpoint | Mbit/s | retransmits | error |",
        "|---|---|---|---:|---:|---|",
    ]
    for r in clean:
        lines.append(
            "| %s | %s | %s | %s | %s | %s |"
            % (
                _md(r["host"]),
                _md(r["direction"]),
                _md(r.get("endpoint") or ""),
                _mbit(r.get("bits_per_second")),
                "" if r.get("retransmits") is None else int(_num(r["retransmits"]) or 0),
                _md(r.get("error") or ""),
            )
        )
    if baseline:
        lines += ["", "## Before / after", "", "| host | direction | before Mbit/s | after Mbit/s | after/before |"]
        lines.append("|---|---|---:|---:|---:|")
        for c in compare(clean, baseline):
            lines.append(
                "| %s | %s | %s | %s | %s |"
                % (
                    _md(c["host"]),
                    _md(c["direction"]),
                    _mbit(c["before_bits_per_second"]),
                    _mbit(c["after_bits_per_second"]),
                    "-" if c["ratio"] is None else "%.2f" % c["ratio"],
                )
            )
    failed = failures(clean)
    lines += ["", "## Failures", ""]
    if failed:
        for f in failed:
            lines.append(
                "- %s %s (%s): %s"
                % (_md(f["host"]), _md(f["direction"]), _md(f["endpoint"] or "-"), _md(f["error"] or "no result"))
            )
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.n{text-align:right}.failed{color:#b00}
svg text{font-size:12px;font-family:system-ui,sans-serif}
rect.bar.before{fill:#9aa5b1}rect.bar.after{fill:#2b7bb9}rect.bar.failed{fill:#b00}
"""


def render_html(rows, meta=None, baseline=None, title="iperf3 probe", labels=("before", "after"), sections=None):
    """report.html: one self-contained page (inline CSS and SVG, no external assets, no script).

    One horizontal bar per host and direction (``<rect class="bar after" data-host=... data-direction=...
    data-series="after">``); with ``baseline`` a "before" bar above each. A failed test gets a zero-width bar of
    class ``failed`` and its reason as label. Every name is HTML-escaped. ``sections``: further
    ``(heading, html)`` pairs placed after the chart; their HTML must already be escaped by the caller.
    """
    clean = clean_rows(rows)
    meta = meta or {}
    before = _index(clean_rows(baseline)) if baseline else {}
    series = [(labels[0], before)] if baseline else []
    values = [_num(r.get("bits_per_second")) or 0.0 for r in clean]
    values += [_num(r.get("bits_per_second")) or 0.0 for r in before.values()]
    top = max([*values, 1.0])
    esc = html.escape
    width, label_w, bar_h, pad = 900, 260, 16, 4
    chart_w = width - label_w - 120
    per_row = bar_h * (1 + len(series)) + pad * 2
    height = per_row * len(clean) + 30
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">'
        % (width, height, esc("throughput per host and direction"))
    ]
    y = 10
    for r in clean:
        name = "%s %s" % (r["host"], r["direction"])
        parts.append('<text x="0" y="%d">%s</text>' % (y + bar_h - 3, esc(name)))
        bars = [(labels[0], before.get((r["host"], r["direction"])))] if series else []
        bars.append((labels[1], r))
        for series_name, src in bars:
            bps = _num(src.get("bits_per_second")) if src else None
            failed = bps is None
            w = 0 if failed else max(1, round(chart_w * bps / top))
            klass = "bar %s%s" % (
                "before" if series_name == labels[0] and series else "after",
                " failed" if failed else "",
            )
            text = (
                "%s: %s" % (series_name, (src.get("error") if src else None) or "no result")
                if failed
                else "%s%.1f Mbit/s" % ("%s: " % series_name if series else "", bps / 1e6)
            )
            parts.append(
                '<rect class="%s" x="%d" y="%d" width="%d" height="%d" data-host="%s" data-direction="%s" '
                'data-series="%s" data-bps="%s"><title>%s</title></rect>'
                % (
                    klass,
                    label_w,
                    y,
                    w,
                    bar_h,
                    esc(r["host"]),
                    esc(r["direction"]),
                    esc(series_name),
                    "" if failed else "%.0f" % bps,
                    esc("%s: %s" % (name, text)),
                )
            )
            parts.append('<text x="%d" y="%d">%s</text>' % (label_w + w + 6, y + bar_h - 3, esc(text[:90])))
            y += bar_h
        y += pad * 2
    parts.append("</svg>")

    table = ["<table><tr><th>host</th><th>direction</th><th>endpoint</th><th>Mbit/s</th><th>retransmits</th>"]
    table[0] += "<th>error</th></tr>"
    for r in clean:
        table.append(
            '<tr%s><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>'
            % (
                ' class="failed"' if r.get("error") else "",
                esc(r["host"]),
                esc(r["direction"]),
                esc(str(r.get("endpoint") or "")),
                _mbit(r.get("bits_per_second")),
                "" if r.get("retransmits") is None else esc(str(r["retransmits"])),
                esc(str(r.get("error") or "")),
            )
        )
    table.append("</table>")
    facts = "".join(
        "<li>%s: %s</li>" % (esc(str(k)), esc(str(meta[k])))
        for k in sorted(meta)
        if isinstance(meta[k], (str, int, float)) or meta[k] is None
    )
    failed = failures(clean)
    fail_html = (
        "<ul>%s</ul>"
        % "".join(
            "<li>%s %s: %s</li>" % (esc(f["host"]), esc(f["direction"]), esc(str(f["error"] or "no result")))
            for f in failed
        )
        if failed
        else "<p>None.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head>\n'
        "<body><h1>%s</h1><ul>%s</ul>\n<h2>Throughput (Mbit/s)</h2>\n%s\n%s<h2>Results</h2>\n%s\n"
        "<h2>Failures</h2>\n%s\n</body></html>\n"
        % (
            esc(title),
            _CSS,
            esc(title),
            facts,
            "\n".join(parts),
            "".join("<h2>%s</h2>\n%s\n" % (esc(head), body) for head, body in sections or []),
            "\n".join(table),
            fail_html,
        )
    )


def render(rows, fmt, meta=None, baseline=None, title="iperf3 probe"):
    """Render ``rows`` as ``json``, ``csv``, ``md`` (or ``markdown``) or ``html``."""
    if fmt == "json":
        return render_json(rows, meta, baseline)
    if fmt == "csv":
        return render_csv(rows)
    if fmt in ("md", "markdown"):
        return render_markdown(rows, meta, baseline, title)
    if fmt == "html":
        return render_html(rows, meta, baseline, title)
    raise NicTuneError("report: unknown format %r (json, csv, md, html)" % (fmt,))
