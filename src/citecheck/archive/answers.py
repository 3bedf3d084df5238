"""What the Wayback Machine says, validated before anything of it is stored or used.

The archive is outside input like any web page: an answer may be an HTML error
page, JSON nested ten thousand deep, a timestamp in Arabic-Indic digits, a status
code ``"²"``, a dict where a digest belongs, or an ``original`` URL that is not
the page asked about (``javascript:…``, another host). Each such value is refused
here, at the boundary, so that nothing stored can crash a later run and nothing
hostile can reach ``fix``, which writes the archived URL into a published text.

* :func:`parse_json` reads a body with a size and a nesting limit (no
  RecursionError);
* :func:`parse_cdx` keeps only CDX rows whose every field is well formed and whose
  ``original`` is the URL looked up (after normalisation);
* :func:`is_timestamp`, :func:`is_job_id` and :func:`short_text` check the values
  Save Page Now returns;
* :func:`lookup_problem` and :func:`capture_problem` say why a value stored by an
  older citecheck must be quarantined (set aside with a note, never re-raised).

Pure: plain values in and out, no I/O.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..captures import Snapshot
from ..errors import ArchiveError, InvalidURLError
from ..urls import normalize_url

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "capture_problem",
    "is_job_id",
    "is_timestamp",
    "lookup_problem",
    "parse_cdx",
    "parse_json",
    "same_page",
    "short_text",
]

#: The largest JSON answer read (the client also caps the bytes it downloads).
MAX_JSON_BYTES = 4 * 1024 * 1024
#: The deepest nesting accepted: CDX answers are 2 deep, SPN2 answers 1 or 2.
MAX_JSON_DEPTH = 16
#: CDX rows read from one answer at most (citecheck asks for a handful).
MAX_CDX_ROWS = 10_000
#: Characters kept of a message from the archive (a job's error, say).
MAX_TEXT_CHARS = 500

_TIMESTAMP = re.compile(r"[0-9]{14}", re.ASCII)
_STATUS = re.compile(r"[0-9]{3}", re.ASCII)
#: A media type as the CDX index spells it (``text/html``, ``warc/revisit``, ``unk``).
_MIMETYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,64}(?:/[A-Za-z0-9!#$&^_.+-]{1,64})?", re.ASCII)
#: A content digest (base32 SHA-1 in practice).
_DIGEST = re.compile(r"[A-Za-z0-9+/=_:-]{1,128}", re.ASCII)
#: An SPN2 job id (``spn2-9c1b…``, a UUID): a short token, safe in a URL path.
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", re.ASCII)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def parse_json(body: bytes, *, what: str) -> Any:
    """``body`` as JSON, within :data:`MAX_JSON_BYTES` and :data:`MAX_JSON_DEPTH`.

    Raises ArchiveError (naming ``what``) for anything else.
    """
    if len(body) > MAX_JSON_BYTES:
        raise ArchiveError(f"{what} answered more than {MAX_JSON_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{what} did not answer UTF-8 text: {body[:80]!r}") from exc
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    depth = max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)
    if depth > MAX_JSON_DEPTH:
        raise ArchiveError(f"{what} answered JSON nested {depth} deep (at most {MAX_JSON_DEPTH})")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ArchiveError(f"{what} did not answer JSON: {body[:80]!r}") from exc


def is_timestamp(value: object) -> bool:
    """A 14-digit CDX timestamp (ASCII digits) of a real instant."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return False
    return True


def is_job_id(value: object) -> bool:
    """An SPN2 job id: a short token that is safe in a URL path."""
    return isinstance(value, str) and _JOB_ID.fullmatch(value) is not None


def short_text(value: object, fallback: str = "") -> str:
    """A message from the archive as one short line of text (controls removed)."""
    text = value if isinstance(value, str) else fallback
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 3] + "..."


def _match_key(url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]] | None:
    """What the CDX index matches URLs on (roughly its SURT canonical form): the
    host without ``www.``, the port, the path and the query's pairs, without
    scheme or case. None when ``url`` is not a valid http(s) URL."""
    try:
        normal = normalize_url(url)
    except InvalidURLError:
        return None
    parts = urlsplit(normal)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.removeprefix("www.")
    port = "" if parts.port in (None, 80, 443) else str(parts.port)
    query = tuple(sorted(parse_qsl(parts.query.lower(), keep_blank_values=True)))
    return host, port, parts.path.rstrip("/").lower(), query


