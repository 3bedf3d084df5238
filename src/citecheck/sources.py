"""sources.csv ⇄ citations: the list of sources a maintainer curates by hand.

The file belongs to the user: reading keeps every column (unknown ones in
``Citation.extra``, in their order), merging never drops or overwrites what a user
wrote, and writing is atomic so an interrupted run never leaves half a file.
Errors name the file and the line, because the fix is always an edit there.
A row's cells become a Citation (and a Citation cells) in sourcerows.py.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .atomic import atomic_output
from .csvlines import decoded_lines
from .errors import InputError
from .models import Citation
from .sourcerows import SOURCE_COLUMNS, citation_reader, citation_to_row, row_checker
from .urls import InvalidURLError, normalize_url

_Row = TypeVar("_Row")

_COLUMN_NAME = re.compile(r"[\w .()-]{0,40}")


@dataclass(frozen=True)
class SourcesFile:
    """A read sources.csv: its citations, its header as written, and what was merged."""

    citations: list[Citation]
    fieldnames: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MergeSummary:
    """What :func:`merge_citations` did.

    ``kept`` existing rows (all of them), ``filled`` of those got an empty field
    filled, ``added`` new rows, ``skipped`` new citations without a URL.
    """

    added: int = 0
    kept: int = 0
    filled: int = 0
    skipped: int = 0
    pruned: int = 0  # stale rows dropped (extract --prune), not counted in ``kept``


def _header(path: Path, row: list[str] | None, line: int = 1) -> list[str]:
    names = [name.strip() for name in row or []]
    canonical = [name.casefold() if name.casefold() in SOURCE_COLUMNS else name for name in names]
    if "url" not in canonical:
        if not names:
            found = "found: nothing, the file is empty"
        elif _looks_like_column_names(names):
            found = "found: " + ", ".join(names)
        else:
            # Never quote it: sources.csv may be a link to any file (/etc/passwd).
            found = "its first line is not a list of column names; is it a CSV file?"
        raise InputError(f"{path}: no 'url' column in the header ({found})")
    repeated = sorted({name for name in canonical if canonical.count(name) > 1})
    if repeated:
        raise InputError(
            f"{path}: line {line}: the header repeats {', '.join(map(repr, repeated))}"
        )
    return names


def _looks_like_column_names(names: list[str]) -> bool:
    """Whether a first row reads as a CSV header (and so may be quoted in an error):
    several short names of letters, digits, spaces and simple punctuation."""
    return len(names) >= 2 and all(_COLUMN_NAME.fullmatch(name) for name in names)


def _rows(
    path: Path, row_reader: Callable[[Sequence[str]], Callable[[Sequence[str]], _Row]]
) -> Iterator[tuple[list[str], int, _Row | None]]:
    """(header, line, what ``row_reader(header)`` makes of the row) for every row,
    validated; blank rows skipped.

    The header row itself comes first, with None.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with stream:
        reader = csv.reader(decoded_lines(path, stream), strict=True)
        header: list[str] | None = None
        line = 1
        try:
            for row in reader:
                if not "".join(row).strip():  # blank: no cell has a non-space
                    line = reader.line_num + 1
                    continue
                if header is None:
                    header = _header(path, row, line)
                    read_row = row_reader(header)
                    yield header, line, None
                elif len(row) != len(header):
                    raise InputError(
                        f"{path}: line {line}: {len(row)} fields, but the header has "
                        f"{len(header)}"
                        + (" (an unquoted comma?)" if len(row) > len(header) else "")
                    )
                else:
                    try:
                        value = read_row(row)
                    except ValueError as exc:
                        raise InputError(f"{path}: line {line}: {exc}") from None
                    yield header, line, value
                line = reader.line_num + 1
        except csv.Error as exc:
            raise InputError(f"{path}: line {line}: not valid CSV: {exc}") from None
        if header is None:
            _header(path, None)


def _key(citation: Citation) -> tuple[str, str, str]:
    """Merge identity: the same URL cited at the same place (and page)."""
    url = citation.url or ""
    try:
        url = normalize_url(url)
    except InvalidURLError:
        url = url.strip()
    return url, citation.cited_in or "", citation.page or ""


