"""What the archives hold of a cited link: snapshots, look-ups, capture requests.

The archive stage's values (archive/, the store's wayback tables, fix's choice of a
copy), kept out of models.py because a check builds none of them: a frozen
dataclass costs about 4 million instructions to create, and a check's start is
mostly imports (issue 11, BENCHMARKS.md's thirteenth step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .models import WAYBACK


@dataclass(frozen=True)
class Snapshot:
    """One Wayback capture of a URL, as the CDX index lists it.

    ``timestamp`` is the 14-digit CDX timestamp (``YYYYMMDDhhmmss``, UTC), which is
    also how reports spell ``archive_timestamp``. ``status_code`` is None when the
    index has no status (``-``, e.g. for revisits). ``found_by`` says how citecheck
    found it: ``cdx-before``, ``cdx-after``, ``cdx-latest`` or ``save``.
    """

    timestamp: str
    original: str
    status_code: int | None = None
    mimetype: str | None = None
    digest: str | None = None
    found_by: str = "cdx-before"
    #: ``wayback``, or the key of the Memento archive that listed it (archive/archives.py).
    archive: str = WAYBACK
    #: Where a reader sees it, for a memento of another archive (Wayback's is derived).
    memento_url: str | None = None

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


#: pending: an SPN2 job to poll; verified: a capture confirmed by the CDX index;
#: unverified: the archive said done but the index does not show a good copy (yet);
#: unknown: 5xx or timeout, to be confirmed by a later look-up; failed: the archive
#: refused; rate_limited: given up after repeated 429s in a run.
CAPTURE_STATES = frozenset(
    {"pending", "verified", "unverified", "unknown", "failed", "rate_limited"}
)


@dataclass(frozen=True)
class ArchiveLookup:
    """A link's cached CDX answer: which copy was chosen, against which date, when.

    ``anchor`` is the date the copy was chosen before (None: the newest copy was
    wanted). ``timestamp`` is None when no acceptable copy was found.
    """

    looked_up_at: datetime
    anchor: datetime | None
    timestamp: str | None
    archive_url: str | None
    found_by: str | None
    #: The archive holding the chosen copy (``wayback`` or a Memento archive's key).
    archive: str | None = None
    #: How many archives listed a copy the rule could offer (None: not counted).
    copies: int | None = None
    #: Archives that were skipped for this look-up, and why.
    note: str | None = None


@dataclass(frozen=True)
class CaptureRecord:
    """One capture request (Save Page Now) and what became of it.

    ``state`` is one of :data:`CAPTURE_STATES`.
    """

    id: int
    link_id: int
    url: str
    requested_at: datetime
    mode: str  # "spn2" or "anonymous"
    state: str
    job_id: str | None = None
    timestamp: str | None = None
    detail: str | None = None
