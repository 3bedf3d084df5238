"""One row of sources.csv ⇄ one Citation: the cells of a row read (and refused
with a reason) and the cells a citation is written as.

sources.py reads and writes the file around these; the columns are found once a
file (:func:`citation_reader`), since a row is read once per citation of every check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from .frozen import builder
from .models import Citation

SOURCE_COLUMNS = ("url", "title", "cited_in", "context", "accessed", "page")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A row's Citation, built in one step (frozen.py): load_sources makes one a row.
_citation = builder(Citation)


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def _parse_cited_in(value: str) -> tuple[str | None, int | None]:
    """``doc.txt:12`` → ("doc.txt", 12). Only trailing digits are a line: paths may
    contain ':' (``C:\\notes.md``)."""
    value = value.strip()
    if not value:
        return None, None
    # The last ":" with only decimal digits (\d, any script) after it and something
    # before it; a split rather than a regex: it runs once per row (issue 11).
    document, colon, line = value.rpartition(":")
    if not (colon and document and line.isdecimal()):
        return value, None
    return document, int(line)


def _check_accessed(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"accessed {value!r} is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"
        ) from None
    return value


def row_to_citation(row: Mapping[str, str]) -> Citation:
    """A citation from one row keyed by header name (known names in any case).

    Raises ValueError saying what is wrong. A malformed URL is not an error: it is
    kept, and the check reports it as invalid.
    """
    return citation_reader(list(row))(list(row.values()))


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Where each of SOURCE_COLUMNS is in ``header`` (names in any case), and the
    other columns' names and positions."""
    known: dict[str, int] = {}
    extra: list[tuple[str, int]] = []
    for position, name in enumerate(header):
        canonical = name.strip().casefold()
        if canonical in SOURCE_COLUMNS:
            known[canonical] = position
        else:
            extra.append((name, position))
    return known, extra


def _cell(cells: Sequence[str], position: int | None) -> str:
    return "" if position is None else cells[position]


def _url_cell(cells: Sequence[str], position: int | None) -> str:
    url = _cell(cells, position).strip()
    if not url:
        raise ValueError("the url cell is empty")
    return url


def citation_reader(header: Sequence[str]) -> Callable[[Sequence[str]], Citation]:
    """:func:`row_to_citation` for rows of ``header``'s cells, with the columns found
    once per file (issue 11); a column the header lacks is the Citation's default."""
    known, extra = _columns(header)
    url_at, cited_in_at = known.get("url"), known.get("cited_in")
    optional_at = [known.get(name) for name in ("title", "context", "page")]
    accessed_at = known.get("accessed")

    def citation(cells: Sequence[str]) -> Citation:
        url = _url_cell(cells, url_at)  # refused first, then the date, then cited_in
        accessed = None if accessed_at is None else _check_accessed(cells[accessed_at])
        cited_in = "" if cited_in_at is None else cells[cited_in_at]
        document, line = _parse_cited_in(cited_in) if cited_in else (None, None)
        title, context, page = [None if at is None else _optional(cells[at]) for at in optional_at]
        extras = {name: cells[position] for name, position in extra}
        return _citation(url, document, line, None, title, context, page, accessed, extras)

    return citation


def row_checker(header: Sequence[str]) -> Callable[[Sequence[str]], bool]:
    """What :func:`citation_reader` refuses, refused in the same order, without
    building the citation: for the pass that only validates (True for every row)."""
    known, _ = _columns(header)
    url_at, accessed_at = known.get("url"), known.get("accessed")

    def check(cells: Sequence[str]) -> bool:
        _url_cell(cells, url_at)
        _check_accessed(_cell(cells, accessed_at))
        return True

    return check


def citation_to_row(citation: Citation, extra_columns: Sequence[str] = ()) -> list[str]:
    """The cells of ``citation`` for a header of SOURCE_COLUMNS + ``extra_columns``.

    Raises ValueError for a citation without URL, or with an extra column the
    header lacks: writing it would silently lose what the user wrote.
    """
    if citation.url is None:
        raise ValueError(f"a citation without URL cannot be written: {citation.title!r}")
    missing = [name for name in citation.extra if name not in extra_columns]
    if missing:
        raise ValueError(f"no column for {', '.join(missing)} (cited as {citation.url})")
    return [
        citation.url,
        citation.title or "",
        citation.cited_in or "",
        citation.context or "",
        citation.accessed or "",
        citation.page or "",
        *(citation.extra.get(name, "") for name in extra_columns),
    ]