def _digest(value: object) -> bytes:
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=16).digest()


def _key_digest(key: tuple[str, str, str]) -> bytes:
    """:func:`_digest` of a merge key, cheaper: its parts joined by NUL, which no
    cell of a sources.csv holds (:func:`decoded_lines` refuses it), so no two keys join
    alike."""
    return hashlib.blake2b("\x00".join(key).encode("utf-8"), digest_size=16).digest()


def _content(citation: Citation) -> tuple[object, ...]:
    """What makes two citations equal (every field, as ``==`` compares them), as a
    plain tuple: its repr is the cheap thing to digest, unlike the dataclass's."""
    return (
        citation.url,
        citation.document,
        citation.line,
        citation.column,
        citation.title,
        citation.context,
        citation.page,
        citation.accessed,
        citation.extra,
    )


#: :func:`_content_digest` of a citation its key says all of.
_KEY_IS_CONTENT = b""


def _content_digest(citation: Citation, key: tuple[str, str, str]) -> bytes:
    """What tells two citations of the same ``key`` apart: :func:`_digest` of their
    :func:`_content`, or, for the usual row whose key says all of it (the URL as
    cited is its own normal form, ``cited_in`` gives back its document and line, no
    other value), :data:`_KEY_IS_CONTENT`, with no digest worked out (issue 11)."""
    if (
        citation.url == key[0]
        and (citation.line is not None or citation.document is None)
        and citation.column is None
        and citation.title is None
        and citation.context is None
        and citation.accessed is None
        and not citation.extra
    ):
        return _KEY_IS_CONTENT
    return _digest(_content(citation))


def iter_sources(path: Path, *, warnings: list[str] | None = None) -> Iterator[Citation]:
    """The citations of a sources.csv, one row at a time, for files of any size.

    Validation is :func:`read_sources`'s. A row repeating an earlier row exactly is
    skipped; a repeated key with different values is yielded too (it cannot be
    merged into a row already yielded). Both are noted in ``warnings``.
    """
    seen: dict[bytes, tuple[int, bytes]] = {}
    for _, line, citation in _rows(path, citation_reader):
        if citation is None:
            continue
        parts = _key(citation)
        key = _key_digest(parts)
        content = _content_digest(citation, parts)
        if key in seen:
            first_line, first_content = seen[key]
            if first_content == content:
                _note(warnings, f"{path}: line {line} repeats line {first_line}; skipped")
                continue
            _note(
                warnings,
                f"{path}: lines {first_line} and {line} cite the same URL at the same place "
                "with different values; both kept",
            )
        else:
            seen[key] = (line, content)
        yield citation


def validate_sources(path: Path) -> int:
    """Read a sources.csv through, storing nothing: InputError where it is rejected,
    as :func:`iter_sources` would raise it. Returns its number of citation rows.

    Cheaper than iterating :func:`iter_sources`: a repeated row is not an error, so
    the keys that find repeats are not worked out (issue 11: it is read twice per
    check, once before the database is opened)."""
    return sum(checked is not None for _, _, checked in _rows(path, row_checker))


def _note(warnings: list[str] | None, message: str) -> None:
    if warnings is not None:
        warnings.append(message)


def read_sources(path: Path) -> SourcesFile:
    """Read and validate a sources.csv (UTF-8, BOM or not, CRLF or LF).

    Rows with the same URL, ``cited_in`` and page are merged, with a warning naming
    both lines. If they disagree on a value both rows are kept instead: merging
    would lose what the user wrote in one of them.
    """
    citations: list[Citation] = []
    lines: list[int] = []
    positions: dict[tuple[str, str, str], int] = {}
    warnings: list[str] = []
    fieldnames: list[str] | None = None
    for header, line, citation in _rows(path, citation_reader):
        fieldnames = header
        if citation is None:
            continue
        key = _key(citation)
        if key in positions:
            first = positions[key]
            merged = _fill(citations[first], citation)
            if _conflicts(citations[first], citation):
                warnings.append(
                    f"{path}: lines {lines[first]} and {line} cite the same URL at the same "
                    "place with different values; both kept"
                )
            else:
                citations[first] = merged
                warnings.append(f"{path}: line {line} repeats line {lines[first]}; merged")
                continue
        else:
            positions[key] = len(citations)
        citations.append(citation)
        lines.append(line)
    assert fieldnames is not None  # _rows raises when there is no header
    return SourcesFile(citations=citations, fieldnames=fieldnames, warnings=warnings)