def same_page(original: str, url: str) -> bool:
    """True when the CDX row's ``original`` is the page ``url`` names."""
    key = _match_key(original)
    return key is not None and key == _match_key(url)


def _cdx_row(header: list[str], row: object, url: str) -> Snapshot | None:
    """One CDX row as a Snapshot, or None when any field of it is malformed."""
    if not isinstance(row, list) or not all(isinstance(value, str) for value in row):
        return None
    values = dict(zip(header, row, strict=False))
    timestamp, original = values.get("timestamp"), values.get("original")
    if not is_timestamp(timestamp) or original is None:
        return None
    if len(original) > 8192 or not same_page(original, url):
        return None
    code = values.get("statuscode", "-")
    if code != "-" and not _STATUS.fullmatch(code):
        return None
    mimetype = values.get("mimetype") or None
    if mimetype is not None and not _MIMETYPE.fullmatch(mimetype):
        return None
    digest = values.get("digest") or None
    if digest == "-":
        digest = None
    if digest is not None and not _DIGEST.fullmatch(digest):
        return None
    assert timestamp is not None
    return Snapshot(
        timestamp=timestamp,
        original=normalize_url(original),
        status_code=None if code == "-" else int(code),
        mimetype=mimetype,
        digest=digest,
    )


def parse_cdx(body: bytes, url: str) -> list[Snapshot]:
    """The CDX JSON answer for ``url`` (a header row, then rows; ``[]`` or nothing
    when empty) as Snapshots. Malformed rows, and rows about another URL, are
    dropped; an answer that is not a table at all (an HTML error page, a dict), or
    whose every row is dropped, raises ArchiveError: it is not "no captures"."""
    rows = parse_json(body, what="the CDX index") if body.strip() else []
    if not isinstance(rows, list):
        raise ArchiveError("the CDX index answered JSON that is not a list of rows")
    if not rows:
        return []
    header = rows[0]
    if not isinstance(header, list) or not all(isinstance(name, str) for name in header):
        raise ArchiveError("the CDX index's header row is not a list of field names")
    if "timestamp" not in header or "original" not in header:
        raise ArchiveError(f"the CDX header row has no timestamp or original: {header[:8]}")
    answered = rows[1 : MAX_CDX_ROWS + 1]
    found = [s for s in (_cdx_row(header, row, url) for row in answered) if s is not None]
    if answered and not found:
        # Not "no captures": a later look-up must ask again, not cache nothing.
        raise ArchiveError(f"the CDX index answered {len(answered)} rows, none well formed")
    return found


def lookup_problem(
    url: str, timestamp: str | None, archive_url: str | None, wayback_url: str
) -> str | None:
    """Why a stored look-up (its chosen ``timestamp`` and ``archive_url``) must not
    be used, or None when it may. Values written by an older citecheck were not
    validated: a timestamp in other digits, a replay URL about another page."""
    if timestamp is None and archive_url is None:
        return None
    if not is_timestamp(timestamp) or not isinstance(archive_url, str):
        return f"the stored capture time {short_text(repr(timestamp))} is not a CDX timestamp"
    prefix = f"{wayback_url.rstrip('/')}/web/{timestamp}/"
    if not archive_url.startswith(prefix) or not same_page(archive_url[len(prefix) :], url):
        return f"the stored archived copy {short_text(archive_url)} is not a copy of this page"
    return None


def capture_problem(job_id: str | None, timestamp: str | None) -> str | None:
    """Why a stored capture record must not be used (polled, verified), or None."""
    if job_id is not None and not is_job_id(job_id):
        return f"the stored SPN2 job id {short_text(str(job_id)[:80])!r} is not a job id"
    if timestamp is not None and not is_timestamp(timestamp):
        return f"the stored capture time {short_text(repr(timestamp))} is not a CDX timestamp"
    return None
