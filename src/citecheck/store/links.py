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
            conn.execute("CREATE TEMP TABLE _previously_active (link_id INTEGER PRIMARY KEY)")
            conn.execute(
                "INSERT INTO _previously_active SELECT DISTINCT link_id FROM citations"
                " WHERE link_id IS NOT NULL"
            )
            conn.execute("DELETE FROM citations")
            chunk: list[tuple[int, Citation]] = []
            for position, citation in enumerate(citations):
                chunk.append((position, citation))
                if len(chunk) == _SYNC_CHUNK:
                    invalid, new_links = _store_citations(conn, chunk, now_text, invalid, new_links)
                    stored += len(chunk)
                    chunk = []
            if chunk:
                invalid, new_links = _store_citations(conn, chunk, now_text, invalid, new_links)
                stored += len(chunk)
            (dropped,) = conn.execute(
                "SELECT COUNT(*) FROM _previously_active WHERE link_id NOT IN"
                " (SELECT link_id FROM citations WHERE link_id IS NOT NULL)"
            ).fetchone()
            conn.execute("DROP TABLE _previously_active")
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


def _store_citations(
    conn: Connection,
    chunk: list[tuple[int, Citation]],
    now_text: str,
    invalid: int,
    new_links: int,
) -> tuple[int, int]:
    """Insert ``chunk`` (position, citation), creating their links in the order they
    are first cited; the running counts of invalid URLs and new links."""
    keys: list[str | None] = []
    for _, citation in chunk:
        key = None
        if citation.url is not None and citation.url.strip():
            key, valid = link_key(citation.url)
            invalid += not valid
        keys.append(key)
    wanted = list(dict.fromkeys(key for key in keys if key is not None))
    stored = _stored_keys(conn, wanted)
    missing = [key for key in wanted if key not in stored]
    if missing:
        conn.executemany(
            "INSERT INTO links (url, first_seen_at) VALUES (?, ?)",
            [(key, now_text) for key in missing],
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
    conn.executemany(*_citation_insert(rows))
    return invalid, new_links


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


def _stored_keys(conn: Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` have a link already."""
    if not keys:
        return set()
    rows = conn.execute(
        f"SELECT url FROM links WHERE url IN ({placeholders(keys)})", tuple(keys)
    ).fetchall()
    return {url for (url,) in rows}


def ensure_link(conn: Connection, key: str, now_text: str) -> tuple[int, bool]:
    """The id of the link keyed ``key``, creating it; and whether it was created."""
    row = conn.execute("SELECT id FROM links WHERE url = ?", (key,)).fetchone()
    if row is not None:
        return row[0], False
    (link_id,) = conn.execute(
        "INSERT INTO links (url, first_seen_at) VALUES (?, ?) RETURNING id", (key, now_text)
    ).fetchall()[0]
    return link_id, True
