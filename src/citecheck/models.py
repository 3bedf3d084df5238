"""The values that flow down the pipeline.

collect/extract → :class:`Citation` → fetch → :class:`FetchOutcome` → classify →
:class:`CheckResult` → verdict → :class:`LinkState` → store → report.

Every type here is a frozen dataclass or an enum, so each stage can be tested with
plain values and nothing downstream can change what an earlier stage decided.
This module imports nothing from the rest of citecheck.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pages.models import PageAnswer


class Status(enum.StrEnum):
    """What a maintainer should think of a link.

    ``failing`` is a transient failure that the confirmation policy has not yet
    turned into ``broken``; ``blocked`` means the site refuses automated checks and
    a human must look. Neither is ever reported as broken.
    """

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    FAILING = "failing"
    BLOCKED = "blocked"
    SKIPPED = "skipped"
    UNCHECKED = "unchecked"

    @property
    def is_success(self) -> bool:
        return self in (Status.OK, Status.REDIRECTED)

    @property
    def is_error(self) -> bool:
        return self in (Status.BROKEN, Status.FAILING)


#: The order in which reports list statuses: what needs a human first.
STATUS_ORDER: tuple[Status, ...] = (
    Status.BROKEN,
    Status.FAILING,
    Status.BLOCKED,
    Status.REDIRECTED,
    Status.OK,
    Status.SKIPPED,
    Status.UNCHECKED,
)


#: What a run reports as changed since the run before, in the order it prints them.
CHANGE_KINDS: tuple[str, ...] = ("newly_broken", "newly_failing", "recovered", "newly_drifted")


@dataclass(frozen=True)
class LastRun:
    """How the latest run that checked or archived links ended, for reports and summaries.

    ``outcome`` is the runs table's (``finished``, ``offline``, ``interrupted``, ...);
    ``last_complete_at`` is when the latest check run that reached its end finished
    (None: none ever did).
    """

    command: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    last_complete_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.outcome == "finished"


class Reason(enum.StrEnum):
    """Why a check ended as it did. Every non-ok status carries one."""

    NOT_FOUND = "not_found"  # 404
    GONE = "gone"  # 410
    HTTP_ERROR = "http_error"  # another 4xx
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"
    DNS_ERROR = "dns_error"  # the name does not exist (definitive)
    DNS_TEMPORARY = "dns_temporary"  # the resolver could not answer (transient)
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    PROTOCOL_ERROR = "protocol_error"  # a malformed HTTP response
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    SOFT_404 = "soft_404"
    BOT_PROTECTION = "bot_protection"
    RATE_LIMITED = "rate_limited"
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403 with no sign of a bot wall
    LOGIN_REQUIRED = "login_required"  # a deep link redirected to a sign-in page
    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    EXCLUDED = "excluded"
    PRIVATE_ADDRESS = "private_address"  # refused by --exclude-private
    PERMANENT_REDIRECT = "permanent_redirect"
    #: A host name that IDNA 2003 allows and IDNA 2008 (the HTTP client's) refuses,
    #: such as an emoji domain: citecheck cannot fetch it, a browser may open it.
    UNSUPPORTED_HOST = "unsupported_host"
    #: citecheck itself failed on this link (a bug): the traceback is in the error log.
    INTERNAL_ERROR = "internal_error"
    # what real sites say that HTTP does not (sites.py, moves.py)
    REDIRECT_UNVERIFIED = "redirect_unverified"  # moved; the new page is not shown to be the same
    CONTENT_REMOVED = "content_removed"  # a platform says the item was removed
    ACCOUNT_TERMINATED = "account_terminated"  # ... because its account was terminated
    COPYRIGHT_CLAIM = "copyright_claim"  # ... because of a copyright claim
    PRIVATE_CONTENT = "private_content"  # the item exists but is private
    AGE_RESTRICTED = "age_restricted"  # the item needs a signed-in adult
    CONTENT_RESTRICTED = "content_restricted"  # members only, another region, unknown gate
    CONSENT_WALL = "consent_wall"  # a cookie-consent interstitial stood in front of the page
    PARKED_DOMAIN = "parked_domain"  # the domain lapsed and a parking service serves it

    @property
    def is_connection_level(self) -> bool:
        """True when no HTTP response was received at all.

        These are the failures that a dead network causes for every host at once,
        so they are only trusted after the network has been seen to work.
        """
        return self in _CONNECTION_LEVEL


_CONNECTION_LEVEL = frozenset(
    {
        Reason.TIMEOUT,
        Reason.DNS_ERROR,
        Reason.DNS_TEMPORARY,
        Reason.CONNECTION_ERROR,
        Reason.TLS_ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class Citation:
    """One place where a document cites a URL (or a title, when ``url`` is None).

    ``document``/``line``/``column`` point back at the citation (1-based line and
    column) so that reports and ``fix`` can find it again.
    """

    url: str | None
    document: str | None = None
    line: int | None = None
    column: int | None = None
    title: str | None = None  # as cited
    context: str | None = None  # the claim it supports, short
    page: str | None = None  # "67", "118-122"
    accessed: str | None = None  # ISO date, as given
    extra: Mapping[str, str] = field(default_factory=dict)  # other sources.csv columns

    @property
    def cited_in(self) -> str | None:
        """``document:line``, the form sources.csv and reports use."""
        if self.document is None:
            return None
        return f"{self.document}:{self.line}" if self.line is not None else self.document


@dataclass(frozen=True)
class Hop:
    """One redirect: ``url`` answered ``status_code`` and pointed at ``location``."""

    url: str
    status_code: int
    location: str

    @property
    def is_permanent(self) -> bool:
        return self.status_code in (301, 308)


@dataclass(frozen=True)
class PageInfo:
    """What titles.py reads out of a body."""

    title: str | None = None
    page_count: int | None = None  # PDFs only
    headline: str | None = None  # the first <h1>, for soft-404 and drift rules
    text_sample: str | None = None  # the start of the main text, white space collapsed
    text_fingerprint: str | None = None  # simhash of the main text, 16 hex digits


@dataclass(frozen=True)
class PageSnapshot:
    """What a page was when citecheck first saw it live: the drift baseline."""

    title: str | None
    text_fingerprint: str | None
    seen_at: datetime


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one URL once: a row of the history.

    ``status`` here is the status of this single check: a transient failure is
    ``failing`` even if it is the tenth in a row. Turning a run of failures into
    ``broken`` is verdict.py's job, which produces :class:`LinkState`.
    """

    url: str
    checked_at: datetime
    status: Status
    reason: Reason | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    title: str | None = None
    page_count: int | None = None
    content_type: str | None = None
    elapsed_ms: int | None = None
    detail: str | None = None  # a human sentence: the error message, the rule that fired
    etag: str | None = None
    last_modified: str | None = None
    text_fingerprint: str | None = None
    #: The page check of a PDF's cited pages, or of an HTML page's claims (pages/).
    pages: PageAnswer | None = None


