"""Fixes: every swap ``fix --write`` made, so ``fix --undo`` can restore it exactly.

A fix is recorded before the document is renamed into place, as *pending*, with
the document's SHA-256 before and after; it is marked written once the rename is
done. A process killed in between leaves a pending fix, which the next ``fix`` of
that document finishes or rolls back by looking at the document (see
``citecheck.fix.document``): a fixed document is never left without its record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .connection import Connection
from .rows import time_text

if TYPE_CHECKING:
    from .records import FixRecord


class FixQueries:
    """The ``fixes`` table."""

    _conn: Connection

    def record_fix(
        self,
        document: str,
        swaps: Sequence[FixRecord],
        *,
        now: datetime,
        old_sha256: str | None = None,
        new_sha256: str | None = None,
    ) -> int:
        """Record the swaps of one fix of ``document`` as one batch; returns the batch.

        With ``new_sha256`` (the document's digest once fixed) the batch is recorded
        before the document is written, as pending: :meth:`last_fix` ignores it
        until :meth:`mark_fix_written`, and :meth:`pending_fix` returns it.
        """
        with self._conn.errors(f"record the fix of {document}"), self._conn.write():
            batch = self._conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM fixes").fetchone()[
                0
            ]
            self._conn.executemany(
                'INSERT INTO fixes (batch, document, fixed_at, line, col, start, "end",'
                " old_url, new_url, action, old_text, new_text, part, rels_member, rel_id,"
                " text_too, written, old_sha256, new_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        swap.rels_member,
                        swap.rel_id,
                        int(swap.text_too),
                        int(new_sha256 is None),
                        old_sha256,
                        new_sha256,
                    )
                    for swap in swaps
                ],
            )
        return batch

    def last_fix(self, document: str) -> list[FixRecord]:
        """The swaps of the latest fix of ``document`` written and not yet undone
        (empty if none)."""
        return self._fix_batch(document, "written = 1 AND undone_at IS NULL")

    def pending_fix(self, document: str) -> list[FixRecord]:
        """The swaps of the latest fix of ``document`` recorded but not known to be
        written (a process stopped between recording and renaming), empty if none."""
        return self._fix_batch(document, "written = 0")

    def mark_fix_written(self, batch: int) -> None:
        """The document of a pending fix was renamed into place."""
        with self._conn.errors("record a written fix"), self._conn.write():
            self._conn.execute("UPDATE fixes SET written = 1 WHERE batch = ?", (batch,))

    def forget_fix(self, batch: int) -> None:
        """Drop a pending fix whose document was never renamed into place."""
        with self._conn.errors("roll back a fix"), self._conn.write():
            self._conn.execute("DELETE FROM fixes WHERE batch = ? AND written = 0", (batch,))

    def mark_fix_undone(self, batch: int, *, now: datetime) -> None:
        with self._conn.errors("record an undone fix"), self._conn.write():
            self._conn.execute(
                "UPDATE fixes SET undone_at = ? WHERE batch = ?", (time_text(now), batch)
            )

    def _fix_batch(self, document: str, condition: str) -> list[FixRecord]:
        from .records import FixRecord  # not on a check's path (records.py)

        with self._conn.errors(f"read the fixes of {document}"):
            rows = self._conn.execute(
                'SELECT document, line, col, start, "end", old_url, new_url, action,'
                " old_text, new_text, part, batch, fixed_at, rels_member, rel_id, text_too,"
                " old_sha256, new_sha256 FROM fixes"
                " WHERE batch = (SELECT MAX(batch) FROM fixes"
                f"   WHERE document = ? AND {condition})"
                " ORDER BY start, id",
                (document,),
            ).fetchall()
        return [
            FixRecord(
                *row[:12],
                fixed_at=datetime.fromisoformat(row[12]),
                rels_member=row[13],
                rel_id=row[14],
                text_too=bool(row[15]),
                old_sha256=row[16],
                new_sha256=row[17],
            )
            for row in rows
        ]
