"""citecheck's exceptions, one tree so callers can catch at the depth they need.

    CitecheckError
    ├── InputError          bad user input: a malformed sources.csv row, an unreadable
    │   │                   document, an invalid option value or config key
    │   └── InvalidURLError        the text is not a URL citecheck can check
    ├── StoreError          archive.db cannot be used
    │   ├── CorruptDatabaseError   not SQLite, damaged, or another program's file
    │   ├── SchemaTooNewError      written by a newer citecheck
    │   └── DatabaseBusyError      another citecheck holds the database
    ├── NetworkOfflineError the network looks down: nothing was judged
    ├── ArchiveError        the Wayback Machine misbehaved
    │   ├── RateLimitedError       it said 429 (``retry_after`` seconds, or None)
    │   ├── ArchiveUnavailableError  no HTTP answer (``submitted``: may it have arrived)
    │   ├── ArchiveServerError     it said 5xx: the outcome is unknown (``status_code``)
    │   └── ArchiveUnreachableError  requests kept failing at connection level: run stopped
    ├── FixError            a document cannot be rewritten safely
    └── OutputError         a report or file cannot be written (missing folder, full disk)

The CLI maps these to exit codes in one place (cli/options.py): InputError, StoreError,
FixError and OutputError are exit 2, NetworkOfflineError is exit 3; any other exception
that escapes a command is a bug in citecheck, exit 4 (its traceback in the error log,
incidents.py).
"""

from __future__ import annotations


class CitecheckError(Exception):
    """Base class of every error citecheck raises on purpose."""


class InputError(CitecheckError):
    """The user gave something citecheck cannot use; the message says what and where."""


class InvalidURLError(InputError):
    """The text is not a URL citecheck can check."""


class StoreError(CitecheckError):
    """archive.db cannot be opened or written."""


class CorruptDatabaseError(StoreError):
    """The file is not a citecheck database (or is damaged). It is left untouched."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer citecheck than this one."""


class DatabaseBusyError(StoreError):
    """Another citecheck process is using the database."""


class NetworkOfflineError(CitecheckError):
    """Every host failed at connection level and the reachability probe failed too."""


class ArchiveError(CitecheckError):
    """A Wayback Machine request failed in a way the caller should know about."""


class RateLimitedError(ArchiveError):
    """The archive answered 429. ``retry_after`` is its Retry-After in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ArchiveUnavailableError(ArchiveError):
    """No HTTP answer at all: DNS, connect, TLS or a timeout.

    ``submitted`` is False when the request certainly never reached the archive
    (the connection was not made), so a capture request can be retried freely.
    """

    def __init__(self, message: str, *, submitted: bool) -> None:
        super().__init__(message)
        self.submitted = submitted


class ArchiveServerError(ArchiveError):
    """The archive answered 5xx (or Cloudflare's 52x): the outcome is unknown."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ArchiveUnreachableError(ArchiveError):
    """Requests to the archive kept failing at connection level; the run stopped."""


class FixError(CitecheckError):
    """A document cannot be rewritten without risking its content."""


class OutputError(CitecheckError):
    """An output cannot be written: its folder is missing, the disk is full, ..."""
