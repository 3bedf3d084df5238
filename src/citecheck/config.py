"""Named defaults and the :class:`Settings` object every stage reads.

Every number that shapes citecheck's behaviour towards other people's servers is
named here, once, with the reason for its value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from . import __version__

#: Total concurrent requests across all hosts.
DEFAULT_CONCURRENCY = 64
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
#: First backoff between tries; doubled each time, with jitter.
DEFAULT_BACKOFF_S = 1.0
#: A Retry-After longer than this is not waited for: the link is rate limited.
DEFAULT_MAX_RETRY_AFTER_S = 10.0
#: Bytes of an HTML (or other non-PDF) body read: enough for <head> and a text sample.
DEFAULT_MAX_BODY_BYTES = 512 * 1024
#: Bytes of a PDF read, spooled to disk past 1 MiB: enough for most reports' metadata.
DEFAULT_MAX_PDF_BYTES = 32 * 1024 * 1024
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
