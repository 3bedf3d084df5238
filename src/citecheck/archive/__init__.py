"""Wayback: the right archived copy of every cited link, and new captures of live pages.

Two halves:

* **Pure policy** (plain functions over plain values, tested in
  tests/test_archive_policy.py): which copy a link wants (:func:`copy_wanted`),
  whether a snapshot is acceptable and which one to offer (:func:`choose_snapshot`),
  whether the cached look-up still stands (:func:`lookup_due`), whether to ask for a
  new capture (:func:`should_capture`). Time is always a parameter.
* **I/O**: :class:`WaybackClient` talks to the CDX API, Save Page Now (SPN2 with
  keys, the anonymous ``GET /save/URL`` without) and SPN2 job status, each endpoint
  under its own :class:`RateLimiter`; :func:`archive_links` runs the job over a
  store.

    policy.py     the choice rule (pure)        ratelimit.py  the endpoints' rate limits
    wayback.py    the client                    answers.py    its answers, validated
    memento.py    other archives' answers       memento_client.py  their TimeMaps, TimeGates
    archives.py   the archives asked            elsewhere.py  a copy from them, verified
    run.py        one run over a store          summary.py    what a run did
    job.py        the work on each link of a run
    pages.py      the cited pages of the chosen copies of PDFs (pages/, issue 15)

Why not waybackpy: its last release is from March 2022; it is synchronous
(``requests``), sets no timeouts, hard-codes its endpoints, has no SPN2,
authentication or job polling, misreads 429 pages, and its traffic cannot be mocked
with ``respx``. The APIs are small; they are called here directly through the same
``httpx.AsyncClient`` as the checker (:attr:`Fetcher.client`).

The rule that matters most: a broken link is only ever offered a capture that
answered 200 and was taken *before* the page died. The CDX ``filter=statuscode:200``
already drops 404 captures, but every row is checked again here (its status, its
date against the first failure, its media type against the page's), because the
offer is what an editor swaps into a published text.

Failures never lose work and never mark anything (job.py says how).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..errors import ArchiveServerError, ArchiveUnavailableError, ArchiveUnreachableError
    from .elsewhere import Elsewhere
    from .memento_client import MementoClient
    from .policy import (
        CopyWanted,
        cdx_timestamp,
        choose_snapshot,
        copy_wanted,
        judge_snapshot,
        lookup_due,
        parse_accessed,
        replay_url,
        should_capture,
    )
    from .ratelimit import RateLimiter
    from .run import archive_links
    from .summary import ArchiveProgress, ArchiveSummary
    from .wayback import JobStatus, WaybackClient, capture_timestamp

# Each name is imported from its module on first use: ``check`` reads the [archives]
# table of citecheck.toml (archives.py) but needs none of the clients, and importing
# them all (with httpx) was a tenth of a check's start-up (issue 11).
_HOMES = {
    "ArchiveServerError": "..errors",
    "ArchiveUnavailableError": "..errors",
    "ArchiveUnreachableError": "..errors",
    "Elsewhere": ".elsewhere",
    "archive_links": ".run",
    "MementoClient": ".memento_client",
    "CopyWanted": ".policy",
    "cdx_timestamp": ".policy",
    "choose_snapshot": ".policy",
    "copy_wanted": ".policy",
    "judge_snapshot": ".policy",
    "lookup_due": ".policy",
    "parse_accessed": ".policy",
    "replay_url": ".policy",
    "should_capture": ".policy",
    "RateLimiter": ".ratelimit",
    "ArchiveProgress": ".summary",
    "ArchiveSummary": ".summary",
    "JobStatus": ".wayback",
    "WaybackClient": ".wayback",
    "capture_timestamp": ".wayback",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ArchiveProgress",
    "ArchiveServerError",
    "ArchiveSummary",
    "ArchiveUnavailableError",
    "ArchiveUnreachableError",
    "CopyWanted",
    "Elsewhere",
    "JobStatus",
    "MementoClient",
    "RateLimiter",
    "WaybackClient",
    "archive_links",
    "capture_timestamp",
    "cdx_timestamp",
    "choose_snapshot",
    "copy_wanted",
    "judge_snapshot",
    "lookup_due",
    "parse_accessed",
    "replay_url",
    "should_capture",
]
