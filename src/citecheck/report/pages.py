"""Page citations in reports: each citation's page finding and claim support, as
one sentence (Markdown, HTML, CSV) or as fields (JSON). Every format shows them
beside the citation, under the link's own status: a finding is evidence for a
human, never a link status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models import Citation
from ..pages.models import BY_INDEX, BY_LABELS, BY_PRINTED, PageFinding

_NUMBERING_WORDS = {
    BY_LABELS: "page labels",
    BY_PRINTED: "printed page numbers",
    BY_INDEX: "PDF page order",
}
#: Terms found shown in a sentence; JSON has them all.
_TERMS_SHOWN = 8


def finding_for(findings: Sequence[PageFinding], citation: Citation) -> PageFinding | None:
    """The finding on ``citation``'s pages and claim, if one was made."""
    for finding in findings:
        if finding.page == citation.page and finding.claim == citation.context:
            return finding
    return None


def finding_text(finding: PageFinding) -> str:
    """One line: the finding (or where the page is), then the claim's support."""
    parts = []
    if finding.finding is not None:
        parts.append(f"{finding.finding}: {finding.detail}" if finding.detail else finding.finding)
    elif finding.detail:
        parts.append(finding.detail)
    elif finding.page is not None and finding.pdf_page is not None:
        how = _NUMBERING_WORDS.get(finding.numbering or "", finding.numbering)
        start = finding.page.partition("-")[0]
        if finding.numbering == BY_PRINTED and start.isdigit():
            how += f", PDF page = printed + {finding.pdf_page - int(start)}"
        first, _, last = finding.page.partition("-")
        if last.isdigit() and first.isdigit():
            pdf_last = finding.pdf_page + int(last) - int(first)
            where = f"PDF pages {finding.pdf_page}-{pdf_last} of {finding.page_count}"
            parts.append(f"pp.{finding.page} are {where} ({how})")
        else:
            where = f"PDF page {finding.pdf_page} of {finding.page_count}"
            parts.append(f"p.{finding.page} is {where} ({how})")
    if finding.support is not None:
        terms = ", ".join(finding.terms_found[:_TERMS_SHOWN])
        more = "…" if len(finding.terms_found) > _TERMS_SHOWN else ""
        found = f"{len(finding.terms_found)} of {finding.terms_total} claim terms"
        parts.append(
            f"support {finding.support:.2f} ({found}" + (f": {terms}{more})" if terms else ")")
        )
    if finding.best_page is not None:
        parts.append(f"best match: p.{finding.best_page} ({finding.best_support:.2f})")
    return " · ".join(parts)


def page_check_text(findings: Sequence[PageFinding], citation: Citation) -> str | None:
    """The line shown under ``citation`` (None: no page check was made)."""
    finding = finding_for(findings, citation)
    return finding_text(finding) or None if finding is not None else None


def page_check_fields(finding: PageFinding | None) -> dict[str, Any] | None:
    """The finding as the JSON report spells it (None: no page check was made)."""
    if finding is None:
        return None
    return {
        "summary": finding_text(finding),
        "finding": finding.finding,
        "detail": finding.detail,
        "pdf_page": finding.pdf_page,
        "fix_page": finding.fix_page,
        "numbering": finding.numbering,
        "page_count": finding.page_count,
        "support": finding.support,
        "terms_found": list(finding.terms_found),
        "terms_total": finding.terms_total,
        "best_page": finding.best_page,
        "best_support": finding.best_support,
        "checked_at": finding.checked_at.isoformat() if finding.checked_at else None,
    }
