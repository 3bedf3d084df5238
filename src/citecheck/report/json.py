"""The JSON report: the contract other tools read (see README, "JSON report").

Written link by link, so its memory use does not grow with the number of links.

The history, a hundred checks per link, is most of the file, so it is not built as
dicts for :func:`json.dumps`: each check is its time followed by the rest of its
JSON, which depends only on (status, reason, HTTP status), a handful of
combinations, each written once by ``json.dumps`` and cached. That writes exactly
what ``json.dumps`` would; check times that would need escaping are caught and the
history sent through ``json.dumps`` instead. An ``extra`` field named ``history``
is overridden by the history, which always comes last.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from ..models import CHANGE_KINDS, HistoryEntry, Reason, Status
from . import LinkReport, Report, ordered_summary, run_notice
from .pages import archived_check_fields, archived_for, finding_for, page_check_fields


class _CheckTails(dict[tuple[Any, Any, Any], str]):
    """(status, reason, HTTP status) → the JSON of a check after its time.

    Filled on first use, through the enums, so an unknown status or reason raises
    ValueError as it would have when the check was read as a CheckResult: a report
    never guesses what a value means. Keys compare by value, so this relies on the
    store returning HTTP statuses as ints (an INTEGER column) and not as floats.
    """

    def __missing__(self, key: tuple[Any, Any, Any]) -> str:
        status, reason, http_status = key
        check = check_to_dict(("", status, reason, http_status))
        text = json.dumps(check, ensure_ascii=False)
        tail = '"' + text[text.index('", "status": ') + 1 :]
        self[key] = tail
        return tail


_TAILS = _CheckTails()
_TIME = operator.itemgetter(0)
#: Characters written per write() call: few calls, bounded memory.
_CHUNK_CHARS = 1 << 16


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def link_fields(link: LinkReport) -> dict[str, Any]:
    """Every field of a link but its history, in the contract's order."""
    state = link.state
    return {
        "url": state.url,
        "status": state.status.value,
        "reason": _value(state.reason),
        "http_status": state.http_status,
        "final_url": state.final_url,
        "title": state.title,
        "checked_at": _time(state.checked_at),
        "first_failure_at": _time(state.first_failure_at),
        "consecutive_failures": state.consecutive_failures,
        "last_ok_at": _time(state.last_ok_at),
        "archive_url": link.archive_url,
        "archive_timestamp": link.archive_timestamp,
        **_held_by(link),
        "cited_in": [c.cited_in for c in link.citations if c.cited_in is not None],
        "citations": [
            {
                "document": c.document,
                "line": c.line,
                "column": c.column,
                "page": c.page,
                "title": c.title,
                "context": c.context,
                "accessed": c.accessed,
                "page_check": page_check_fields(finding_for(link.pages, c)),
                "archived_page_check": archived_check_fields(archived_for(link.archived_pages, c)),
            }
            for c in link.citations
        ],
        "detail": link.detail,
        "page_count": state.page_count,
        **dict(link.extra),
    }


def check_to_dict(entry: HistoryEntry) -> dict[str, Any]:
    """One check of the history as the JSON contract spells it."""
    checked_at, status, reason, http_status = entry
    return {
        "checked_at": checked_at,
        "status": Status(status).value,
        "reason": None if reason is None else Reason(reason).value,
        "http_status": http_status,
    }


def link_to_dict(link: LinkReport) -> dict[str, Any]:
    """One link as the JSON contract spells it; absent values are None."""
    fields = link_fields(link)
    fields.pop("history", None)
    fields["history"] = [check_to_dict(entry) for entry in link.history]
    return fields


def history_json(history: Sequence[HistoryEntry]) -> str:
    """The history as the JSON array ``json.dumps`` would write, only faster."""
    if not history:
        return "[]"
    times = "".join(map(_TIME, history))
    if '"' in times or "\\" in times or not times.isprintable():
        return json.dumps([check_to_dict(entry) for entry in history], ensure_ascii=False)
    tails = _TAILS
    return (
        "["
        + ", ".join(
            [
                f'{{"checked_at": "{checked_at}{tails[status, reason, http_status]}'
                for checked_at, status, reason, http_status in history
            ]
        )
        + "]"
    )


def link_json(link: LinkReport) -> str:
    """One link as one line of JSON: exactly ``json.dumps(link_to_dict(link))``."""
    fields = link_fields(link)
    fields.pop("history", None)
    head = json.dumps(fields, ensure_ascii=False)
    return f'{head[:-1]}, "history": {history_json(link.history)}}}'


def _last_run(report: Report) -> dict[str, Any] | None:
    """How the latest run ended: its outcome, and when the last complete check was."""
    last = report.last_run
    notice = run_notice(report, lambda moment: _time(moment) or "never")
    if last is None:
        return {"outcome": None, "notice": notice}
    return {
        "command": last.command,
        "outcome": last.outcome,
        "started_at": _time(last.started_at),
        "finished_at": _time(last.finished_at),
        "last_complete_check_at": _time(last.last_complete_at),
        "notice": notice,
    }


def write_json(report: Report, out: TextIO) -> None:
    """Write the report as one JSON document, streaming the links."""
    head = {
        "generated_at": _time(report.generated_at),
        "summary": ordered_summary(report.summary),
        "last_run": _last_run(report),
        "changes": {
            "run_finished_at": _time(report.changes_at),
            **{kind: list(report.changes.get(kind) or []) for kind in CHANGE_KINDS},
        },
    }
    parts = ["{\n"]
    for key, value in head.items():
        parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    parts.append('  "links": [')
    size = 0
    first = True
    for link in report.iter_links():
        text = link_json(link)
        parts.append("\n    " if first else ",\n    ")
        parts.append(text)
        first = False
        size += len(text)
        if size >= _CHUNK_CHARS:
            out.write("".join(parts))
            parts.clear()
            size = 0
    parts.append("\n  ]\n}\n" if not first else "]\n}\n")
    out.write("".join(parts))


def _held_by(link: LinkReport) -> dict[str, object]:
    """Which archive holds the copy and in how many archives there is one, when
    other archives than the Wayback Machine were asked (absent otherwise)."""
    if link.archive_copies is None:
        return {}
    return {"archive_name": link.archive_name, "archive_copies": link.archive_copies}
