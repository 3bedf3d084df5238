"""pages/: PDFs read a page at a time, page numbering, and the page check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from pdfs import filler_page, make_pdf

from citecheck.pages import answer_pages
from citecheck.pages.check import check_pages, check_text_claims
from citecheck.pages.models import (
    BY_INDEX,
    BY_LABELS,
    BY_PRINTED,
    PAGE_DRIFT,
    PAGE_MISSING,
    PAGE_MOVED,
    PAGES_UNREAD,
    CitedClaim,
    PageBaseline,
    PageQuestion,
)
from citecheck.pages.numbering import cited_range, numbering_of
from citecheck.pages.reader import UnreadablePdfError, printed_numbers, read_pdf

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PDF = {"content-type": "application/pdf"}
PASSAGE = (
    "Smart devices in the Stratumseind Living Lab spray the scent of oranges at people the"
    " algorithm predicts are aggressive."
)
CLAIM = "Smart devices spray the scent of oranges at people an algorithm thinks are aggressive"


def _report(*, passage_at: int = 5, pages: int = 12, inserted: int = 0, **options) -> bytes:
    """A PDF with PASSAGE on printed page ``passage_at`` (two front-matter pages);
    ``inserted`` filler pages before printed page 3."""
    texts = ["Cover", "Contents"]
    for printed in range(1, pages - 1):
        if printed == 3:
            texts += [filler_page(900 + n) for n in range(inserted)]
        text = filler_page(printed)
        texts.append(PASSAGE + "\n" + text if printed == passage_at else text)
    options.setdefault("printed_from", 1)
    return make_pdf(texts, front_matter=2, **options)


def _check(pdf: bytes, *cited: tuple[str | None, str | None], baselines=None):
    question = PageQuestion(tuple(CitedClaim(p, c) for p, c in cited), baselines or {})
    return check_pages(read_pdf(pdf, _terms(question)), question, now=NOW)


def _terms(question: PageQuestion) -> set[str]:
    from citecheck.support import claim_terms

    return {t for c in question.citations for t in claim_terms(c.claim)}


# -- reader -------------------------------------------------------------------------------


def test_reader_digests_every_page_and_reads_the_labels() -> None:
    digest = read_pdf(_report(labels=True), {"orange", "absent"})
    assert digest.page_count == 12 and len(digest.pages) == 12 and digest.complete
    assert digest.labels is not None and digest.labels[:4] == ["i", "ii", "1", "2"]
    assert digest.pages[6].claim_terms == {"orange"}
    assert digest.pages[6].printed_numbers == (5,)
    assert digest.pages[6].fingerprint is not None
    assert digest.document_frequency["orange"] == 1


def test_reader_without_labels_says_none() -> None:
    assert read_pdf(_report(), ()).labels is None


def test_reader_stops_at_the_page_cap_and_the_deadline() -> None:
    capped = read_pdf(_report(), (), max_pages=4)
    assert (len(capped.pages), capped.complete) == (4, False)
    assert capped.stopped_because == "read 4 pages"
    late = read_pdf(_report(), (), deadline_s=-1)
    assert late.pages == [] and "ran out of time" in (late.stopped_because or "")


def test_reader_stops_at_the_next_page_when_the_run_stops() -> None:
    stop = threading.Event()
    stop.set()
    stopped = read_pdf(_report(), (), stop=stop)
    assert (stopped.pages, stopped.stopped_because) == ([], "the run was stopped")


@pytest.mark.parametrize("body", [b"", b"%PDF-1.7\n garbage", b"<html>no</html>"])
def test_reader_refuses_what_is_not_a_readable_pdf(body: bytes) -> None:
    with pytest.raises(UnreadablePdfError):
        read_pdf(body, ())


def test_printed_numbers_are_read_at_the_edges_of_the_page() -> None:
    assert printed_numbers("Title\nbody text\n12") == (12,)
    assert printed_numbers("Page 7 of 90\n" + "line\n" * 10 + "- 7 -") == (7,)
    assert printed_numbers("a\nb\nc\nthe year 2021 in the middle\nd\ne\nf") == ()


# -- numbering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [("67", (67, 67)), ("118-122", (118, 122)), ("118 – 122", (118, 122)), ("0", None),
     ("9-3", None), ("1-900", None), ("xii", None), (None, None)],
)  # fmt: skip
def test_cited_range(page: str | None, expected: tuple[int, int] | None) -> None:
    assert cited_range(page) == expected


def test_numbering_prefers_labels_then_printed_numbers_then_the_index() -> None:
    labelled = numbering_of(read_pdf(_report(labels=True, printed_from=None), ()))
    assert (labelled.method, labelled.pdf_page(5), labelled.label(7)) == (BY_LABELS, 7, "5")
    assert labelled.pdf_page(11) is None and labelled.label(1) == "i"
    printed = numbering_of(read_pdf(_report(), ()))
    assert (printed.method, printed.offset, printed.pdf_page(5), printed.label(7)) == (
        BY_PRINTED, 2, 7, "5",
    )  # fmt: skip
    assert printed.pdf_page(11) is None and "printed + 2" in printed.detail
    bare = numbering_of(read_pdf(_report(printed_from=None), ()))
    assert (bare.method, bare.pdf_page(5), bare.pdf_page(13)) == (BY_INDEX, 5, None)


def test_a_prefixed_label_is_found_when_it_is_the_only_one() -> None:
    from citecheck.pages.numbering import Numbering

    labels = Numbering(BY_LABELS, labels=("Cover", "A-1", "A-2", "B-1"), page_count=4)
    assert (labels.pdf_page(2), labels.pdf_page(1), labels.pdf_page(3)) == (3, None, None)


def test_a_lone_number_on_one_page_is_not_an_offset() -> None:
    texts = [filler_page(n) for n in range(6)]
    texts[3] += "\n42"
    assert numbering_of(read_pdf(make_pdf(texts), ())).method == BY_INDEX


# -- the check ----------------------------------------------------------------------------


def test_a_cited_page_found_is_remembered_and_supports_its_claim() -> None:
    answer = _check(_report(labels=True), ("5", CLAIM), ("30", CLAIM), ("2", CLAIM))
    found, beyond, unrelated = answer.findings
    assert (found.finding, found.pdf_page, found.fix_page, found.numbering) == (
        None, 7, 7, BY_LABELS,
    )  # fmt: skip
    assert found.support is not None and found.support >= 0.8 and found.best_page is None
    assert {"orange", "scent", "aggressive"} <= set(found.terms_found)
    assert beyond.finding == PAGE_MISSING and "no page labelled p.30" in (beyond.detail or "")
    assert unrelated.support is not None and unrelated.support < 0.3
    assert (unrelated.best_page, unrelated.best_support) == ("5", found.support)
    remembered = {b.label: b for b in answer.baselines}
    assert set(remembered) == {"5", "2"}
    assert remembered["5"].pdf_page == 7 and "scent" in remembered["5"].terms


def test_a_passage_is_followed_to_its_new_page_in_a_new_edition() -> None:
    first = _check(_report(), ("5-6", CLAIM))
    baselines = {b.label: b for b in first.baselines}
    (moved,) = _check(_report(inserted=2), ("5-6", CLAIM), baselines=baselines).findings
    assert moved.finding == PAGE_MOVED
    assert moved.detail == "pp.5-6 are now pp.7-8 (PDF page 9)"
    assert (moved.pdf_page, moved.fix_page) == (9, 7)
    assert moved.support is not None and moved.support >= 0.8


def test_a_passage_gone_from_the_pdf_is_page_drift() -> None:
    baselines = {b.label: b for b in _check(_report(), ("5", CLAIM)).baselines}
    answer = _check(_report(passage_at=99), ("5", CLAIM), baselines=baselines)
    (gone,) = answer.findings
    assert (gone.finding, gone.detail) == (
        PAGE_DRIFT, "the passage of p.5 is no longer found in the PDF",
    )  # fmt: skip
    assert gone.support is None and answer.baselines == ()  # the first sight is kept


def test_an_unchanged_pdf_has_no_finding_and_no_new_baseline() -> None:
    baselines = {b.label: b for b in _check(_report(), ("5", CLAIM)).baselines}
    answer = _check(_report(), ("5", CLAIM), baselines=baselines)
    assert answer.findings[0].finding is None and answer.baselines == ()


def test_a_blank_remembered_page_is_the_same_when_still_blank() -> None:
    blank = PageBaseline("1", 3, None, (), BY_PRINTED, NOW)
    pdf = make_pdf(["Cover", "Contents", ""] + [filler_page(n) for n in range(4)],
                   printed_from=1, front_matter=2)  # fmt: skip
    (finding,) = _check(pdf, ("1", None), baselines={"1": blank}).findings
    assert finding.finding is None


def test_pages_beyond_what_was_read_are_unread_not_missing() -> None:
    question = PageQuestion((CitedClaim("9", CLAIM),))
    digest = read_pdf(_report(), (), max_pages=3)
    (finding,) = check_pages(digest, question, now=NOW).findings
    assert finding.finding == PAGES_UNREAD and "read 3 pages" in (finding.detail or "")


def test_a_claim_without_a_page_gets_its_best_page() -> None:
    (finding,) = _check(_report(), (None, CLAIM), ("p. twelve", None)).findings[:1]
    assert finding.best_page == "5" and finding.finding is None
    odd = _check(_report(), ("xii", CLAIM)).findings[0]
    assert odd.detail == "page reference 'xii' not understood"


def test_text_claims_are_scored_against_the_whole_text() -> None:
    question = PageQuestion((CitedClaim(None, CLAIM), CitedClaim(None, None)))
    (finding,) = check_text_claims(PASSAGE, question, now=NOW).findings
    assert finding.support is not None and finding.support >= 0.8 and finding.page is None


# -- answer_pages -------------------------------------------------------------------------


def test_answer_pages_reads_pdfs_and_html_and_nothing_else() -> None:
    question = PageQuestion((CitedClaim("5", CLAIM),))
    pdf = answer_pages(_report(), PDF, truncated=False, question=question, now=NOW)
    assert pdf is not None and pdf.findings[0].pdf_page == 7
    html = f"<html><body><article><p>{PASSAGE}</p></article></body></html>".encode()
    page = answer_pages(html, {"content-type": "text/html"}, truncated=False,
                        question=question, now=NOW)  # fmt: skip
    assert page is not None and page.findings[0].support is not None
    assert answer_pages(b"{}", {"content-type": "application/json"}, truncated=False,
                        question=question, now=NOW) is None  # fmt: skip


@pytest.mark.parametrize(
    ("body", "truncated", "why"),
    [(b"%PDF-1.4 cut", True, "larger than the fetch cap"),
     (b"%PDF-1.4 broken", False, "could not be read")],
)  # fmt: skip
def test_a_pdf_whose_pages_cannot_be_read_says_so(body: bytes, truncated: bool, why: str) -> None:
    question = PageQuestion((CitedClaim("5", CLAIM), CitedClaim(None, CLAIM)))
    answer = answer_pages(body, PDF, truncated=truncated, question=question, now=NOW)
    assert answer is not None and len(answer.findings) == 1  # only the page citation
    assert answer.findings[0].finding == PAGES_UNREAD and why in (answer.findings[0].detail or "")
