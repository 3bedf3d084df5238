"""The HTML report: one self-contained page maintainers would rather look at than read.

The page loads nothing: its style and script are inline and allowed by their
SHA-256 hashes in a Content-Security-Policy meta (``default-src 'none'``), so it
works as a mail attachment, offline or on a static host, and an injected
``<script>`` or ``onerror=`` would be refused even if escaping failed. Everything
from the web or from documents goes through Jinja2's autoescaping; the script reads
what it needs from the DOM and ``data-*`` attributes, never from page data pasted
into code. Only http(s) URLs become links, opened with ``noopener noreferrer``.

The page is written while iterating ``report.iter_links()`` once, through
``Template.generate()``, so memory stays bounded for 10,000 links x 100 checks.
What each row shows is built in html_rows.py, history strips included.
Every row is in the HTML, so with JavaScript off all links are shown; the script
only adds filtering, search and sorting.

Above the links, what the last run changed (``report.changes``) and the live pages
that drifted from what was first seen (``report.drifted()``, its own stream, read
once). A row carries a labelled drift marker when ``extra["drift"]`` is set and, when
the report was built with a schedule, the date of its next check
(``extra["next_due"]``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
from collections.abc import Iterator
from importlib import resources
from typing import TextIO

import jinja2
from markupsafe import Markup

from ..models import STATUS_ORDER
from . import Report, ordered_summary, run_notice
from .chart import CHART_SERIES, CHART_SIZE, PLOT_BOX, health_chart
from .html_rows import (
    DRIFT_ACTION,
    LABELS,
    MARK_CLASS,
    Drifted,
    Row,
    changes_shown,
    drifted_shown,
    iso_text,
    row_shown,
    when_text,
)

#: Characters written per write() call: few calls, bounded memory.
_CHUNK_CHARS = 1 << 16


def _static(name: str) -> str:
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    # The HTML parser turns CRLF into LF before the browser hashes an inline block.
    return text.replace("\r\n", "\n")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@functools.cache
def _assets() -> tuple[Markup, Markup, str]:
    """The inline style and script (trusted files shipped with citecheck) and the CSP."""
    style = _static("report.css")
    script = _static("report.js")
    for name, text, tag in (("report.css", style, "</style"), ("report.js", script, "</script")):
        if tag in text.lower():
            raise RuntimeError(f"{name} must not contain {tag}>")
    csp = (
        "default-src 'none'; "
        f"style-src '{_sha256(style)}'; "
        f"script-src '{_sha256(script)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    return Markup(style), Markup(script), csp


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("citecheck.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = when_text
    env.filters["iso"] = iso_text
    return env.get_template("report.html.j2")


def _rows(report: Report) -> Iterator[Row]:
    for link in report.iter_links():
        yield row_shown(link)


def _peeked(items: Iterator[Drifted]) -> Iterator[Drifted] | None:
    """``items`` unchanged, or None when it is empty: the section needs to know
    before its heading whether it has entries, and the stream is read only once."""
    first = next(items, None)
    if first is None:
        return None
    return itertools.chain((first,), items)


def write_html(report: Report, out: TextIO) -> None:
    """Write the report as one self-contained HTML page, streaming the links."""
    style, script, csp = _assets()
    summary = ordered_summary(report.summary)
    statuses = [
        {
            "value": s.value,
            "label": LABELS[s][0],
            "glyph": LABELS[s][1],
            "count": summary[s.value],
        }
        for s in STATUS_ORDER
    ]
    chart = health_chart(report.timeline, css=MARK_CLASS, when=when_text)
    stream = _template().generate(
        csp=csp,
        style=style,
        script=script,
        generated_at=report.generated_at,
        total=sum(summary.values()),
        changes=changes_shown(report.changes),
        changes_at=report.changes_at,
        notice=run_notice(report, when_text),
        drifted=_peeked(drifted_shown(report.drifted())),
        drift_action=DRIFT_ACTION,
        statuses=statuses,
        chart=chart,
        series=[
            {"css": MARK_CLASS[s], "label": LABELS[s][0], "value": s.value} for s in CHART_SERIES
        ],
        chart_size=CHART_SIZE,
        plot=PLOT_BOX,
        rows=_rows(report),
    )
    # The template yields a chunk per tag or value: write them 64 KiB at a time.
    parts: list[str] = []
    size = 0
    for chunk in stream:
        parts.append(chunk)
        size += len(chunk)
        if size >= _CHUNK_CHARS:
            out.write("".join(parts))
            parts.clear()
            size = 0
    out.write("".join(parts))