_FILLABLE = ("title", "context", "accessed", "page", "column")


def _conflicts(first: Citation, second: Citation) -> bool:
    if first.url != second.url:
        return True
    for name in _FILLABLE:
        mine, theirs = getattr(first, name), getattr(second, name)
        if mine and theirs and mine != theirs:
            return True
    return any(
        first.extra.get(name) and value and first.extra[name] != value
        for name, value in second.extra.items()
    )


def _fill(existing: Citation, new: Citation) -> Citation:
    """``existing`` with its empty fields taken from ``new``; nothing else changes."""
    changes = {
        name: getattr(new, name)
        for name in _FILLABLE
        if not getattr(existing, name) and getattr(new, name)
    }
    if set(changes) <= {"column"}:
        changes = {}  # sources.csv has no column: nothing a user would see was filled
    extra = dict(existing.extra)
    for name, value in new.extra.items():
        if value and not extra.get(name):
            extra[name] = value
    if extra != dict(existing.extra):
        changes["extra"] = extra
    return dataclasses.replace(existing, **changes) if changes else existing


def merge_citations(
    existing: Sequence[Citation], new: Iterable[Citation]
) -> tuple[list[Citation], MergeSummary]:
    """Add freshly extracted citations to the rows a user already has.

    Identity is (normalised URL, cited_in, page). Existing rows stay, in their
    order, with every value the user wrote; only their empty fields may be filled.
    New identities are appended in the order given. Citations without a URL
    (title-only) are skipped: sources.csv rows need one.
    """
    merged = list(existing)
    positions: dict[tuple[str, str, str], int] = {}
    for position, citation in enumerate(merged):
        positions.setdefault(_key(citation), position)
    filled: set[int] = set()
    added = skipped = 0
    for citation in new:
        if citation.url is None:
            skipped += 1
            continue
        key = _key(citation)
        if key not in positions:
            positions[key] = len(merged)
            merged.append(citation)
            added += 1
            continue
        position = positions[key]
        updated = _fill(merged[position], citation)
        if updated is not merged[position]:
            merged[position] = updated
            if position < len(existing):
                filled.add(position)
    summary = MergeSummary(added=added, kept=len(existing), filled=len(filled), skipped=skipped)
    return merged, summary


def stale_citations(
    existing: Sequence[Citation], found: Iterable[Citation], documents: Iterable[str]
) -> list[int]:
    """Positions of the ``existing`` rows cited in one of ``documents`` that
    ``found`` (a fresh extraction of those documents) no longer has at that place:
    a URL corrected or removed, or moved to another line."""
    extracted = set(documents)
    present = {_key(citation) for citation in found if citation.url is not None}
    return [
        position
        for position, citation in enumerate(existing)
        if citation.document in extracted and _key(citation) not in present
    ]


def write_sources(
    path: Path, citations: Iterable[Citation], fieldnames: Sequence[str] | None = None
) -> None:
    """Write sources.csv atomically: UTF-8 without BOM, ``\\n`` line endings.

    The header is SOURCE_COLUMNS then the extra columns of ``fieldnames`` (the file's
    header as read) in their order. Without ``fieldnames`` the extra columns are
    those the citations carry, which means reading all of them first. The file is
    written beside ``path``, flushed to disk and renamed over it: a crash leaves
    either the old file or the new one, never half of one.
    """
    if fieldnames is None:
        citations = list(citations)
        extra_columns = list(dict.fromkeys(name for c in citations for name in c.extra))
    else:
        extra_columns = [
            name for name in fieldnames if name.strip().casefold() not in SOURCE_COLUMNS
        ]
    with atomic_output(path, text=True, newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([*SOURCE_COLUMNS, *extra_columns])
        for citation in citations:
            writer.writerow(citation_to_row(citation, extra_columns))
