"""Word and PDF documents: extracting their links, and fixing .docx hyperlinks."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfWriter
from pypdf.annotations import Link

from citecheck.errors import FixError, InputError
from citecheck.extract import extract_docx, extract_file, extract_pdf
from citecheck.fix import Decision, LeftLink, plan_docx_fix, plan_docx_undo
from citecheck.urls import normalize_url

WAYBACK = "https://web.archive.org/web/20210714000000/"
RELS = "word/_rels/document.xml.rels"
REPORT = "https://example.org/report?a=1&b=2"
TYPED = "https://example.org/typed"


def _add_hyperlink(paragraph, url: str, text: str, *, shared: bool = False) -> None:
    """A hyperlink as Word writes it: a relationship of its own, unless ``shared``."""
    rels = paragraph.part.rels
    if shared:
        rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    else:
        rel_id = rels._next_rId
        rels.add_relationship(RELATIONSHIP_TYPE.HYPERLINK, url, rel_id, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = text
    text_element.set(qn("xml:space"), "preserve")
    run.append(text_element)
    hyperlink.append(run)
    paragraph._p.append(hyperlink)


def _make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Campaign brief")
    claim = document.add_paragraph("Surveillance rose by 40% according to ")
    _add_hyperlink(claim, REPORT, "the EDRi report")
    claim.add_run(".")
    twice = document.add_paragraph("The same report again: ")
    _add_hyperlink(twice, REPORT, REPORT)
    document.add_paragraph(f"A URL typed as text: {TYPED}.")
    fine = document.add_paragraph("A working source: ")
    _add_hyperlink(fine, "https://example.org/ok", "fine")
    document.save(str(path))
    return path


def _swap(url: str) -> Decision:
    return Decision(normalize_url(url), "swap", WAYBACK + url, "2021-07-14", "broken (gone)")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


# --- extract ---------------------------------------------------------------------------


def test_extract_docx_finds_hyperlinks_and_typed_urls(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    extraction = extract_docx(path, "brief.docx")
    found = [(c.url, c.line, c.column, c.context) for c in extraction.citations]
    assert found == [
        (REPORT, 2, 39, "the EDRi report"),
        (REPORT, 3, 24, "The same report again"),
        (TYPED, 4, 22, "A URL typed as text"),
        ("https://example.org/ok", 5, 19, "fine"),
    ]
    assert all(citation.document == "brief.docx" for citation in extraction.citations)


def test_extract_file_reads_docx_and_pdf_by_suffix(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    assert len(extract_file(path).citations) == 4
    pdf = _make_pdf(tmp_path / "report.pdf")
    assert [c.url for c in extract_file(pdf, document="r.pdf").citations] == [
        "https://example.org/a",
        "https://example.org/b",
        "https://example.org/a",
    ]


def test_a_file_that_is_not_a_docx_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match="not a readable .docx"):
        extract_docx(path, "fake.docx")


# --- fix ------------------------------------------------------------------------------


def test_docx_fix_swaps_targets_and_leaves_every_other_member_alone(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    path.chmod(0o640)
    before = _members(path)
    plan = plan_docx_fix(path, {normalize_url(REPORT): _swap(REPORT)}, document="brief.docx")
    assert [
        (item.line, item.old_url, item.new_url, item.text_too) for item in plan.replacements
    ] == [
        (2, REPORT, WAYBACK + REPORT, False),
        (3, REPORT, WAYBACK + REPORT, True),
    ]
    plan.write()
    after = _members(path)
    assert after.keys() == before.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {RELS, "word/document.xml"}
    # Only the Target attributes of the relationships changed, escaped as XML.
    escaped_new = (WAYBACK + REPORT).replace("&", "&amp;").encode()
    escaped_old = REPORT.replace("&", "&amp;").encode()
    assert after[RELS] == before[RELS].replace(escaped_old, escaped_new)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    citations = extract_docx(path, "brief.docx").citations
    assert [(c.url, c.line) for c in citations[:2]] == [
        (WAYBACK + REPORT, 2),
        (WAYBACK + REPORT, 3),
    ]
    # The hyperlink whose text was the URL shows the new URL; the other keeps its words.
    paragraphs = [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    assert paragraphs[1] == "Surveillance rose by 40% according to the EDRi report."
    assert paragraphs[2] == "The same report again: " + WAYBACK + REPORT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.docx"]


def test_a_relationship_shared_by_two_hyperlinks_is_one_swap(tmp_path: Path) -> None:
    document = docx.Document()
    first = document.add_paragraph("First ")
    _add_hyperlink(first, REPORT, "words", shared=True)
    second = document.add_paragraph("Second ")
    _add_hyperlink(second, REPORT, REPORT, shared=True)
    path = tmp_path / "shared.docx"
    document.save(str(path))
    plan = plan_docx_fix(path, {normalize_url(REPORT): _swap(REPORT)})
    assert [(item.line, item.text_too) for item in plan.replacements] == [(1, True)]
    plan.write()
    paragraphs = [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    assert paragraphs == ["First words", "Second " + WAYBACK + REPORT]
    assert [c.url for c in extract_docx(path, "shared.docx").citations] == [WAYBACK + REPORT] * 2


def test_docx_undo_restores_targets_and_texts(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    before = _members(path)
    plan = plan_docx_fix(path, {normalize_url(REPORT): _swap(REPORT)})
    plan.write()
    undo = plan_docx_undo(path, plan.replacements)
    assert undo.summary().startswith(f"{path}: 2 restored, 0 left for a human")
    undo.write()
    after = _members(path)
    assert after[RELS] == before[RELS]
    assert [c.url for c in extract_docx(path, "brief.docx").citations] == [
        REPORT,
        REPORT,
        TYPED,
        "https://example.org/ok",
    ]
    paragraphs = [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    assert paragraphs[2] == "The same report again: " + REPORT
    with pytest.raises(FixError, match="no longer there"):
        plan_docx_undo(path, plan.replacements)


def test_docx_fix_touches_only_the_relationships_when_texts_are_words(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    ok = "https://example.org/ok"
    before = _members(path)
    plan_docx_fix(path, {normalize_url(ok): _swap(ok)}).write()
    after = _members(path)
    assert {name for name in before if before[name] != after[name]} == {RELS}


def test_docx_plan_diff_summary_and_left_links(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    decisions = {
        normalize_url(REPORT): _swap(REPORT),
        normalize_url(TYPED): _swap(TYPED),
        "https://example.org/ok": Decision("https://example.org/ok", "leave", None, None, "ok?"),
    }
    plan = plan_docx_fix(path, decisions, document="brief.docx")
    new = WAYBACK + REPORT
    assert plan.diff() == (
        "--- a/brief.docx (hyperlink targets)\n"
        "+++ b/brief.docx (hyperlink targets)\n"
        f"@@ paragraph 2 (word/document.xml, {plan.replacements[0].rel_id}) @@\n"
        f"-{REPORT}\n+{new}\n"
        f"@@ paragraph 3 (word/document.xml, {plan.replacements[1].rel_id}) @@\n"
        f"-{REPORT}\n+{new}\n"
    )
    assert plan.left == [
        LeftLink(TYPED, 4, "typed as text, not a hyperlink"),
        LeftLink("https://example.org/ok", 5, "ok?"),
    ]
    assert plan.summary().startswith(
        "brief.docx: 2 swapped for an archived copy, 0 updated to where they redirect, "
        "2 left for a human\n"
    )


def test_docx_changed_since_planning_is_refused(tmp_path: Path) -> None:
    path = _make_docx(tmp_path / "brief.docx")
    plan = plan_docx_fix(path, {normalize_url(REPORT): _swap(REPORT)})
    document = docx.Document(str(path))
    document.add_paragraph("An edit made after the plan.")
    document.save(str(path))
    edited = path.read_bytes()
    with pytest.raises(FixError, match="changed since the fix was planned"):
        plan.write()
    assert path.read_bytes() == edited


def test_docx_fix_of_an_unreadable_file_is_a_fix_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(FixError):
        plan_docx_fix(path, {})


# --- PDF ------------------------------------------------------------------------------


def _make_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_blank_page(width=612, height=792)
    writer.add_blank_page(width=612, height=792)
    writer.add_annotation(0, Link(rect=(50, 700, 250, 720), url="https://example.org/a"))
    writer.add_annotation(2, Link(rect=(50, 700, 250, 720), url="https://example.org/b"))
    # A link wrapped over two lines is two annotations: one citation.
    writer.add_annotation(2, Link(rect=(50, 600, 250, 620), url="https://example.org/a"))
    writer.add_annotation(2, Link(rect=(50, 580, 250, 600), url="https://example.org/a"))
    # A link to another page of the document is not a citation.
    writer.add_annotation(2, Link(rect=(50, 500, 250, 520), target_page_index=0))
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def test_extract_pdf_reads_link_annotations_with_their_pages(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "report.pdf")
    citations = extract_pdf(path, "report.pdf").citations
    assert [(c.url, c.line, c.page, c.document) for c in citations] == [
        ("https://example.org/a", 1, "1", "report.pdf"),
        ("https://example.org/b", 3, "3", "report.pdf"),
        ("https://example.org/a", 3, "3", "report.pdf"),
    ]


def test_a_file_that_is_not_a_pdf_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"%PDF-1.7 but nothing else")
    with pytest.raises(InputError, match="not a readable PDF"):
        extract_pdf(path, "fake.pdf")
