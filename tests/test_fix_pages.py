"""fix/ keeps the cited page: a swap to an archived PDF opens at ``#page=N``."""

from __future__ import annotations

import dataclasses

from citecheck.fix import Decision, plan_fix
from citecheck.fix.rules import with_page
from citecheck.urls import normalize_url

PDF = "https://edri.org/rise.pdf"
COPY = "https://web.archive.org/web/20210714000000/" + PDF
#: Printed p.67 was PDF page 69 when the report was first seen (cover, contents).
SWAP = Decision(normalize_url(PDF), "swap", COPY, "2021-07-14", "broken", pdf_pages={"67": 69})


def _fixed(name: str, text: str, decision: Decision = SWAP, **options) -> str:
    return plan_fix(name, text.encode(), {decision.url: decision}, **options).apply().decode()


def test_the_page_cited_is_the_pdf_page_it_was_first_seen_on() -> None:
    assert _fixed("a.md", f"A claim: {PDF} [p.67]\n") == f"A claim: {COPY}#page=69 [p.67]\n"
    assert _fixed("a.md", f"Range: {PDF} pp.67-70\n") == f"Range: {COPY}#page=69 pp.67-70\n"


def test_no_page_is_written_when_none_is_cited_or_it_was_never_seen() -> None:
    assert _fixed("a.md", f"Undated: {PDF}\n") == f"Undated: {COPY}\n"
    assert _fixed("a.md", f"Unseen: {PDF} [p.12]\n") == f"Unseen: {COPY} [p.12]\n"


def test_a_cited_fragment_wins_over_the_page() -> None:
    text = f"At: {PDF}#page=3 [p.67]\n"
    assert _fixed("a.md", text) == f"At: {COPY}#page=3 [p.67]\n"


def test_robust_links_markup_carries_the_page() -> None:
    fixed = _fixed("a.html", f'<p>Claim: <a href="{PDF}">RISE</a> [p.67]</p>\n', style="robust")
    assert f'data-versionurl="{COPY}#page=69"' in fixed
    assert f'href="{PDF}"' in fixed  # the reader's link is kept


def test_only_swaps_get_a_page() -> None:
    update = dataclasses.replace(SWAP, action="update", new_url="https://edri.org/new.pdf")
    assert with_page("https://edri.org/new.pdf", "67", update) == "https://edri.org/new.pdf"
    assert with_page(COPY, "67", SWAP) == COPY + "#page=69"
    assert with_page(COPY, None, SWAP) == COPY
