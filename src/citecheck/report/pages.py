"""Page citations in reports: each citation's page finding and claim support, as
one sentence (Markdown, HTML, CSV) or as fields (JSON). Every format shows them
beside the citation, under the link's own status: a finding is evidence for a
human, never a link status. The check of the chosen archived copy's pages follows
the live one's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..models import Citation
from ..pages.models import BY_INDEX, BY_LABELS, BY_PRINTED, ArchivedPageFinding, PageFinding

if TYPE_CHECKING:
    from . import LinkReport

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


def archived_for(
    archived: Sequence[ArchivedPageFinding], citation: Citation
) -> ArchivedPageFinding | None:
    """The finding on ``citation``'s pages and claim in the archived copy, if any."""
    for found in archived:
        if found.finding.page == citation.page and found.finding.claim == citation.context:
            return found
    return None


def archived_text(archived: ArchivedPageFinding) -> str:
    """One line: "archived copy of 2021-07-14: " and what was found in it."""
    timestamp = archived.archive_timestamp
    when = f" of {timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}" if timestamp else ""
    text = f"archived copy{when}: {finding_text(archived.finding)}"
    if archived.baseline_taken:
        text += " · cited pages remembered from this copy (the PDF was not seen live)"
    return text


def page_check_lines(link: LinkReport, citation: Citation) -> list[str]:
    """The page check of ``citation`` in ``link``: the live PDF's line
    and the archived copy's, each when made."""
    lines = []
    finding = finding_for(link.pages, citation)
    if finding is not None and (text := finding_text(finding)):
        lines.append(text)
    archived = archived_for(link.archived_pages, citation)
    if archived is not None:
        lines.append(archived_text(archived))
    return lines


def page_check_text(link: LinkReport, citation: Citation) -> str | None:
    """The line shown under ``citation`` (None: no page check was made)."""
    return " — ".join(page_check_lines(link, citation)) or None


def archived_check_fields(archived: ArchivedPageFinding | None) -> dict[str, Any] | None:
    """The archived copy's finding as the JSON report spells it."""
    if archived is None:
        return None
    fields = page_check_fields(archived.finding)
    assert fields is not None
    del fields["fix_page"], fields["best_page"], fields["best_support"]
    return {
        **fields,
        "summary": archived_text(archived),
        "archive_url": archived.archive_url,
        "archive_timestamp": archived.archive_timestamp,
        "baseline_taken": archived.baseline_taken,
    }


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
