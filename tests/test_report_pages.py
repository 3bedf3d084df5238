"""report/pages.py and every format: a citation's page check shown beside it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from citecheck.models import Citation, LinkState, Status
from citecheck.pages.models import PageFinding
from citecheck.report import LinkReport, Report, write_report
from citecheck.report.pages import finding_for, finding_text, page_check_fields

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://edri.org/rise.pdf"
CITED = Citation(URL, document="a.md", line=3, page="67", context="180,000 in a database")
FOUND = PageFinding("67", CITED.context, pdf_page=69, page_count=140, numbering="labels",
                    support=0.62, terms_found=("180000", "database"), terms_total=3,
                    checked_at=NOW)  # fmt: skip


def test_a_page_found_says_where_and_how_and_its_support() -> None:
    assert finding_text(FOUND) == (
        "p.67 is PDF page 69 of 140 (page labels) · support 0.62 (2 of 3 claim terms:"
        " 180000, database)"
    )
    span = PageFinding("118-122", None, pdf_page=120, page_count=140, numbering="labels")
    assert finding_text(span) == "pp.118-122 are PDF pages 120-124 of 140 (page labels)"
    printed = PageFinding("67", None, pdf_page=70, page_count=140, numbering="printed")
    assert finding_text(printed) == (
        "p.67 is PDF page 70 of 140 (printed page numbers, PDF page = printed + 3)"
    )


def test_a_finding_leads_and_a_better_page_is_named() -> None:
    moved = PageFinding("67", "x", "page_moved", "p.67 is now p.71 (PDF page 73)", support=0.1,
                        terms_total=4, best_page="12", best_support=0.9)  # fmt: skip
    assert finding_text(moved) == (
        "page_moved: p.67 is now p.71 (PDF page 73) · support 0.10 (0 of 4 claim terms)"
        " · best match: p.12 (0.90)"
    )


def test_findings_are_matched_to_citations_by_page_and_claim() -> None:
    assert finding_for([FOUND], CITED) is FOUND
    assert finding_for([FOUND], Citation(URL, page="67")) is None
    assert page_check_fields(None) is None
    fields = page_check_fields(FOUND)
    assert fields is not None and fields["terms_found"] == ["180000", "database"]
    assert fields["summary"] == finding_text(FOUND)


def _report() -> Report:
    link = LinkReport(
        state=LinkState(URL, Status.OK, title="RISE", page_count=140),
        citations=[CITED, Citation(URL, document="a.md", line=9)],
        history=[],
        pages=[FOUND],
    )
    return Report(generated_at=NOW, summary={"ok": 1}, links=lambda: iter([link]))


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_every_format_shows_the_page_check_beside_its_citation(fmt: str) -> None:
    out = io.StringIO()
    write_report(_report(), fmt, out)
    assert "PDF page 69 of 140" in out.getvalue()
    assert out.getvalue().count("PDF page 69") == 1  # not under the other citation


def test_json_gives_each_citation_its_page_check_or_null() -> None:
    out = io.StringIO()
    write_report(_report(), "json", out)
    first, second = json.loads(out.getvalue())["links"][0]["citations"]
    assert first["page_check"]["pdf_page"] == 69 and first["page_check"]["support"] == 0.62
    assert second["page_check"] is None
