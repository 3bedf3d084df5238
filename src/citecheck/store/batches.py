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

What a recorded check costs (issue 11): its history row, and one rewrite of its
link's row for the new state and, when the page was first seen live, its drift
baseline (one statement for both: two rewrites of the row cost the first check of
a link twice the writes). The link's id is the one read with it (LinkRead.link_id),
so a run's batch asks the store for none; only a check of a link not read that way
(a worker's test, a link never synced) is looked up or created by its URL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..frozen import builder
from ..models import LinkState, PageSnapshot
from .connection import Connection, paged, placeholders
from .links import ensure_link
from .rows import LINK_COLUMNS, LINK_WIDTH, link_state_of, parse_time
from .runs import INSERT_CHECK, UPDATE_LINK_STATE, UPDATE_LINK_STATE_AND_BASELINE

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
    link_id: int | None = None  # links.id: the link's check is recorded under it

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
    judged. The link's id in them is ``link_id`` when it was known then (read with the
    link); otherwise None, and the batch looks it up by ``url`` when it is written."""

    url: str  # the link's key (LinkState.url)
    checked_at: str
    check: tuple  # INSERT_CHECK's parameters, link id first
    state: tuple  # UPDATE_LINK_STATE's parameters, link id last
    baseline: tuple | None  # UPDATE_BASELINE's parameters, link id last
    link_id: int | None = None


#: A link read and a check waiting for its batch, built in one step (frozen.py):
#: one of each a link.
_link_read = builder(LinkRead)
pending_check = builder(PendingCheck)


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
                found[row[1]] = _link_read_of(row)
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
                yield _link_read_of(row)

    def record_checks(self, run_id: int, checks: Sequence[PendingCheck]) -> None:
        """Record ``checks`` as :meth:`record_check` records each, all in one
        transaction (committed before returning): the history rows, the links'
        states and baselines, the run's count. A link never synced is created."""
        if not checks:
            return
        with self._conn.errors(f"record {len(checks)} checks"), self._conn.write():
            link_ids = self._link_ids_of(checks)
            self._conn.executemany(
                INSERT_CHECK,
                [
                    check.check if check.link_id is not None else (link_id, *check.check[1:])
                    for check, link_id in zip(checks, link_ids, strict=True)
                ],
            )
            if any(check.baseline is not None for check in checks):
                statement = UPDATE_LINK_STATE_AND_BASELINE
                states = [
                    (*check.state[:-1], *_baseline_parameters(check.baseline), link_id)
                    for check, link_id in zip(checks, link_ids, strict=True)
                ]
            else:
                statement = UPDATE_LINK_STATE
                states = [
                    check.state if check.link_id is not None else (*check.state[:-1], link_id)
                    for check, link_id in zip(checks, link_ids, strict=True)
                ]
            self._conn.executemany(statement, states)
            self._conn.execute(
                "UPDATE runs SET links_checked = links_checked + ? WHERE id = ?",
                (len(checks), run_id),
            )

    def _link_ids_of(self, checks: Sequence[PendingCheck]) -> list[int]:
        """Each check's link id: the one it carries, else the stored link's (one query
        per chunk of URLs), else a new link's."""
        ids: dict[str, int] = {}
        unknown = list(dict.fromkeys(check.url for check in checks if check.link_id is None))
        for start in range(0, len(unknown), READ_CHUNK):
            chunk = unknown[start : start + READ_CHUNK]
            rows = self._conn.execute(
                f"SELECT url, id FROM links WHERE url IN ({placeholders(chunk)})", tuple(chunk)
            ).fetchall()
            ids.update((url, link_id) for url, link_id in rows)
        link_ids = []
        for check in checks:
            if check.link_id is not None:
                link_ids.append(check.link_id)
                continue
            if check.url not in ids:
                ids[check.url] = ensure_link(self._conn, check.url, check.checked_at)[0]
            link_ids.append(ids[check.url])
        return link_ids


_NO_BASELINE = (0, None, 0, None, None)


def _baseline_parameters(baseline: tuple | None) -> tuple:
    """UPDATE_LINK_STATE_AND_BASELINE's baseline parameters: a flag before each of the
    title and fingerprint (either may be None in a baseline), then its time."""
    if baseline is None:
        return _NO_BASELINE
    title, fingerprint, seen_at, _ = baseline
    return (1, title, 1, fingerprint, seen_at)


def _link_read_of(row: tuple) -> LinkRead:
    title, fingerprint, seen_at, cites_pages, cites_titles = row[LINK_WIDTH:]
    baseline = None if seen_at is None else (title, fingerprint, seen_at)
    return _link_read(link_state_of(row), baseline, bool(cites_pages), bool(cites_titles), row[0])
