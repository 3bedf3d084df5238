"""Named defaults and the :class:`Settings` object every stage reads.

Every number that shapes citecheck's behaviour towards other people's servers is
named here, once, with the reason for its value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from . import __version__

#: Total concurrent requests across all hosts: lychee's default too. 64 capped a
#: check of 20,000 links over 200 hosts at about 600 requests a second, 35 s of its
#: 39 s (BENCHMARKS.md, "Eighth step"); the per-host limit is what protects a site.
DEFAULT_CONCURRENCY = 128
#: Concurrent requests to one host. Two is what a polite crawler allows itself.
DEFAULT_PER_HOST = 2
#: Total seconds one URL may take: connect, headers, body, redirects and retries.
DEFAULT_TIMEOUT_S = 30.0
#: Seconds to wait for a TCP/TLS connection before giving up on an attempt.
DEFAULT_CONNECT_TIMEOUT_S = 10.0
#: Redirects followed before the chain counts as too long (browsers allow ~20).
DEFAULT_MAX_REDIRECTS = 10
#: Tries for a transient failure (timeouts, 5xx, connection errors), first one included.
DEFAULT_MAX_ATTEMPTS = 3
#: First backoff between tries; doubled each time, with jitter. Short, because an
#: in-run retry only catches a blip: a 5xx makes a link ``failing``, never
#: ``broken``, in one night (verdict.py), so the nights retry it, not the backoff.
DEFAULT_BACKOFF_S = 0.5
#: The one retry of a 500 waits only this long (with the same jitter). A 500 that a
#: retry can cure is one request's failure (a worker that died, a deadlock, an upstream
#: call that timed out), which the next request meets afresh however soon it is sent;
#: one that lasts (a broken deploy) outlasts any wait a run can afford and is the
#: nights' to judge. A longer wait catches no more of either and only lengthens the
#: end of a run (BENCHMARKS.md, "Twelfth step"). The gateway and "unavailable"
#: statuses (502-504, 52x) mean a server that is restarting or overloaded: those keep
#: the backoff, and a Retry-After on any of them is obeyed as it is.
DEFAULT_RETRY_500_AFTER_S = 0.1
#: A Retry-After longer than this is not waited for: the link is rate limited.
DEFAULT_MAX_RETRY_AFTER_S = 10.0
#: Bytes of an HTML (or other non-PDF) body read: enough for <head> and a text sample.
DEFAULT_MAX_BODY_BYTES = 512 * 1024
#: Bytes of a PDF read, spooled to disk past 1 MiB: enough for most reports' metadata.
DEFAULT_MAX_PDF_BYTES = 32 * 1024 * 1024
#: PDF bodies read at once: with the cap above, at most 128 MiB of PDF in memory
#: however many links are in flight.
DEFAULT_PDF_READERS = 4
DEFAULT_USER_AGENT = (
    f"citecheck/{__version__} (+https://github.com/citecheck/citecheck; citation link checker)"
)

#: Confirmation policy: a transient failure becomes ``broken`` only after this many
#: consecutive failed checks spanning at least ``DEFAULT_CONFIRM_SPAN``.
DEFAULT_CONFIRM_FAILURES = 3
DEFAULT_CONFIRM_SPAN = timedelta(days=3)

#: URLs fetched to tell "this host is down" from "the network is down". Any HTTP
#: answer from any of them means the network works.
DEFAULT_PROBE_URLS: tuple[str, ...] = (
    "https://web.archive.org/",
    "https://www.wikipedia.org/",
    "https://www.google.com/generate_204",
)


@dataclass(frozen=True)
class ConfirmationPolicy:
    """When a run of transient failures is trusted to mean ``broken``."""

    failures: int = DEFAULT_CONFIRM_FAILURES
    span: timedelta = DEFAULT_CONFIRM_SPAN


#: Due-based schedule (schedule.py): how long after a check each kind of link is
#: checked again. ``ok`` links are cheap to leave alone for a week: a page that dies
#: on Monday is reported within seven days, and the sites we cite are asked once a
#: week, not every night.
DEFAULT_OK_INTERVAL = timedelta(days=7)
#: ``failing`` links daily: the confirmation policy needs DEFAULT_CONFIRM_FAILURES
#: failed checks spanning DEFAULT_CONFIRM_SPAN, which daily checks reach in three
#: to four nights; at the ``ok`` interval it would take weeks.
DEFAULT_FAILING_INTERVAL = timedelta(days=1)
#: ``broken`` links rarely, in case they come back (sites restore pages, domains
#: are renewed).
DEFAULT_BROKEN_INTERVAL = timedelta(days=30)
#: ``blocked`` links: the site refuses automated checks, so asking often is rude
#: and tells us nothing new; a human must look anyway.
DEFAULT_BLOCKED_INTERVAL = timedelta(days=14)


@dataclass(frozen=True)
class Schedule:
    """How long after its last check a link is due again, by its status.

    New links are always due at once. ``redirected`` links count as ``ok``.
    """

    ok: timedelta = DEFAULT_OK_INTERVAL
    failing: timedelta = DEFAULT_FAILING_INTERVAL
    broken: timedelta = DEFAULT_BROKEN_INTERVAL
    blocked: timedelta = DEFAULT_BLOCKED_INTERVAL

    def __post_init__(self) -> None:
        for name in ("ok", "failing", "broken", "blocked"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"the {name} interval must be positive, not {getattr(self, name)}")


#: The report formats (report/ writes each); here so that the CLI can offer them
#: without importing the reports.
REPORT_FORMATS = ("json", "md", "html", "csv")


@dataclass(frozen=True)
class ReportOutput:
    """One report file ``run`` writes: ``format`` is one of REPORT_FORMATS."""

    path: Path
    format: str


#: What ``run`` writes when neither the command line nor citecheck.toml says.
DEFAULT_REPORT_OUTPUTS: tuple[ReportOutput, ...] = (
    ReportOutput(Path("report.md"), "md"),
    ReportOutput(Path("report.json"), "json"),
)
#: The environment variables that hold the Wayback Machine's SPN2 keys. A config file
#: names the variables, never the keys, so it can be committed.
DEFAULT_WAYBACK_ACCESS_KEY_ENV = "IA_ACCESS_KEY"
DEFAULT_WAYBACK_SECRET_KEY_ENV = "IA_SECRET_KEY"


@dataclass(frozen=True)
class Settings:
    """Everything a check needs to know, resolved from CLI, env and config file."""

    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    timeout_s: float = DEFAULT_TIMEOUT_S
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_s: float = DEFAULT_BACKOFF_S
    retry_500_after_s: float = DEFAULT_RETRY_500_AFTER_S
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES
    user_agent: str = DEFAULT_USER_AGENT
    confirmation: ConfirmationPolicy = field(default_factory=ConfirmationPolicy)
    probe_urls: tuple[str, ...] = DEFAULT_PROBE_URLS
    #: host → IP overrides, like curl's --resolve (tests, split-horizon set-ups).
    resolve: tuple[tuple[str, str], ...] = ()
    soft404_probe: bool = True
    #: Refuse loopback, private, link-local and cloud-metadata addresses, checked
    #: after DNS resolution (a public name resolving to 169.254.169.254 is refused).
    exclude_private: bool = False
    #: When each link is next due (``run``, ``check --due``): see schedule.py.
    schedule: Schedule = field(default_factory=Schedule)
    #: HTTP status codes taken as ``ok`` (e.g. 999 from a site known to answer it).
    accepted_status: frozenset[int] = frozenset()
    #: A link whose URL matches one of these (``re.search``) is skipped, not fetched.
    exclude_patterns: tuple[re.Pattern[str], ...] = ()
    #: A link on one of these domains (lower-case, IDNA) or their subdomains is skipped.
    exclude_domains: tuple[str, ...] = ()
    #: The reports ``run`` writes, each atomically.
    report_outputs: tuple[ReportOutput, ...] = DEFAULT_REPORT_OUTPUTS

    def __post_init__(self) -> None:
        for name in ("concurrency", "per_host", "max_redirects", "max_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout must be positive, not {self.timeout_s}")


def probe_urls_from_env(default: tuple[str, ...] = DEFAULT_PROBE_URLS) -> tuple[str, ...]:
    """``CITECHECK_PROBE_URLS`` (space or comma separated) overrides the probe list."""
    raw = os.environ.get("CITECHECK_PROBE_URLS")
    if raw is None:
        return default
    return tuple(u for u in raw.replace(",", " ").split() if u)


# -- the Wayback Machine (archive/) ------------------------------------------------------

#: The base of every Wayback call: CDX, Save Page Now, job status and replay.
DEFAULT_WAYBACK_URL = "https://web.archive.org"
#: Seconds one Wayback request may take: SPN2 and the CDX index are often slow.
DEFAULT_ARCHIVE_TIMEOUT_S = 60.0
#: Minutes `run` spends on the archive at most: at 48 look-ups a minute, 10,000 new
#: links need 3.5 hours; a nightly job does 30 minutes of them and the rest the
#: nights after (nothing is lost: what did not fit is looked up next time).
DEFAULT_RUN_ARCHIVE_MINUTES = 30.0


@dataclass(frozen=True)
class RateLimit:
    """At most ``calls`` requests per ``period_s`` seconds, evenly spaced."""

    calls: float
    period_s: float = 60.0

    def __post_init__(self) -> None:
        if self.calls <= 0 or self.period_s <= 0:
            raise ValueError(f"a rate limit must be positive, not {self.calls}/{self.period_s} s")

    @property
    def interval_s(self) -> float:
        return self.period_s / self.calls


#: The archive's limits are strict and change over time; these are set at about 80%
#: of the figures published in 2025 so that citecheck stays clear of them.
#: CDX look-ups: 60 a minute published.
DEFAULT_CDX_RATE_LIMIT = RateLimit(0.8 * 60)
#: Save Page Now without keys: 3 captures a minute (and 200 a day, see DEFAULT_MAX_SAVES).
DEFAULT_SAVE_RATE_LIMIT = RateLimit(0.8 * 3)
#: Save Page Now with keys (SPN2): 7 captures a minute.
DEFAULT_AUTH_SAVE_RATE_LIMIT = RateLimit(0.8 * 7)
#: SPN2 job status polls: no published figure; treated like CDX look-ups.
DEFAULT_STATUS_RATE_LIMIT = RateLimit(0.8 * 60)
#: Capture requests per run. A run is nightly, so this also keeps an anonymous user
#: below the published 200 captures a day.
DEFAULT_MAX_SAVES = 160
#: A live link whose newest good capture is older than this gets a new one.
DEFAULT_CAPTURE_MAX_AGE = timedelta(days=30)
#: CDX look-ups in flight at once; the rate limit, not this, is the real bound.
DEFAULT_CDX_CONCURRENCY = 32
#: CDX rows asked for per look-up: enough to skip a few bad captures near the date.
DEFAULT_CDX_LIMIT = 8
#: Tries of one request that the archive answers 429 before it is left for the next run.
DEFAULT_ARCHIVE_MAX_TRIES = 3
#: Seconds to wait after a 429 that carries no Retry-After.
DEFAULT_ARCHIVE_RETRY_AFTER_S = 60.0
#: A Retry-After longer than this ends the run's use of that endpoint: what is left
#: waits for the next run rather than holding a cron job for hours.
DEFAULT_ARCHIVE_MAX_RETRY_AFTER_S = 600.0
#: Seconds between two polls of one SPN2 job, and how long one run polls a job before
#: leaving it (its id is kept in archive.db) for the next run.
DEFAULT_POLL_INTERVAL_S = 6.0
DEFAULT_POLL_BUDGET_S = 180.0
#: Connection-level failures in a row, with no HTTP answer between them, after which
#: the archive is taken to be unreachable and the run stops.
DEFAULT_ARCHIVE_UNREACHABLE_AFTER = 5
#: Bytes of a CDX or SPN2 JSON answer read at most (a look-up asks for a few rows).
DEFAULT_ARCHIVE_MAX_BODY_BYTES = 1024 * 1024


#: Seconds one request to another Memento archive may take (TimeMap, TimeGate or
#: the verifying fetch of a memento): they are slower than the Wayback CDX index,
#: and a slow one is skipped for the link, never waited for.
DEFAULT_MEMENTO_TIMEOUT_S = 20.0
#: Requests a minute to an archive that publishes no limit: one every two seconds.
DEFAULT_MEMENTO_RATE_LIMIT = RateLimit(30)
#: Mementos per archive kept as candidates around the wanted date (the closest before
#: and after it); a popular page's TimeMap lists thousands.
DEFAULT_MEMENTO_CANDIDATES = 4
#: Mementos fetched at most per link to verify one (each failed one is rejected).
DEFAULT_MEMENTO_VERIFICATIONS = 4


@dataclass(frozen=True)
class MementoArchive:
    """A public web archive asked through Memento (RFC 7089).

    ``timemap_url`` and ``timegate_url`` are bases the cited URL is appended to
    (``https://arquivo.pt/wayback/timemap/link/`` + URL); either may be None, not
    both. ``timemap_format`` is ``link`` (application/link-format) or ``json``.
    ``hosts`` are the hosts its mementos may be on (a memento URL elsewhere is not
    this archive's answer); by default the hosts of its two bases.
    """

    key: str
    name: str
    timemap_url: str | None = None
    timegate_url: str | None = None
    timemap_format: str = "link"
    rate: RateLimit = DEFAULT_MEMENTO_RATE_LIMIT
    timeout_s: float = DEFAULT_MEMENTO_TIMEOUT_S
    enabled: bool = True
    hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.timemap_url is None and self.timegate_url is None:
            raise ValueError(f"archive {self.key!r} needs a timemap or a timegate URL")
        if self.timemap_format not in ("link", "json"):
            raise ValueError(f"archive {self.key!r}: format must be 'link' or 'json'")
        if self.timeout_s <= 0:
            raise ValueError(f"archive {self.key!r}: timeout must be positive")


@dataclass(frozen=True)
class MementoSettings:
    """Which archives besides the Wayback Machine a broken link's copy is looked
    for in. ``aggregator_url`` (a MemGator-style ``/timemap/link/URL`` service), when
    set, is asked instead of each archive; its mementos are attributed to the
    archive whose hosts they are on. Empty by default: the CLI fills in the public
    archives of ``citecheck.archive.archives``."""

    archives: tuple[MementoArchive, ...] = ()
    aggregator_url: str | None = None
    aggregator_rate: RateLimit = DEFAULT_MEMENTO_RATE_LIMIT
    aggregator_timeout_s: float = DEFAULT_MEMENTO_TIMEOUT_S
    candidates: int = DEFAULT_MEMENTO_CANDIDATES
    verifications: int = DEFAULT_MEMENTO_VERIFICATIONS

    @property
    def asked(self) -> tuple[MementoArchive, ...]:
        return tuple(archive for archive in self.archives if archive.enabled)

    @property
    def active(self) -> bool:
        return bool(self.asked)


@dataclass(frozen=True)
class ArchiveSettings:
    """How ``citecheck archive`` talks to the Wayback Machine."""

    wayback_url: str = DEFAULT_WAYBACK_URL
    access_key: str | None = None
    secret_key: str | None = None
    save: bool = True
    max_saves: int = DEFAULT_MAX_SAVES
    capture_max_age: timedelta = DEFAULT_CAPTURE_MAX_AGE
    cdx_rate: RateLimit = DEFAULT_CDX_RATE_LIMIT
    #: None: DEFAULT_AUTH_SAVE_RATE_LIMIT with keys, DEFAULT_SAVE_RATE_LIMIT without.
    save_rate: RateLimit | None = None
    status_rate: RateLimit = DEFAULT_STATUS_RATE_LIMIT
    cdx_concurrency: int = DEFAULT_CDX_CONCURRENCY
    cdx_limit: int = DEFAULT_CDX_LIMIT
    max_tries: int = DEFAULT_ARCHIVE_MAX_TRIES
    default_retry_after_s: float = DEFAULT_ARCHIVE_RETRY_AFTER_S
    max_retry_after_s: float = DEFAULT_ARCHIVE_MAX_RETRY_AFTER_S
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    poll_budget_s: float = DEFAULT_POLL_BUDGET_S
    unreachable_after: int = DEFAULT_ARCHIVE_UNREACHABLE_AFTER
    #: Seconds one run may spend on the archive (None: no limit); `run` sets it.
    time_budget_s: float | None = None
    #: Other Memento archives asked when the Wayback Machine has no copy before the date.
    memento: MementoSettings = field(default_factory=MementoSettings)

    def __post_init__(self) -> None:
        if self.max_saves < 0:
            raise ValueError(f"max_saves cannot be negative, not {self.max_saves}")
        for name in ("cdx_concurrency", "cdx_limit", "max_tries", "unreachable_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if (self.access_key is None) != (self.secret_key is None):
            raise ValueError("give both IA_ACCESS_KEY and IA_SECRET_KEY, or neither")

    @property
    def authenticated(self) -> bool:
        return self.access_key is not None and self.secret_key is not None

    @property
    def effective_save_rate(self) -> RateLimit:
        if self.save_rate is not None:
            return self.save_rate
        return DEFAULT_AUTH_SAVE_RATE_LIMIT if self.authenticated else DEFAULT_SAVE_RATE_LIMIT


def _rate_from_env(name: str, default: RateLimit) -> RateLimit:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return RateLimit(float(raw))
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a positive number of requests a minute") from exc


def archive_settings_from_env(**overrides: object) -> ArchiveSettings:
    """ArchiveSettings from the environment, then ``overrides``.

    ``CITECHECK_WAYBACK_URL`` (the base of every Wayback call), ``IA_ACCESS_KEY`` and
    ``IA_SECRET_KEY`` (SPN2), and ``CITECHECK_WAYBACK_CDX_PER_MIN``,
    ``CITECHECK_WAYBACK_SAVES_PER_MIN``, ``CITECHECK_WAYBACK_STATUS_PER_MIN`` (rate
    limits, requests a minute; lower them if the archive's published limits drop).
    Raises ValueError for a value that cannot be used.
    """
    access = os.environ.get(DEFAULT_WAYBACK_ACCESS_KEY_ENV) or None
    secret = os.environ.get(DEFAULT_WAYBACK_SECRET_KEY_ENV) or None
    save_rate_raw = os.environ.get("CITECHECK_WAYBACK_SAVES_PER_MIN")
    values: dict[str, object] = {
        "wayback_url": (os.environ.get("CITECHECK_WAYBACK_URL") or DEFAULT_WAYBACK_URL).rstrip("/"),
        "access_key": access,
        "secret_key": secret,
        "cdx_rate": _rate_from_env("CITECHECK_WAYBACK_CDX_PER_MIN", DEFAULT_CDX_RATE_LIMIT),
        "status_rate": _rate_from_env(
            "CITECHECK_WAYBACK_STATUS_PER_MIN", DEFAULT_STATUS_RATE_LIMIT
        ),
        "save_rate": _rate_from_env("CITECHECK_WAYBACK_SAVES_PER_MIN", DEFAULT_SAVE_RATE_LIMIT)
        if save_rate_raw
        else None,
    }
    values.update(overrides)
    return ArchiveSettings(**values)  # type: ignore[arg-type]
