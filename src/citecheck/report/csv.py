"""The CSV report, for spreadsheets: one row per link, the JSON report's fields.

Lists are joined with ``"; "``; the history is summarised as its length and its
last checks as text. A drifted page's ``drift`` is its kind and since when
(``title since 2024-05-20T06:00:00+00:00``); ``next_due`` is when the schedule
checks the link next (empty when the report has no schedule or the link is due at
the next run). A cell a spreadsheet would run as a formula (one starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a
single quote, because titles and URLs come from the web. The file starts with a
UTF-8 byte-order mark so that Excel reads non-ASCII titles correctly. Written row
by row while iterating the links once. ``last_run`` carries, on every row, the
notice the other formats put at their top when the latest run did not finish
(offline, interrupted): a preamble line would break every CSV reader.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any, TextIO

from ..models import HistoryEntry, Reason, Status
from . import LinkReport, Report, run_notice
from .json import link_fields

#: Checks of the history written out as text; the rest are only counted.
HISTORY_IN_CSV = 10
#: The columns, in the JSON report's order; ``extra`` holds any additional fields.
FIELDS = (
    "url",
    "status",
    "reason",
    "http_status",
    "final_url",
    "title",
    "checked_at",
    "first_failure_at",
    "consecutive_failures",
    "last_ok_at",
    "archive_url",
    "archive_timestamp",
    "cited_in",
    "citations",
    "detail",
    "page_count",
    "drift",
    "next_due",
    "extra",
    "history_count",
    "history_recent",
    "last_run",
)
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_JOIN = "; "


def neutralise(value: Any) -> Any:
    """``value``, with a leading quote if it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _citation_text(citation: Mapping[str, Any]) -> str:
    where = citation["document"] or "sources.csv"
    if citation["line"] is not None:
        where += f":{citation['line']}"
    if citation["page"]:
        where += f" (p. {citation['page']})"
    if citation["title"]:
        where += f", cited as “{citation['title']}”"
    if citation["context"]:
        where += f": “{citation['context']}”"
    if citation.get("page_check") and citation["page_check"]["summary"]:
        where += f" [page check: {citation['page_check']['summary']}]"
    if citation.get("archived_page_check"):
        where += f" [page check: {citation['archived_page_check']['summary']}]"
    return where


def _check_text(entry: HistoryEntry) -> str:
    checked_at, status, reason, http_status = entry
    parts = [checked_at or "", Status(status).value]
    if http_status is not None:
        parts.append(str(http_status))
    if reason is not None:
        parts.append(Reason(reason).value)
    return " ".join(parts)


def drift_text(drift: Any) -> str:
    """The ``drift`` cell: drift.py's JSON as ``kind since when``; empty when None."""
    if not drift:
        return ""
    if isinstance(drift, Mapping):
        kind = str(drift.get("kind") or "drift")
        since = drift.get("since")
        return f"{kind} since {since}" if since else kind
    return str(drift)


def link_to_row(link: LinkReport) -> dict[str, Any]:
    """One link as a CSV row (before formula neutralisation)."""
    data = link_fields(link)
    data.pop("history", None)
    row = {name: data.pop(name) for name in FIELDS if name in data}
    row["cited_in"] = _JOIN.join(row["cited_in"])
    row["citations"] = _JOIN.join(_citation_text(c) for c in row["citations"])
    row["drift"] = drift_text(row.get("drift"))
    row["next_due"] = row.get("next_due") or ""
    row["extra"] = _JOIN.join(f"{key}={value}" for key, value in data.items())
    row["history_count"] = link.checks
    row["history_recent"] = _JOIN.join(
        _check_text(entry) for entry in link.history[-HISTORY_IN_CSV:]
    )
    return row


def write_csv(report: Report, out: TextIO) -> None:
    """Write one header row and one row per link, streaming the links.

    Only the checks written out are read; the rest of each history is counted.
    """
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    notice = run_notice(report, lambda moment: moment.isoformat() if moment else "never") or ""
    for link in report.iter_links(latest=HISTORY_IN_CSV):
        row = link_to_row(link)
        row["last_run"] = notice
        writer.writerow([neutralise(row[name]) for name in FIELDS])
