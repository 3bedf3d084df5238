"""Reads and writes by the batch, for a check run and for workers (workers.py).

On PostgreSQL every statement is a round trip to the server, and a worker's event
loop waits for each: reading a link's state, then its drift baseline, then
recording its check in seven statements cost about ten round trips a link
(BENCHMARKS.md); on SQLite, a query a link cost a plain check a tenth of its CPU.
Here the links to check are read with their baselines, and whether any citation
asks about their pages, in one query per chunk (a host's due links for a worker,
a page of the active links for a run), and the checks are recorded a batch per
transaction, each statement once for the whole batch (``executemany``, which
psycopg sends in pipeline mode).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..models import LinkState, PageSnapshot
from .connection import Connection, paged, placeholders
from .links import ensure_link
from .rows import LINK_COLUMNS, LINK_WIDTH, link_state_of, parse_time
from .runs import INSERT_CHECK, UPDATE_BASELINE, UPDATE_LINK_STATE

#: URLs read in one query at most (well under SQLite's 32,766 parameters).
READ_CHUNK = 500


#: What a link is read with: its drift baseline, whether a citation names a page or a
#: claim (store.page_question), and whether one gives it a title (store.cited_titles).
_READ_COLUMNS = (
    f"{LINK_COLUMNS}, baseline_title, baseline_fingerprint, baseline_at,"
    " EXISTS (SELECT 1 FROM citations WHERE citations.link_id = links.id"
    " AND (page IS NOT NULL OR context IS NOT NULL)),"
    " EXISTS (SELECT 1 FROM citations WHERE citations.link_id = links.id"
    " AND citations.title IS NOT NULL AND citations.title != '')"
)


@dataclass(frozen=True)
class LinkRead:
    """A link as a run or a worker reads it before checking it."""

    state: LinkState
    #: The drift baseline's columns (title, fingerprint, when), None if never seen live.
    baseline_row: tuple[str | None, str | None, str] | None
    cites_pages: bool  # a citation names a page or a claim (store.page_question)
    cites_titles: bool = True  # a citation gives the page a title (store.cited_titles)

    @property
    def baseline(self) -> PageSnapshot | None:
        """What the page was when first seen live. Built when asked, by the recorder
        as it judges the link's result: a row it cannot read is that link's
        internal_error, not the end of the read of every link."""
        if self.baseline_row is None:
            return None
        title, fingerprint, seen_at = self.baseline_row
        return PageSnapshot(title, fingerprint, parse_time(seen_at))


@dataclass(frozen=True)
class PendingCheck:
    """One judged check waiting for its batch: record_check's rows, built when it was
    judged, the link's id left out (None) until the batch is written."""

    url: str  # the link's key (LinkState.url)
    checked_at: str
    check: tuple  # INSERT_CHECK's parameters, link id first
    state: tuple  # UPDATE_LINK_STATE's parameters, link id last
    baseline: tuple | None  # UPDATE_BASELINE's parameters, link id last


class BatchQueries:
    """Links read a chunk at a time, checks recorded a batch at a time."""

    _conn: Connection

    def read_links(self, keys: Sequence[str]) -> dict[str, LinkRead]:
        """The stored links among ``keys`` (links.url keys), read in one snapshot per
        :data:`READ_CHUNK` keys."""
        found: dict[str, LinkRead] = {}
        for start in range(0, len(keys), READ_CHUNK):
            chunk = keys[start : start + READ_CHUNK]
            with self._conn.errors("read the links"), self._conn.read():
                rows = self._conn.execute(
                    f"SELECT {_READ_COLUMNS} FROM links WHERE url IN ({placeholders(chunk)})",
                    tuple(chunk),
                ).fetchall()
            for row in rows:
                found[row[1]] = _link_read(row)
        return found

    def active_link_reads(self) -> Iterator[LinkRead]:
        """Every link cited by at least one citation, as :meth:`read_links` reads it,
        ordered by id, a page at a time (``active_links`` with what a check needs)."""
        for rows, _ in paged(
            self._conn,
            f"SELECT {_READ_COLUMNS} FROM links WHERE id > ? AND EXISTS"
            " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
            " ORDER BY id LIMIT ?",
            (),
            after=0,
            action="read the links",
        ):
            for row in rows:
                yield _link_read(row)

    def record_checks(self, run_id: int, checks: Sequence[PendingCheck]) -> None:
        """Record ``checks`` as :meth:`record_check` records each, all in one
        transaction (committed before returning): the history rows, the links'
        states and baselines, the run's count. A link never synced is created."""
        if not checks:
            return
        with self._conn.errors(f"record {len(checks)} checks"), self._conn.write():
            ids = self._link_ids([check.url for check in checks])
            for check in checks:
                if check.url not in ids:
                    ids[check.url] = ensure_link(self._conn, check.url, check.checked_at)[0]
            self._conn.executemany(
                INSERT_CHECK, [(ids[check.url], *check.check[1:]) for check in checks]
            )
            self._conn.executemany(
                UPDATE_LINK_STATE, [(*check.state[:-1], ids[check.url]) for check in checks]
            )
            baselines = [
                (*check.baseline[:-1], ids[check.url])
                for check in checks
                if check.baseline is not None
            ]
            if baselines:
                self._conn.executemany(UPDATE_BASELINE, baselines)
            self._conn.execute(
                "UPDATE runs SET links_checked = links_checked + ? WHERE id = ?",
                (len(checks), run_id),
            )

    def _link_ids(self, keys: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), READ_CHUNK):
            chunk = unique[start : start + READ_CHUNK]
            rows = self._conn.execute(
                f"SELECT url, id FROM links WHERE url IN ({placeholders(chunk)})", tuple(chunk)
            ).fetchall()
            ids.update((url, link_id) for url, link_id in rows)
        return ids


def _link_read(row: tuple) -> LinkRead:
    title, fingerprint, seen_at, cites_pages, cites_titles = row[LINK_WIDTH:]
    baseline = None if seen_at is None else (title, fingerprint, seen_at)
    return LinkRead(link_state_of(row), baseline, bool(cites_pages), bool(cites_titles))
