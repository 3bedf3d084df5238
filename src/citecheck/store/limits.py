"""Rate limits shared by every worker through the database (``shared_limits``).

The archive's limits are per account and address, not per process, so workers on
one database take their request slots from one row per limit
(archive/shared.py's SharedRateLimiter). Times are UTC epoch seconds, the clock
machines share; they are parameters, so tests move the clock instead of sleeping.

A reservation is one conditional upsert (``INSERT … ON CONFLICT (name) DO UPDATE
… RETURNING next_at``): atomic on both backends, as the leases' claim is
(store/leases.py). Slots go in the order the reservations reach the database, the
same as archive/ratelimit.py's RateLimiter gives them in call order in one process.
"""

from __future__ import annotations

from .connection import Connection

#: ``max(a, b)`` in SQL both backends run (SQLite's MAX and PostgreSQL's GREATEST differ).
_LATER_OF_NEXT_AND_BLOCKED = (
    "CASE WHEN shared_limits.next_at > shared_limits.blocked_until"
    " THEN shared_limits.next_at ELSE shared_limits.blocked_until END"
)


class LimitQueries:
    """The ``shared_limits`` table."""

    _conn: Connection

    def reserve_slot(self, name: str, *, interval_s: float, now: float) -> float:
        """Take the next free slot of the limit ``name`` (the later of ``now``, the slot
        after the last one taken and the end of any hold-off) and keep the following
        ``interval_s`` seconds for it. Returns the seconds from ``now`` to the slot."""
        later = _LATER_OF_NEXT_AND_BLOCKED
        with self._conn.errors(f"reserve a slot of the rate limit {name}"), self._conn.write():
            row = self._conn.execute(
                "INSERT INTO shared_limits (name, next_at, blocked_until) VALUES (?, ?, 0)"
                " ON CONFLICT (name) DO UPDATE SET next_at ="
                f" (CASE WHEN {later} > ? THEN {later} ELSE ? END) + ?"
                " RETURNING next_at",
                (name, now + interval_s, now, now, interval_s),
            ).fetchone()
        return max(0.0, float(row[0]) - interval_s - now)

    def hold_off(self, name: str, *, until: float) -> None:
        """Take no slot of the limit ``name`` before ``until`` (the archive said 429)."""
        with self._conn.errors(f"hold off the rate limit {name}"), self._conn.write():
            self._conn.execute(
                "INSERT INTO shared_limits (name, next_at, blocked_until) VALUES (?, 0, ?)"
                " ON CONFLICT (name) DO UPDATE SET blocked_until = CASE"
                " WHEN shared_limits.blocked_until > excluded.blocked_until"
                " THEN shared_limits.blocked_until ELSE excluded.blocked_until END",
                (name, until),
            )

    def limit_state(self, name: str) -> tuple[float, float]:
        """The limit ``name``'s next free slot and the end of its hold-off (0: none)."""
        with self._conn.errors(f"read the rate limit {name}"):
            row = self._conn.execute(
                "SELECT next_at, blocked_until FROM shared_limits WHERE name = ?", (name,)
            ).fetchone()
        return (0.0, 0.0) if row is None else (float(row[0]), float(row[1]))
