"""The last-resort guard of one unit of work, and the log it writes to.

A unit is one link's check, one archive look-up, one capture. Failures that come
from outside (a bad URL, an undecodable page, a malformed header, the archive's
JSON) are classified where that input enters and recorded on the unit as what
they are (``invalid_url``, ``protocol_error``, ...). What is left is a bug in
citecheck: it must neither stop the night (the other 9,999 links still get
checked and the reports written) nor go unseen. So each unit's guard records it
on the unit as ``internal_error``, with one line of detail, and appends the
traceback to the error log, which :func:`error_log_path` puts beside the database
(``archive.db`` → ``archive-errors.log``). The log is bounded: past
:data:`MAX_LOG_BYTES` it is rotated once (to ``…-errors.log.1``).
"""

from __future__ import annotations

import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["MAX_LOG_BYTES", "IncidentLog", "error_log_path"]

#: The error log's size before it is rotated (the old one kept as ``.1``).
MAX_LOG_BYTES = 5 * 1024 * 1024
#: Characters of an exception's message kept in a unit's detail.
_MAX_MESSAGE_CHARS = 300


def error_log_path(db_path: Path | object) -> Path:
    """Where the tracebacks of a database's runs go: ``<db stem>-errors.log`` beside a
    SQLite file; ``citecheck-errors.log`` in the working folder for a database on a
    server (PostgreSQL)."""
    if not isinstance(db_path, Path):
        return Path("citecheck-errors.log")
    return db_path.with_name(f"{db_path.stem}-errors.log")


class IncidentLog:
    """Appends unexpected failures, with their tracebacks, to ``path`` (or nowhere)."""

    def __init__(self, path: Path | None, *, max_bytes: int = MAX_LOG_BYTES) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self.count = 0

    def note(self, text: str) -> None:
        """Log one line that is not an error of citecheck's (a value quarantined)."""
        self._append(f"--- {_stamp()} {text[:1000]}\n")

    def record(self, unit: str, exc: BaseException) -> str:
        """Log ``exc`` (raised while doing ``unit``); returns the detail for the unit."""
        self.count += 1
        message = str(exc) or type(exc).__name__
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[: _MAX_MESSAGE_CHARS - 3] + "..."
        detail = f"citecheck failed: {type(exc).__name__}: {message}"
        if self.path is None:
            return detail
        text = "".join(traceback.format_exception(exc))
        error = self._append(f"--- {_stamp()} {unit[:500]}\n{text}\n")
        if error is not None:
            return f"{detail} (the traceback could not be written to {self.path}: {error})"
        return f"{detail} (traceback in {self.path})"

    def _append(self, entry: str) -> OSError | None:
        if self.path is None:
            return None
        try:
            with self._lock:
                if self.path.exists() and self.path.stat().st_size > self._max_bytes:
                    self.path.replace(self.path.with_name(self.path.name + ".1"))
                with open(self.path, "a", encoding="utf-8", errors="replace") as log:
                    log.write(entry)
        except OSError as error:
            return error
        return None


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