@dataclass(frozen=True)
class LinkState:
    """The current verdict on one link, as stored in the ``links`` table."""

    url: str
    status: Status = Status.UNCHECKED
    reason: Reason | None = None
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    page_count: int | None = None
    checked_at: datetime | None = None
    first_failure_at: datetime | None = None
    consecutive_failures: int = 0
    last_ok_at: datetime | None = None
    ever_ok: bool = False
    #: Validators of the last successful response, sent back as If-None-Match /
    #: If-Modified-Since so an unchanged page costs the site a 304.
    etag: str | None = None
    last_modified: str | None = None
    #: None, or how the live page drifted from what was first seen (drift.py's JSON).
    drift: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FetchOutcome:
    """What fetch/ saw for one URL, before anyone judged it.

    Either ``status_code`` is set (an HTTP response arrived; ``headers`` and
    ``body`` are the final response's) or ``error`` says why none did. ``body`` is
    the decoded start of the body, at most the configured cap; ``body_truncated``
    says there was more. Header names are lower-case.
    """

    url: str
    final_url: str
    status_code: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hops: tuple[Hop, ...] = ()
    body: bytes = b""
    body_truncated: bool = False
    error: Reason | None = None
    error_detail: str | None = None
    elapsed_ms: int = 0
    attempts: int = 1

    @property
    def content_type(self) -> str | None:
        """The media type without parameters, lower-case (``text/html``)."""
        raw = self.headers.get("content-type")
        return raw.split(";", 1)[0].strip().lower() or None if raw else None


#: The archive name of the Wayback Machine's snapshots.
WAYBACK = "wayback"


#: Media types of web pages (titles, text and soft-404 signs are read from them).
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Media types of PDF documents (read with their own size cap, titles from metadata).
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})

#: One check as reports show it, in the order of its fields: when (ISO-8601 text in
#: UTC, as the store writes it), the status and the reason (their enum values; the
#: reason None when there is none) and the HTTP status (None when no answer came).
#: A plain tuple and not a CheckResult because reports read a million of them:
#: these are the rows SQLite returns, built into nothing else.
HistoryEntry = tuple[str, str, str | None, int | None]
