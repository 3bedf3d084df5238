"""Host leases: which worker checks which host now (``run --worker``, workers.py).

A worker checks a host only while it holds the host's lease, so one host is
checked by one worker at a time and the per-host limit holds across processes
and machines. A lease ends at ``expires_at``: its holder renews it while it works
and releases it when done; a holder killed with ``kill -9`` (or a machine lost)
stops renewing, and once the lease has expired another worker may claim the host.

Time is a parameter (``now``), so tests move the clock instead of sleeping.

The claim is one conditional upsert (``INSERT … ON CONFLICT (host) DO UPDATE …
WHERE the lease expired or is already ours … RETURNING host``): atomic on both
backends. On PostgreSQL the conflicting row is locked and its condition
re-evaluated on the newest version, so of two workers racing for an expired lease
exactly one gets a row back; on SQLite the write transaction (``BEGIN
IMMEDIATE``) serialises the claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .connection import Connection, placeholders
from .rows import time_text

#: The prefix of the lease a worker's run holds on itself while it lives (its key
#: ``run:<id>``): a run of a worker whose run lease lapsed is over, wherever it ran.
RUN_LEASE_PREFIX = "run:"


#: Hosts looked up in one query at most (well under SQLite's 32,766 parameters).
_HOSTS_PER_QUERY = 500


def run_lease_key(run_id: int) -> str:
    """The key of a worker run's lease on itself."""
    return f"{RUN_LEASE_PREFIX}{run_id}"


class LeaseQueries:
    """The ``host_leases`` table."""

    _conn: Connection

    def claim_host(
        self, host: str, *, holder: str, run_id: int | None, now: datetime, lease: timedelta
    ) -> bool:
        """Take the lease on ``host`` for ``lease`` from ``now`` if nobody else holds a
        live one (a lease already ``holder``'s is renewed). True when it is ours."""
        with self._conn.errors(f"claim the host {host}"), self._conn.write():
            rows = self._conn.execute(
                "INSERT INTO host_leases (host, holder, run_id, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (host) DO UPDATE SET holder = excluded.holder,"
                " run_id = excluded.run_id, expires_at = excluded.expires_at"
                " WHERE host_leases.expires_at <= ? OR host_leases.holder = ?"
                " RETURNING host",
                (host, holder, run_id, time_text(now + lease), time_text(now), holder),
            ).fetchall()
        return bool(rows)

    def renew_hosts(
        self, hosts: Iterable[str], *, holder: str, now: datetime, lease: timedelta
    ) -> list[str]:
        """Extend ``holder``'s leases on ``hosts`` to ``now + lease``; returns the hosts
        whose lease was no longer ``holder``'s (taken over after it expired)."""
        lost = []
        with self._conn.errors("renew the host leases"), self._conn.write():
            for host in hosts:
                cursor = self._conn.execute(
                    "UPDATE host_leases SET expires_at = ? WHERE host = ? AND holder = ?",
                    (time_text(now + lease), host, holder),
                )
                if cursor.rowcount != 1:
                    lost.append(host)
        return lost

    def release_host(self, host: str, *, holder: str) -> None:
        """End ``holder``'s lease on ``host`` (nothing if it is not, or no longer, theirs)."""
        with self._conn.errors(f"release the host {host}"), self._conn.write():
            self._conn.execute(
                "DELETE FROM host_leases WHERE host = ? AND holder = ?", (host, holder)
            )

    def host_lease(self, host: str) -> tuple[str, datetime] | None:
        """Who holds the lease on ``host`` and until when (expired or not), if anyone."""
        with self._conn.errors(f"read the lease of {host}"):
            row = self._conn.execute(
                "SELECT holder, expires_at FROM host_leases WHERE host = ?", (host,)
            ).fetchone()
        return None if row is None else (row[0], datetime.fromisoformat(row[1]))

    def renew_held(self, prefix: str, *, holder: str, now: datetime, lease: timedelta) -> int:
        """Extend every lease of ``holder`` whose key starts with ``prefix`` to ``now +
        lease`` in one statement (archive/shared.py's claims on links); how many."""
        with self._conn.errors("renew the leases"), self._conn.write():
            cursor = self._conn.execute(
                "UPDATE host_leases SET expires_at = ? WHERE holder = ? AND host LIKE ?",
                (time_text(now + lease), holder, prefix + "%"),
            )
        return cursor.rowcount

    def release_held(self, prefix: str, *, holder: str) -> None:
        """End every lease of ``holder`` whose key starts with ``prefix``."""
        with self._conn.errors("release the leases"), self._conn.write():
            self._conn.execute(
                "DELETE FROM host_leases WHERE holder = ? AND host LIKE ?", (holder, prefix + "%")
            )

    def live_run_leases(self, run_ids: Iterable[int], *, now: datetime) -> set[int]:
        """The runs among ``run_ids`` whose lease on themselves is live at ``now``."""
        keys = [run_lease_key(run_id) for run_id in run_ids]
        if not keys:
            return set()
        with self._conn.errors("read the runs' leases"):
            rows = self._conn.execute(
                f"SELECT host FROM host_leases WHERE host IN ({placeholders(keys)})"
                " AND expires_at > ?",
                (*keys, time_text(now)),
            ).fetchall()
        return {int(key[len(RUN_LEASE_PREFIX) :]) for (key,) in rows}

    def hosts_held_by_others(self, hosts: Sequence[str], *, holder: str, now: datetime) -> set[str]:
        """The hosts among ``hosts`` on which someone other than ``holder`` holds a live
        lease at ``now``: one query (a worker looks before claiming each host, so that
        a pass over hosts others hold costs one round trip, not one a host)."""
        held: set[str] = set()
        for start in range(0, len(hosts), _HOSTS_PER_QUERY):
            chunk = hosts[start : start + _HOSTS_PER_QUERY]
            with self._conn.errors("read the host leases"):
                rows = self._conn.execute(
                    f"SELECT host FROM host_leases WHERE host IN ({placeholders(chunk)})"
                    " AND expires_at > ? AND holder != ?",
                    (*chunk, time_text(now), holder),
                ).fetchall()
            held.update(host for (host,) in rows)
        return held
