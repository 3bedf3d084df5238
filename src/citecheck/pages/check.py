"""Page citations judged against a PDF's digest: the page exists, its passage is
still where it was (or where it went), and how well it supports the claim.

Pure: a :class:`~citecheck.pages.reader.PdfDigest`, the citations and the pages
remembered of the PDF in, a :class:`~citecheck.pages.models.PageAnswer` out.

* A cited page the file does not have is ``page_missing``.
* A remembered page is looked for where it was; when its text is not there, on every
  page: found elsewhere, it has moved ("p.67 is now p.71"); found nowhere, the
  passage is gone (``page_drift``). A page counts as the same passage when its
  fingerprint is within :data:`SAME_PASSAGE_SIMILARITY` or it still holds
  :data:`SAME_PASSAGE_TERMS` of the remembered distinctive terms (a page reflowed by
  a new edition changes its shingles more than its words).
* Support is scored on the pages where the passage is now; another page that
  supports the claim clearly better is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..support import (
    BEST_MATCH_MARGIN,
    Support,
    claim_terms,
    distinctive_terms,
    idf_weights,
    terms_of,
)
from ..support import support as support_of
from ..titles import similarity
from .models import (
    PAGE_DRIFT,
    PAGE_MISSING,
    PAGE_MOVED,
    PAGES_UNREAD,
    CitedClaim,
    PageAnswer,
    PageBaseline,
    PageFinding,
    PageQuestion,
)
from .numbering import Numbering, cited_range, numbering_of
from .reader import PdfDigest

SAME_PASSAGE_SIMILARITY = 0.88
SAME_PASSAGE_TERMS = 0.8
#: Distinctive terms remembered per cited page.
BASELINE_TERMS = 12


def check_pages(digest: PdfDigest, question: PageQuestion, *, now: datetime) -> PageAnswer:
    """Every distinct (pages, claim) of ``question`` judged against ``digest``;
    baselines for the cited pages not remembered yet."""
    numbering = numbering_of(digest)
    new_baselines: dict[str, PageBaseline] = {}
    findings = []
    for cited in dict.fromkeys(question.citations):
        finding, baselines = _check_one(digest, numbering, cited, question.baselines, now)
        findings.append(finding)
        for baseline in baselines:
            if baseline.label not in question.baselines:
                new_baselines.setdefault(baseline.label, baseline)
    return PageAnswer(tuple(findings), tuple(new_baselines.values()))


def _check_one(
    digest: PdfDigest,
    numbering: Numbering,
    cited: CitedClaim,
    remembered: dict[str, PageBaseline],
    now: datetime,
) -> tuple[PageFinding, list[PageBaseline]]:
    common = {
        "page": cited.page,
        "claim": cited.claim,
        "numbering": numbering.method,
        "page_count": digest.page_count,
        "checked_at": now,
    }
    span = cited_range(cited.page)
    if span is None:
        best = _best_support(digest, numbering, cited.claim, exclude=())
        detail = None if cited.page is None else f"page reference {cited.page!r} not understood"
        return PageFinding(**common, **best, detail=detail), []
    numbers = range(span[0], span[1] + 1)
    located = [numbering.pdf_page(number) for number in numbers]
    missing = [number for number, pdf_page in zip(numbers, located, strict=True) if not pdf_page]
    if missing:
        return PageFinding(
            **common, finding=PAGE_MISSING, detail=_missing_detail(missing, numbering)
        ), []
    pdf_pages = [p for p in located if p is not None]
    if pdf_pages[-1] > len(digest.pages):
        detail = f"{_pages(cited.page)} not read: {digest.stopped_because}"
        return PageFinding(**common, finding=PAGES_UNREAD, detail=detail, pdf_page=pdf_pages[0]), []
    baselines = [remembered.get(str(number)) for number in numbers]
    new = [
        _baseline(digest, numbering, str(number), pdf_page, now)
        for number, pdf_page, known in zip(numbers, pdf_pages, baselines, strict=True)
        if known is None
    ]
    finding, detail, now_at = _follow(digest, numbering, cited.page, pdf_pages, baselines)
    fix_page = baselines[0].pdf_page if baselines[0] is not None else pdf_pages[0]
    scored = {}
    if finding != PAGE_DRIFT:
        scored = _scored(digest, numbering, cited.claim, now_at)
    return PageFinding(
        **common,
        **scored,
        finding=finding,
        detail=detail,
        pdf_page=now_at[0],
        fix_page=fix_page,
    ), new


def _follow(
    digest: PdfDigest,
    numbering: Numbering,
    page: str | None,
    pdf_pages: list[int],
    baselines: Sequence[PageBaseline | None],
) -> tuple[str | None, str | None, list[int]]:
    """Where the remembered passages are now: (finding, detail, PDF pages)."""
    now_at = []
    for pdf_page, baseline in zip(pdf_pages, baselines, strict=True):
        if baseline is None or _same_passage(digest, pdf_page, baseline):
            now_at.append(pdf_page)
            continue
        found = _find_passage(digest, baseline)
        if found is None:
            return (
                PAGE_DRIFT,
                f"the passage of p.{baseline.label} is no longer found in the PDF",
                pdf_pages,
            )
        now_at.append(found)
    if now_at == pdf_pages:
        return None, None, pdf_pages
    first, last = numbering.label(now_at[0]), numbering.label(now_at[-1])
    moved_to = f"p.{first}" if len(now_at) == 1 else f"pp.{first}-{last}"
    verb = "is" if len(now_at) == 1 else "are"
    return PAGE_MOVED, f"{_pages(page)} {verb} now {moved_to} (PDF page {now_at[0]})", now_at


def _same_passage(digest: PdfDigest, pdf_page: int, baseline: PageBaseline) -> bool:
    page = digest.pages[pdf_page - 1]
    if (
        baseline.fingerprint
        and page.fingerprint
        and similarity(baseline.fingerprint, page.fingerprint) >= SAME_PASSAGE_SIMILARITY
    ):
        return True
    if not baseline.terms:
        return not baseline.fingerprint and not page.fingerprint  # both (nearly) blank
    kept = sum(1 for term in baseline.terms if term in page.top_terms)
    return kept / len(baseline.terms) >= SAME_PASSAGE_TERMS


def _find_passage(digest: PdfDigest, baseline: PageBaseline) -> int | None:
    """The PDF page most like the remembered one, if it is the same passage."""
    best, best_similarity = None, -1.0
    for index, page in enumerate(digest.pages, start=1):
        if not _same_passage(digest, index, baseline):
            continue
        score = (
            similarity(baseline.fingerprint, page.fingerprint)
            if baseline.fingerprint and page.fingerprint
            else 0.0
        )
        if score > best_similarity:
            best, best_similarity = index, score
    return best


def _baseline(
    digest: PdfDigest, numbering: Numbering, label: str, pdf_page: int, now: datetime
) -> PageBaseline:
    page = digest.pages[pdf_page - 1]
    terms = distinctive_terms(
        page.top_terms, digest.document_frequency, len(digest.pages), keep=BASELINE_TERMS
    )
    return PageBaseline(label, pdf_page, page.fingerprint, terms, numbering.method, now)


def _scored(
    digest: PdfDigest, numbering: Numbering, claim: str | None, pdf_pages: list[int]
) -> dict:
    terms = claim_terms(claim)
    if not terms:
        return {}
    weights = idf_weights(terms, digest.document_frequency, len(digest.pages))
    present: set[str] = set()
    for pdf_page in pdf_pages:
        present |= digest.pages[pdf_page - 1].claim_terms
    cited = support_of(terms, present, weights)
    best = _best_support(digest, numbering, claim, exclude=pdf_pages)
    better = best.get("best_support") is not None and (
        best["best_support"] >= cited.score + BEST_MATCH_MARGIN
    )
    return {
        "support": cited.score,
        "terms_found": cited.found,
        "terms_total": cited.of_terms,
        "best_page": best["best_page"] if better else None,
        "best_support": best["best_support"] if better else None,
    }


def _best_support(
    digest: PdfDigest, numbering: Numbering, claim: str | None, *, exclude: Sequence[int]
) -> dict:
    """The page (outside ``exclude``) that supports ``claim`` best, as finding fields."""
    terms = claim_terms(claim)
    if not terms or not digest.pages:
        return {}
    weights = idf_weights(terms, digest.document_frequency, len(digest.pages))
    best: tuple[int, Support] | None = None
    for index, page in enumerate(digest.pages, start=1):
        if index in exclude:
            continue
        scored = support_of(terms, page.claim_terms, weights)
        if best is None or scored.score > best[1].score:
            best = (index, scored)
    if best is None or best[1].score == 0:
        return {"best_page": None, "best_support": None}
    return {"best_page": numbering.label(best[0]), "best_support": best[1].score}


def _missing_detail(missing: list[int], numbering: Numbering) -> str:
    shown = ", ".join(f"p.{number}" for number in missing[:5])
    if numbering.method == "labels":
        return f"the PDF has no page labelled {shown} ({numbering.page_count} pages)"
    pages = numbering.page_count
    return f"{shown} is beyond the end: the PDF has {pages} pages ({numbering.detail})"


def _pages(page: str | None) -> str:
    return f"pp.{page}" if page and "-" in page else f"p.{page}"


def check_text_claims(text: str, question: PageQuestion, *, now: datetime) -> PageAnswer:
    """The claims of a page that is not a PDF (an HTML page's main text) scored
    against that text: one page, so every term weighs the same."""
    present = set(terms_of(text))
    findings = []
    for cited in dict.fromkeys(question.citations):
        terms = claim_terms(cited.claim)
        if not terms:
            continue
        scored = support_of(terms, present, {})
        findings.append(
            PageFinding(
                page=cited.page,
                claim=cited.claim,
                support=scored.score,
                terms_found=scored.found,
                terms_total=scored.of_terms,
                checked_at=now,
            )
        )
    return PageAnswer(tuple(findings))
