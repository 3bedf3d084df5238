"""The JSON report: the contract other tools read (see README, "JSON report").

Written link by link, so its memory use does not grow with the number of links.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

from . import LinkReport, Report, ordered_summary


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def link_to_dict(link: LinkReport) -> dict[str, Any]:
    """One link as the JSON contract spells it; absent values are None."""
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
            }
            for c in link.citations
        ],
        "detail": link.detail,
        "page_count": state.page_count,
        **dict(link.extra),
        "history": [
            {
                "checked_at": _time(check.checked_at),
                "status": check.status.value,
                "reason": _value(check.reason),
                "http_status": check.http_status,
            }
            for check in link.history
        ],
    }


def write_json(report: Report, out: TextIO) -> None:
    """Write the report as one JSON document, streaming the links."""
    head = {
        "generated_at": _time(report.generated_at),
        "summary": ordered_summary(report.summary),
    }
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write('  "links": [')
    first = True
    for link in report.iter_links():
        out.write("\n    " if first else ",\n    ")
        out.write(json.dumps(link_to_dict(link), ensure_ascii=False))
        first = False
    out.write("\n  ]\n}\n" if not first else "]\n}\n")
