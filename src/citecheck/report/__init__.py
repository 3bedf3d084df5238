"""Reports: one :class:`Report` object, one module per output format.

A report is built from what the store holds (link states, citations, history) and
knows nothing of HTTP. Links are streamed: a report over 10,000 links with 100
checks each never holds more than one link's history at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from ..models import STATUS_ORDER, CheckResult, Citation, LinkState


@dataclass(frozen=True)
class LinkReport:
    """Everything a report shows about one link."""

    state: LinkState
    citations: list[Citation]
    history: list[CheckResult]  # oldest first
    archive_url: str | None = None
    archive_timestamp: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def last_check(self) -> CheckResult | None:
        return self.history[-1] if self.history else None

    @property
    def detail(self) -> str | None:
        """The sentence that explains the latest verdict, from the latest check."""
        last = self.last_check
        return last.detail if last is not None else None


@dataclass(frozen=True)
class Report:
    """A report: when, how many of each status, and the links.

    ``links`` is a zero-argument callable returning a fresh iterator over the links
    in :data:`~citecheck.models.STATUS_ORDER` (broken first), then by URL; formats
    rely on that order to write their sections in one pass, so the report never
    holds all links in memory.
    """

    generated_at: datetime
    summary: Mapping[str, int]
    links: Callable[[], Iterator[LinkReport]]
    #: Link health over runs, oldest first: (run finished at, counts by status).
    timeline: Sequence[tuple[datetime, Mapping[str, int]]] = ()

    def iter_links(self) -> Iterator[LinkReport]:
        return self.links()


def ordered_summary(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts for every status, in report order, zeros included."""
    return {status.value: int(counts.get(status.value, 0)) for status in STATUS_ORDER}


FORMATS = ("json", "md", "html", "csv")


def write_report(report: Report, fmt: str, out: TextIO) -> None:
    """Write ``report`` in format ``fmt`` (one of FORMATS) to ``out``."""
    if fmt == "json":
        from .json import write_json

        write_json(report, out)
    elif fmt == "md":
        from .markdown import write_markdown

        write_markdown(report, out)
    elif fmt == "html":
        from .html import write_html

        write_html(report, out)
    elif fmt == "csv":
        from .csv import write_csv

        write_csv(report, out)
    else:
        raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


def links_from_rows(
    rows: Callable[[], Iterable[tuple[LinkState, list[Citation], list[CheckResult]]]],
) -> Callable[[], Iterator[LinkReport]]:
    """Adapt the store's report rows to a re-iterable stream of LinkReports."""

    def stream() -> Iterator[LinkReport]:
        for state, citations, history in rows():
            yield LinkReport(state=state, citations=citations, history=history)

    return stream
