"""Plan, write and undo the fix of one document file, whatever its format.

The only place that picks the format of a document to fix (Word, or text read as
plain text, Markdown or HTML), and the only place where a planned swap becomes a
stored :class:`~citecheck.store.FixRecord` and back.

Writing is journalled so that a fixed document always has its record: the swaps
are recorded as pending (with the document's digests before and after) once the
new document is complete on disk and before it is renamed into place, and marked
written after. A process killed in between leaves a pending fix; the next fix or
undo of that document finishes it (the document is the fixed one) or rolls it
back (the document is the old one) before doing anything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from ..atomic import atomic_output
from ..errors import FixError, InputError
from ..store import FixRecord, Store
from .docx import DocxPlan, TargetSwap, plan_docx_fix, plan_docx_undo, sha256_of
from .rebase import plan_undo, rebase_plan
from .rules import Decision, Style
from .text import FixPlan, Replacement, plan_fix

#: A planned fix of one document, in whichever format it is.
DocumentPlan = FixPlan | DocxPlan

#: Formats citecheck reads citations from but does not rewrite.
UNFIXABLE_SUFFIXES = {".pdf": "PDFs"}


def refuse_unfixable(documents: Iterable[Path]) -> None:
    """FixError for the first document ``fix`` cannot rewrite, before any is written."""
    for path in documents:
        kind = UNFIXABLE_SUFFIXES.get(path.suffix.lower())
        if kind is not None:
            raise FixError(
                f"{path}: {kind} are not rewritten (citecheck reads their links but cannot"
                " write them back); fix the document the PDF was made from"
            )


def plan_document_fix(
    path: Path,
    decisions: Mapping[str, Decision],
    *,
    redirects: bool = False,
    style: Style = "replace",
    archive_prefixes: Sequence[str] = (),
) -> DocumentPlan:
    """Plan the swaps in one document (nothing is written)."""
    refuse_unfixable([path])
    if _is_word(path):
        return plan_docx_fix(
            path, decisions, redirects=redirects, archive_prefixes=archive_prefixes,
            document=str(path),
        )  # fmt: skip
    return plan_fix(
        str(path), _read(path), decisions, style=style, redirects=redirects,
        archive_prefixes=archive_prefixes,
    )  # fmt: skip


def write_document_fix(store: Store, path: Path, plan: DocumentPlan, *, now: datetime) -> int:
    """Apply a plan to the document (atomically) and record every swap for --undo.

    Returns the fix's batch number (0: nothing to change, nothing written). The
    document is read again first: a change since planning that makes a planned swap
    no longer match is refused with FixError naming it.
    """
    key = _document_key(path)
    finish_interrupted_fix(store, path)
    batch = 0

    def record(old_sha256: str, new_sha256: str, records: list[FixRecord]) -> None:
        nonlocal batch
        batch = store.record_fix(
            key, records, now=now, old_sha256=old_sha256, new_sha256=new_sha256
        )

    try:
        if isinstance(plan, DocxPlan):
            records = [_record(swap) for swap in plan.replacements]
            if not records:
                return 0
            plan.write(before_replace=lambda new: record(plan.sha256, sha256_of(new), records))
        else:
            current = _read(path)
            plan = rebase_plan(plan, current)
            records = [_record(item) for item in plan.replacements]
            if not records:
                return 0
            data = plan.apply()
            write_atomically(
                path,
                data,
                before_replace=lambda _: record(_sha256(current), _sha256(data), records),
            )
    except BaseException:
        if batch:
            finish_interrupted_fix(store, path)
        raise
    store.mark_fix_written(batch)
    return batch


def undo_document_fix(store: Store, path: Path, *, now: datetime) -> DocumentPlan:
    """Restore the swaps of the last fix of ``path`` and mark that fix undone."""
    finish_interrupted_fix(store, path)
    records = store.last_fix(_document_key(path))
    if not records:
        raise FixError(f"{path}: citecheck has no fix of this document to undo")
    plan = _plan_undo(path, records)
    if isinstance(plan, DocxPlan):
        plan.write()
    else:
        write_atomically(path, plan.apply())
    store.mark_fix_undone(records[0].batch or 0, now=now)
    return plan


def finish_interrupted_fix(store: Store, path: Path) -> None:
    """Finish or roll back a fix of ``path`` stopped between recording and renaming.

    The document tells which: its digest is the fixed one's (the rename happened:
    the fix is marked written) or the old one's (it did not: the record is
    dropped). A document edited since is judged by its content: the fix stands if
    every swap it made is still there to undo.
    """
    key = _document_key(path)
    records = store.pending_fix(key)
    while records:
        batch = records[0].batch or 0
        current = _sha256_or_none(path)
        if current == records[0].new_sha256:
            store.mark_fix_written(batch)
        elif current == records[0].old_sha256 or current is None:
            store.forget_fix(batch)
        else:
            try:
                _plan_undo(path, records)
            except (FixError, InputError):
                store.forget_fix(batch)
            else:
                store.mark_fix_written(batch)
        records = store.pending_fix(key)


def write_atomically(
    path: Path, data: bytes, *, before_replace: Callable[[Path], None] | None = None
) -> None:
    """Replace ``path`` with ``data`` through a temporary file beside it (same mode)."""
    try:
        with atomic_output(path, before_replace=before_replace) as out:
            out.write(data)
    except OSError as exc:
        raise FixError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _plan_undo(path: Path, records: Sequence[FixRecord]) -> DocumentPlan:
    if _is_word(path):
        swaps = [_target_swap(record) for record in records]
        return plan_docx_undo(path, swaps, document=str(path))
    replacements = [_replacement(record) for record in records]
    return plan_undo(str(path), _read(path), replacements)


def _is_word(path: Path) -> bool:
    return path.suffix.lower() == ".docx"


def _document_key(path: Path) -> str:
    """The name a document's fixes are recorded under: its absolute path."""
    return str(path.resolve())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document ({exc.strerror or exc})") from exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return sha256_of(path)
    except OSError:
        return None


# -- planned swaps ⇄ stored records ---------------------------------------------------


def _record(change: Replacement | TargetSwap) -> FixRecord:
    """A planned swap as the store records it (a Word swap has no offsets or bytes)."""
    common = {
        "document": change.document,
        "line": change.line,
        "column": change.column,
        "old_url": change.old_url,
        "new_url": change.new_url,
        "action": change.action,
    }
    if isinstance(change, TargetSwap):
        return FixRecord(
            **common, start=0, end=0, old_text=b"", new_text=b"", part=change.part,
            rels_member=change.rels_member, rel_id=change.rel_id, text_too=change.text_too,
        )  # fmt: skip
    return FixRecord(
        **common, start=change.start, end=change.end, old_text=change.old_text,
        new_text=change.new_text,
    )  # fmt: skip


def _replacement(record: FixRecord) -> Replacement:
    return Replacement(
        record.document, record.line, record.column, record.start, record.end,
        record.old_text, record.new_text, record.old_url, record.new_url, record.action,
    )  # fmt: skip


def _target_swap(record: FixRecord) -> TargetSwap:
    return TargetSwap(
        record.document, record.line, record.column, record.part or "",
        record.rels_member or "", record.rel_id or "", record.old_url, record.new_url,
        record.action, record.text_too,
    )  # fmt: skip
