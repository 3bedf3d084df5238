"""Fixes: every swap ``fix --write`` made, so ``fix --undo`` can restore it exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .connection import Connection
from .rows import time_text


@dataclass(frozen=True)
class FixRecord:
    """One URL swapped in a document by ``citecheck fix --write``.

    ``start``/``end`` are byte offsets in the document as it was before the fix,
    ``old_text``/``new_text`` the exact bytes, so ``--undo`` can put them back;
    ``part`` is set for Word documents (the relationship changed, as JSON).
    """

    document: str
    line: int
    column: int
    start: int
    end: int
    old_url: str
    new_url: str
    action: str
    old_text: bytes
    new_text: bytes
    part: str | None = None
    batch: int | None = None
    fixed_at: datetime | None = None


class FixQueries:
    """The ``fixes`` table."""

    _conn: Connection

    def record_fix(self, document: str, swaps: Sequence[FixRecord], *, now: datetime) -> int:
        """Record the swaps written to ``document`` as one batch; returns the batch."""
        with self._conn.errors(f"record the fix of {document}"), self._conn.write():
            batch = self._conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM fixes").fetchone()[
                0
            ]
            self._conn.executemany(
                'INSERT INTO fixes (batch, document, fixed_at, line, col, start, "end",'
                " old_url, new_url, action, old_text, new_text, part)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        batch,
                        document,
                        time_text(now),
                        swap.line,
                        swap.column,
                        swap.start,
                        swap.end,
                        swap.old_url,
                        swap.new_url,
                        swap.action,
                        swap.old_text,
                        swap.new_text,
                        swap.part,
                    )
                    for swap in swaps
                ],
            )
        return batch

    def last_fix(self, document: str) -> list[FixRecord]:
        """The swaps of the latest fix of ``document`` not yet undone (empty if none)."""
        with self._conn.errors(f"read the fixes of {document}"):
            rows = self._conn.execute(
                'SELECT document, line, col, start, "end", old_url, new_url, action,'
                " old_text, new_text, part, batch, fixed_at FROM fixes"
                " WHERE batch = (SELECT MAX(batch) FROM fixes"
                "   WHERE document = ? AND undone_at IS NULL)"
                " ORDER BY start, id",
                (document,),
            ).fetchall()
        return [FixRecord(*row[:12], fixed_at=datetime.fromisoformat(row[12])) for row in rows]

    def mark_fix_undone(self, batch: int, *, now: datetime) -> None:
        with self._conn.errors("record an undone fix"), self._conn.write():
            self._conn.execute(
                "UPDATE fixes SET undone_at = ? WHERE batch = ?", (time_text(now), batch)
            )
