"""Tests for citecheck.fix.document: plan, write and undo a document through the store,
and the journal that keeps a fixed document undoable whatever stops the write."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_extract_docx_pdf import REPORT, _make_docx, _members

from citecheck.errors import FixError, InputError
from citecheck.fix import (
    Decision,
    finish_interrupted_fix,
    plan_document_fix,
    undo_document_fix,
    write_document_fix,
)
from citecheck.store import FixRecord, Store
from citecheck.urls import normalize_url

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DEAD = "https://site.example/gone"
COPY = f"https://web.archive.org/web/20240115093000/{DEAD}"
ORIGINAL = f"# Evidence\nThe police admitted it ({DEAD}).\nAgain: [the story]({DEAD}).\n".encode()
FIXED = ORIGINAL.replace(DEAD.encode(), COPY.encode())


def _decisions(url: str = DEAD) -> dict[str, Decision]:
    new = f"https://web.archive.org/web/20240115093000/{url}"
    return {normalize_url(url): Decision(normalize_url(url), "swap", new, "2024-01-15", "broken")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "archive.db") as opened:
        yield opened


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.md"
    path.write_bytes(ORIGINAL)
    return path


def _pending(store: Store, doc: Path) -> int:
    """Record the fix of ``doc`` as pending, as a process killed before the rename leaves it."""
    plan = plan_document_fix(doc, _decisions())
    records = [
        FixRecord(
            document=str(doc),
            line=r.line,
            column=r.column,
            start=r.start,
            end=r.end,
            old_url=r.old_url,
            new_url=r.new_url,
            action=r.action,
            old_text=r.old_text,
            new_text=r.new_text,
        )  # fmt: skip
        for r in plan.replacements
    ]
    return store.record_fix(
        str(doc.resolve()), records, now=T0, old_sha256=_sha256(ORIGINAL), new_sha256=_sha256(FIXED)
    )


def test_a_text_fix_is_written_recorded_and_undone(store: Store, doc: Path) -> None:
    plan = plan_document_fix(doc, _decisions())
    batch = write_document_fix(store, doc, plan, now=T0)
    assert batch > 0 and doc.read_bytes() == FIXED
    assert [r.new_url for r in store.last_fix(str(doc.resolve()))] == [COPY, COPY]
    assert store.pending_fix(str(doc.resolve())) == []
    undo_document_fix(store, doc, now=T0)
    assert doc.read_bytes() == ORIGINAL
    with pytest.raises(FixError, match="no fix of this document"):
        undo_document_fix(store, doc, now=T0)


def test_a_word_fix_is_stored_in_columns_and_undone(store: Store, tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    before = _members(path)
    plan = plan_document_fix(path, _decisions(REPORT))
    write_document_fix(store, path, plan, now=T0)
    records = store.last_fix(str(path.resolve()))
    assert {(r.part, r.rels_member) for r in records} == {
        ("word/document.xml", "word/_rels/document.xml.rels")
    }
    assert all(r.rel_id and r.rel_id.startswith("rId") for r in records)
    undo_document_fix(store, path, now=T0)
    assert _members(path)["word/_rels/document.xml.rels"] == before["word/_rels/document.xml.rels"]


def test_a_vanished_document_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the document"):
        plan_document_fix(tmp_path / "gone.md", _decisions())


def test_a_failed_rename_leaves_neither_a_change_nor_a_record(
    store: Store, doc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_document_fix(doc, _decisions())

    def refuse(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(FixError, match="cannot write"):
        write_document_fix(store, doc, plan, now=T0)
    monkeypatch.undo()
    assert doc.read_bytes() == ORIGINAL
    assert store.pending_fix(str(doc.resolve())) == []
    assert store.last_fix(str(doc.resolve())) == []
    assert [p.name for p in doc.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_pending_fix_whose_document_was_renamed_is_finished(store: Store, doc: Path) -> None:
    _pending(store, doc)
    doc.write_bytes(FIXED)  # the rename happened, the process died before marking it
    assert store.last_fix(str(doc.resolve())) == []
    finish_interrupted_fix(store, doc)
    assert len(store.last_fix(str(doc.resolve()))) == 2
    undo_document_fix(store, doc, now=T0)
    assert doc.read_bytes() == ORIGINAL


def test_a_pending_fix_whose_document_was_not_renamed_is_rolled_back(
    store: Store, doc: Path
) -> None:
    _pending(store, doc)
    finish_interrupted_fix(store, doc)
    assert store.pending_fix(str(doc.resolve())) == []
    assert store.last_fix(str(doc.resolve())) == []
    with pytest.raises(FixError, match="no fix of this document"):
        undo_document_fix(store, doc, now=T0)


def test_a_pending_fix_of_a_document_edited_since_is_judged_by_its_content(
    store: Store, doc: Path, tmp_path: Path
) -> None:
    _pending(store, doc)
    doc.write_bytes(FIXED + b"A line added below.\n")  # renamed, then edited
    undo_document_fix(store, doc, now=T0)
    assert doc.read_bytes() == ORIGINAL + b"A line added below.\n"

    other = tmp_path / "other.md"
    shutil.copy(doc, other)
    _pending(store, other)
    other.write_bytes(b"Rewritten by hand, no link left.\n")  # never renamed, then edited
    finish_interrupted_fix(store, other)
    assert store.last_fix(str(other.resolve())) == []


def test_a_document_that_vanishes_before_the_write_or_the_undo_is_a_clear_error(
    store: Store, doc: Path
) -> None:
    plan = plan_document_fix(doc, _decisions())
    doc.unlink()
    with pytest.raises(InputError, match="cannot read the document"):
        write_document_fix(store, doc, plan, now=T0)
    doc.write_bytes(ORIGINAL)
    write_document_fix(store, doc, plan, now=T0)
    doc.unlink()
    with pytest.raises(InputError, match="cannot read the document"):
        undo_document_fix(store, doc, now=T0)
