# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one report writer (no Ansible imports): a report described as data -> JSON, CSV, Markdown and a
self-contained HTML page with inline SVG charts; and the report directory with its one default.

A report is a dict:

* ``title``;
* ``data``: the JSON document, written as it is (machines read ``report.json``);
* ``csv``: ``{"columns": [...], "rows": [...]}``, the one table ``report.csv`` holds;
* ``summary``: ``[(label, value)]``, the lines a reader needs first;
* ``settings``: ``[(label, value)]``, shown as a small labelled table (empty values are left out);
* ``links``: ``[(label, href)]`` to related pages;
* ``sections``: ``[{"heading", "text", "table", "chart", "empty"}]`` where ``table`` is
  ``{"columns": [(key, label, kind)], "rows": [...], "row_class": key}`` and ``chart`` is
  ``{"unit", "series", "groups": [{"label", "note", "bars": [{"series", "value", "range", "text", "failed",
  "data"}]}]}``: one bar per series of each group. ``series`` (optional) lists the series in order: each gets a
  colour of its own and a legend above the chart. A bar's ``range`` (optional, ``[low, high]`` in the bar's unit)
  is drawn as a line across it (the spread of the values the bar stands for).

Column kinds: ``text``, ``number``, ``mbps`` (bits per second shown in Mbit/s), ``seconds``, ``time`` (epoch
seconds shown in ISO 8601 with the zone), ``ratio`` (shown as ``x2.34``).
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import os
import tempfile

from .errors import NicTuneError
from .values import number

FORMATS = ("json", "csv", "md", "html")
DEFAULT_DIR_NAME = "nictune-reports"


# --- the report directory ------------------------------------------------------------------------------------


def report_dir(given=None, cwd=None, now=None):
    """``given`` (``nictune_report_dir``) when set, else ``<cwd>/nictune-reports/<UTC time>``: the one default."""
    if given:
        return os.path.expanduser(str(given))
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join(cwd or os.getcwd(), DEFAULT_DIR_NAME, stamp)


# --- values as people read them -----------------------------------------------------------------------------


def iso_time(epoch):
    """Epoch seconds -> ``2026-11-29T22:44:04+00:00`` (UTC, to the second); None stays None."""
    value = number(epoch)
    if value is None:
        return None
    stamp = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return stamp.replace(microsecond=0).isoformat()


def show(value, kind="text"):
    """``value`` as text for a table cell of ``kind`` ('' when there is nothing to show)."""
    if value is None or value == "":
        return ""
    if kind == "mbps":
        v = number(value)
        return "" if v is None else "%.1f" % (v / 1e6)
    if kind == "seconds":
        v = number(value)
        return "" if v is None else "%.1f" % v
    if kind == "time":
        return iso_time(value) or ""
    if kind == "ratio":
        v = number(value)
        return "" if v is None else "x%.2f" % v
    if kind == "number":
        v = number(value)
        if v is None:
            return str(value)
        return str(int(v)) if float(v).is_integer() else "%g" % v
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _pairs(items):
    return [(str(k), show(v)) for k, v in items or [] if show(v) != ""]


# --- formats -------------------------------------------------------------------------------------------------


def render_json(report):
    return json.dumps(report.get("data") or {}, indent=2, default=str) + "\n"


def render_csv(report):
    table = report.get("csv") or {"columns": [], "rows": []}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["rows"]:
        out = []
        for column in table["columns"]:
            value = row.get(column)
            out.append("" if value is None else ("true" if value is True else "false" if value is False else value))
        writer.writerow(out)
    return buf.getvalue()


def _shown_columns(table):
    """The columns with something to show in at least one row (a column empty in every row is left out)."""
    return [c for c in table["columns"] if any(show(row.get(c[0]), c[2]) != "" for row in table["rows"])]


def _md_table(table):
    columns = _shown_columns(table)
    lines = [
        "| %s |" % " | ".join(_md(label) for _key, label, _kind in columns),
        "|%s|"
        % "|".join("---:" if kind in ("number", "mbps", "seconds", "ratio") else "---" for _k, _l, kind in columns),
    ]
    for row in table["rows"]:
        lines.append("| %s |" % " | ".join(_md(show(row.get(key), kind)) for key, _label, kind in columns))
    return lines


