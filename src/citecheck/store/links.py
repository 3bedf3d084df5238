"""Links and citations: which URLs are cited where, and each link's current state."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from ..models import STATUS_ORDER, Citation, LinkState
from .connection import Connection, paged, placeholders
from .rows import LINK_COLUMNS, link_key, link_state_of, time_text


@dataclass(frozen=True)
class SyncSummary:
    """What :meth:`Store.sync_citations` changed."""

    citations: int  # citations stored now
    active_links: int  # distinct links they cite
    new_links: int  # links never seen before
    dropped_links: int  # links cited before this sync and no longer
    invalid_urls: int  # citations whose URL is not a checkable URL (kept, keyed by raw text)


class LinkQueries:
    """The ``links`` and ``citations`` tables."""

    _conn: Connection

    def sync_citations(self, citations: Iterable[Citation], *, now: datetime) -> SyncSummary:
        """Make the stored citations exactly ``citations``, in one transaction.

        Each URL gets a link (keyed by its normalised form, or by its stripped text
        when it is not a valid URL, so that it is reported rather than lost). Links
        that are no longer cited keep their row and history but stop being active.
        A citation without a URL (a title only) is stored with no link. Citations
        are stored anew each time, so their ids are not stable across syncs.
        """
        now_text = time_text(now)
        stored = invalid = new_links = 0
        with self._conn.errors("store the citations"), self._conn.write():
            conn = self._conn
            sync = _Sync(conn, now_text)
            chunk: list[tuple[int, Citation]] = []
            for position, citation in enumerate(citations):
                chunk.append((position, citation))
                if len(chunk) == _SYNC_CHUNK:
                    invalid, new_links = sync.store(chunk, invalid, new_links)
                    stored += len(chunk)
                    chunk = []
            if chunk:
                invalid, new_links = sync.store(chunk, invalid, new_links)
                stored += len(chunk)
            dropped = sync.finish()
            (active,) = conn.execute(
                "SELECT COUNT(DISTINCT link_id) FROM citations WHERE link_id IS NOT NULL"
            ).fetchone()
        return SyncSummary(
            citations=stored,
            active_links=active,
            new_links=new_links,
            dropped_links=dropped,
            invalid_urls=invalid,
        )

    def active_links(self, *, drifted_only: bool = False) -> Iterator[LinkState]:
        """Every link cited by at least one citation (with ``drifted_only``, those whose
        page drifted), ordered by id, a page at a time."""
        drifted = " AND drift IS NOT NULL" if drifted_only else ""
        for rows, _ in paged(
            self._conn,
            f"SELECT {LINK_COLUMNS} FROM links WHERE id > ?{drifted} AND EXISTS"
            " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
            " ORDER BY id LIMIT ?",
            (),
            after=0,
            action="read the links",
        ):
            for row in rows:
                yield link_state_of(row)

    def link_state(self, url: str) -> LinkState | None:
        """The stored state of ``url`` (normalised as sync_citations does), if known."""
        with self._conn.errors("read a link"):
            row = self._conn.execute(
                f"SELECT {LINK_COLUMNS} FROM links WHERE url = ?", (link_key(url)[0],)
            ).fetchone()
        return None if row is None else link_state_of(row)

    def cited_titles(self, url: str, *, limit: int = 8) -> list[str]:
        """The titles the documents cite ``url`` with (distinct, at most ``limit``)."""
        with self._conn.errors(f"read the cited titles of {url}"):
            rows = self._conn.execute(
                "SELECT DISTINCT citations.title FROM citations JOIN links"
                " ON citations.link_id = links.id WHERE links.url = ?"
                " AND citations.title IS NOT NULL AND citations.title != '' LIMIT ?",
                (link_key(url)[0], limit),
            ).fetchall()
        return [row[0] for row in rows]

    def status_counts(self) -> dict[str, int]:
        """Active links by status, every status present (0 when none), in report order."""
        counts = {status.value: 0 for status in STATUS_ORDER}
        with self._conn.errors("count the links"):
            for status, count in self._conn.execute(
                "SELECT status, COUNT(*) FROM links WHERE EXISTS"
                " (SELECT 1 FROM citations WHERE citations.link_id = links.id) GROUP BY status"
            ):
                counts[status] = count
        return counts


#: Citations stored per round of statements by sync_citations: which of their links
#: exist looked up in one query, the new ones created together, the citations
#: inserted together.
_SYNC_CHUNK = 500

#: The columns of a citation's row every insert names, and their values: the link's
#: id is found by key inside the insert (the database seeks its index on links.url
#: once a row, cheaper than handing every id back to Python to look up; issue 11).
_CITATION_VALUES = ("(SELECT id FROM links WHERE url = ?)", "?", "?", "?", "?")
_CITATION_COLUMNS = ("link_id", "url_as_cited", "document", "line", "position")
#: Those an insert names only when one of its rows has a value for them.
_OPTIONAL_COLUMNS = ("col", "title", "context", "page", "accessed", "extra")


#: The columns :class:`_Sync` compares, in its rows' order.
_STORED_CITATION = (
    "SELECT id, link_id, url_as_cited, document, line, position, col, title, context, page,"
    " accessed, extra FROM citations WHERE id > ? ORDER BY id LIMIT ?"
)
#: The link id compared for a URL whose link is new: no stored citation has it.
_NEW_LINK = -1


class _Sync:
    """Stores a sync's citations a chunk at a time, writing only from the first one
    that differs from what is stored (issue 11: a nightly reload of an unchanged
    sources.csv wrote every row again).

    The stored citations are read alongside in id order (the order they were
    stored in); while a chunk's rows equal them one for one, nothing is written. At
    the first difference the links cited so far are remembered (to count those no
    longer cited), every stored citation not yet matched is deleted, and from there
    on the rows are inserted. The result is what deleting them all and inserting
    every row gives; only the matched rows keep their ids."""

    def __init__(self, conn: Connection, now_text: str) -> None:
        self._conn = conn
        self._now_text = now_text
        self._matched_id = 0  # the id of the last stored citation matched
        self._writing = False

    def store(
        self, chunk: list[tuple[int, Citation]], invalid: int, new_links: int
    ) -> tuple[int, int]:
        """Store ``chunk`` (position, citation); the running counts of invalid URLs
        and new links."""
        conn = self._conn
        keys: list[str | None] = []
        for _, citation in chunk:
            key = None
            if citation.url is not None and citation.url.strip():
                key, valid = link_key(citation.url)
                invalid += not valid
            keys.append(key)
        wanted = list(dict.fromkeys(key for key in keys if key is not None))
        ids = _stored_keys(conn, wanted)
        missing = [key for key in wanted if key not in ids]
        if missing:
            conn.executemany(
                "INSERT INTO links (url, first_seen_at) VALUES (?, ?)",
                [(key, self._now_text) for key in missing],
            )
            new_links += len(missing)
        rows = [
            (
                key,
                citation.url,
                citation.document,
                citation.line,
                position,
                citation.column,
                citation.title,
                citation.context,
                citation.page,
                citation.accessed,
                json.dumps(dict(citation.extra), ensure_ascii=False) if citation.extra else None,
            )
            for key, (position, citation) in zip(keys, chunk, strict=True)
        ]
        if not self._writing:
            rows = rows[self._matching(rows, ids) :]
        if rows:
            conn.executemany(*_citation_insert(rows))
        return invalid, new_links

    def _matching(self, rows: list[tuple], ids: dict[str, int]) -> int:
        """How many of ``rows`` (from the first) equal the next stored citations;
        at the first that does not, start writing."""
        stored = self._conn.execute(_STORED_CITATION, (self._matched_id, len(rows))).fetchall()
        matched = 0
        for row, old in zip(rows, stored, strict=False):
            key = row[0]
            link_id = None if key is None else ids.get(key, _NEW_LINK)
            if (link_id, *row[1:]) != tuple(old[1:]):
                break
            self._matched_id = old[0]
            matched += 1
        if matched < len(rows):
            self._start_writing()
        return matched

    def _start_writing(self) -> None:
        conn = self._conn
        conn.execute("CREATE TEMP TABLE _previously_active (link_id INTEGER PRIMARY KEY)")
        conn.execute(
            "INSERT INTO _previously_active SELECT DISTINCT link_id FROM citations"
            " WHERE link_id IS NOT NULL"
        )
        conn.execute("DELETE FROM citations WHERE id > ?", (self._matched_id,))
        self._writing = True

    def finish(self) -> int:
        """After the last chunk: the number of links cited before and no longer."""
        conn = self._conn
        if not self._writing:
            (more,) = conn.execute(
                "SELECT COUNT(*) FROM citations WHERE id > ?", (self._matched_id,)
            ).fetchone()
            if not more:
                return 0  # every citation as it was: every link cited as before
            self._start_writing()
        (dropped,) = conn.execute(
            "SELECT COUNT(*) FROM _previously_active WHERE link_id NOT IN"
            " (SELECT link_id FROM citations WHERE link_id IS NOT NULL)"
        ).fetchone()
        conn.execute("DROP TABLE _previously_active")
        return dropped


def _citation_insert(rows: list[tuple]) -> tuple[str, list[tuple]]:
    """The insert of ``rows`` (:data:`_CITATION_COLUMNS` then
    :data:`_OPTIONAL_COLUMNS`) and its rows, without the optional columns no row has
    a value for: they are NULL either way, and binding a NULL costs as much as a
    value (a sources.csv of URLs and places has six such columns)."""
    first = len(_CITATION_COLUMNS)
    present = [
        at
        for at in range(first, first + len(_OPTIONAL_COLUMNS))
        if list(map(itemgetter(at), rows)).count(None) < len(rows)
    ]
    columns = [*_CITATION_COLUMNS, *(_OPTIONAL_COLUMNS[at - first] for at in present)]
    values = [*_CITATION_VALUES, *("?" for _ in present)]
    sql = f"INSERT INTO citations ({', '.join(columns)}) VALUES ({', '.join(values)})"
    if len(present) < len(_OPTIONAL_COLUMNS):
        kept = itemgetter(*range(first), *present)
        rows = [kept(row) for row in rows]
    return sql, rows


def _stored_keys(conn: Connection, keys: list[str]) -> dict[str, int]:
    """The link ids of those of ``keys`` that have a link already."""
    if not keys:
        return {}
    rows = conn.execute(
        f"SELECT url, id FROM links WHERE url IN ({placeholders(keys)})", tuple(keys)
    ).fetchall()
    return {url: link_id for (url, link_id) in rows}


def ensure_link(conn: Connection, key: str, now_text: str) -> tuple[int, bool]:
    """The id of the link keyed ``key``, creating it; and whether it was created."""
    row = conn.execute("SELECT id FROM links WHERE url = ?", (key,)).fetchone()
    if row is not None:
        return row[0], False
    (link_id,) = conn.execute(
        "INSERT INTO links (url, first_seen_at) VALUES (?, ?) RETURNING id", (key, now_text)
    ).fetchall()[0]
    return link_id, True