def render_markdown(report):
    lines = ["# %s" % _md(report.get("title") or "report"), ""]
    for label, value in _pairs(report.get("summary")):
        lines.append("- **%s:** %s" % (_md(label), _md(value)))
    links = report.get("links") or []
    if links:
        lines.append("- **see also:** " + ", ".join("[%s](%s)" % (_md(label), href) for label, href in links))
    settings = _pairs(report.get("settings"))
    if settings:
        lines += ["", "## Settings", "", "| setting | value |", "|---|---|"]
        lines += ["| %s | %s |" % (_md(k), _md(v)) for k, v in settings]
    for section in report.get("sections") or []:
        lines += ["", "## %s" % _md(section["heading"]), ""]
        if section.get("text"):
            lines += [_md(section["text"]), ""]
        table = section.get("table")
        if table and table["rows"]:
            lines += _md_table(table)
        elif not section.get("text"):
            lines.append(section.get("empty") or "None.")
    return "\n".join(lines).rstrip("\n") + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}tr.failed td,tr.rolled_back td{color:#b00}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
svg text{font-size:12px;font-family:system-ui,sans-serif}svg text.note{font-weight:600}
rect.bar{fill:#2b7bb9}rect.bar.before{fill:#9aa5b1}rect.bar.failed{fill:#b00}
rect.bar.s0,rect.key.s0{fill:#2b7bb9}rect.bar.s1,rect.key.s1{fill:#e08a2c}rect.bar.s2,rect.key.s2{fill:#3a9a5b}
rect.bar.s3,rect.key.s3{fill:#8e5bb5}line.range{stroke:#222;stroke-width:1.5}
"""

# Average width of a character of the chart's 12px sans-serif font, generous so no label is clipped.
_CHAR_PX = 7.2


def _text_px(text):
    return int(len(text) * _CHAR_PX) + 4


def _range(item):
    """A bar's ``range`` as ``(low, high)`` numbers, or None."""
    given = [*(item.get("range") or ()), None, None]
    low, high = number(given[0]), number(given[1])
    return (low, high) if low is not None and high is not None else None


def _legend(series, y):
    """The legend of a chart's series: a coloured key and the name of each, in one row at ``y``."""
    esc = html.escape
    parts, x = [], 0
    for index, name in enumerate(series):
        parts.append('<rect class="key s%d" x="%d" y="%d" width="12" height="12"></rect>' % (index, x, y))
        parts.append('<text x="%d" y="%d">%s</text>' % (x + 16, y + 11, esc(str(name))))
        x += 16 + _text_px(str(name)) + 14
    return parts, x


def render_chart(chart):
    """One horizontal bar per series of each group, sized to its labels: nothing is clipped at either edge."""
    esc = html.escape
    groups = chart.get("groups") or []
    series = [str(s) for s in chart.get("series") or []]
    values = [number(b.get("value")) or 0.0 for g in groups for b in g["bars"]]
    values += [r[1] for g in groups for b in g["bars"] for r in [_range(b)] if r]
    top = max([*values, 1e-9])
    bar_h, gap, plot_w = 16, 8, 420
    label_w = max([_text_px(g["label"]) for g in groups] + [60]) + 10
    text_w = max([_text_px(b.get("text") or "") for g in groups for b in g["bars"]] + [40])
    note_w = max([_text_px(g.get("note") or "") for g in groups] + [0])
    legend, legend_w = _legend(series, gap) if series else ([], 0)
    legend_h = 12 + gap if series else 0
    width = max(label_w + plot_w + 8 + text_w + (note_w + 12 if note_w else 0), legend_w)
    height = legend_h + sum(bar_h * len(g["bars"]) + gap for g in groups) + gap
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
        'aria-label="%s">' % (width, height, width, height, esc(chart.get("title") or "chart"))
    ]
    parts += legend
    y = gap + legend_h
    for group in groups:
        top_y = y
        parts.append('<text x="0" y="%d">%s</text>' % (y + bar_h - 3, esc(group["label"])))
        for item in group["bars"]:
            value = number(item.get("value"))
            failed = bool(item.get("failed")) or value is None
            w = 0 if failed else max(1, round(plot_w * value / top))
            klass = "bar %s%s%s" % (
                item.get("series") or "",
                " s%d" % series.index(str(item.get("series"))) if str(item.get("series")) in series else "",
                " failed" if failed else "",
            )
            attrs = "".join(
                ' data-%s="%s"' % (esc(str(k)), esc(str(v))) for k, v in sorted((item.get("data") or {}).items())
            )
            text = item.get("text") or ""
            parts.append(
                '<rect class="%s" x="%d" y="%d" width="%d" height="%d"%s><title>%s</title></rect>'
                % (klass.strip(), label_w, y, w, bar_h - 2, attrs, esc("%s: %s" % (group["label"], text)))
            )
            spread = None if failed else _range(item)
            end = w
            if spread:
                x1, x2 = (round(plot_w * v / top) for v in spread)
                end = max(w, x2)
                mid = y + (bar_h - 2) // 2
                parts.append(
                    '<line class="range" x1="%d" y1="%d" x2="%d" y2="%d"></line>'
                    % (label_w + x1, mid, label_w + x2, mid)
                )
            parts.append('<text x="%d" y="%d">%s</text>' % (label_w + end + 6, y + bar_h - 4, esc(text)))
            y += bar_h
        if group.get("note"):
            mid = top_y + (y - top_y) // 2 + 4
            parts.append(
                '<text class="note" x="%d" y="%d">%s</text>' % (label_w + plot_w + 8 + text_w, mid, esc(group["note"]))
            )
        y += gap
    parts.append("</svg>")
    return "\n".join(parts)


def _html_table(table):
    esc = html.escape
    columns = _shown_columns(table)
    out = ["<table><tr>%s</tr>" % "".join("<th>%s</th>" % esc(label) for _k, label, _kind in columns)]
    for row in table["rows"]:
        klass = row.get(table.get("row_class") or "") if table.get("row_class") else None
        cells = []
        for key, _label, kind in columns:
            numeric = kind in ("number", "mbps", "seconds", "ratio")
            cells.append("<td%s>%s</td>" % (' class="n"' if numeric else "", esc(show(row.get(key), kind))))
        out.append("<tr%s>%s</tr>" % (' class="%s"' % esc(str(klass)) if klass else "", "".join(cells)))
    out.append("</table>")
    return "\n".join(out)


def render_html(report):
    esc = html.escape
    title = report.get("title") or "report"
    body = ["<h1>%s</h1>" % esc(title)]
    summary = _pairs(report.get("summary"))
    if summary:
        body.append(
            '<dl class="summary">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % (esc(k), esc(v)) for k, v in summary)
        )
    links = report.get("links") or []
    if links:
        body.append(
            "<p>See also: %s</p>"
            % ", ".join('<a href="%s">%s</a>' % (esc(href, quote=True), esc(label)) for label, href in links)
        )
    for section in report.get("sections") or []:
        body.append("<h2>%s</h2>" % esc(section["heading"]))
        if section.get("text"):
            body.append("<p>%s</p>" % esc(section["text"]))
        if section.get("chart") and section["chart"].get("groups"):
            body.append(render_chart(section["chart"]))
        table = section.get("table")
        if table and table["rows"]:
            body.append(_html_table(table))
        elif not section.get("text") and not (section.get("chart") or {}).get("groups"):
            body.append("<p>%s</p>" % esc(section.get("empty") or "None."))
    settings = _pairs(report.get("settings"))
    if settings:
        body.append("<h2>Settings</h2>")
        body.append(
            _html_table(
                {
                    "columns": [("k", "setting", "text"), ("v", "value", "text")],
                    "rows": [{"k": k, "v": v} for k, v in settings],
                }
            )
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head>\n'
        "<body>\n%s\n</body></html>\n" % (esc(title), _CSS, "\n".join(body))
    )


_RENDERERS = {"json": render_json, "csv": render_csv, "md": render_markdown, "html": render_html}


def render(report, fmt):
    """``report`` as the text of ``fmt`` (json, csv, md or html)."""
    if fmt == "markdown":
        fmt = "md"
    if fmt not in _RENDERERS:
        raise NicTuneError("report: unknown format %r (%s)" % (fmt, ", ".join(FORMATS)))
    return _RENDERERS[fmt](report)


def write(directory, name, report, formats=FORMATS):
    """Write ``<directory>/<name>.<fmt>`` for each format, each atomically; returns the paths written."""
    os.makedirs(directory, exist_ok=True)
    written = []
    for fmt in formats:
        path = os.path.join(directory, "%s.%s" % (name, fmt))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(render(report, fmt))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(path)
    return written
