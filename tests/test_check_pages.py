"""check.py with the page check: a live PDF's cited pages are checked in a worker
thread, and nothing that goes wrong there changes the link's verdict."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx
from pdfs import filler_page, make_pdf

from citecheck import check as check_module
from citecheck.check import Checker, CheckRequest
from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.incidents import IncidentLog
from citecheck.models import CheckResult, Status
from citecheck.pages.models import CitedClaim, PageQuestion

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
SETTINGS = Settings(max_attempts=1, probe_urls=("https://probe.example/",))
URL = "https://reports.example/rise.pdf"
CLAIM = "Smart devices spray the scent of oranges at aggressive people"
QUESTION = PageQuestion((CitedClaim("2", CLAIM), CitedClaim("9", CLAIM)))


def _pdf() -> bytes:
    pages = [filler_page(n) for n in range(4)]
    pages[1] = "Smart devices spray the scent of oranges at aggressive passers-by.\n" + pages[1]
    return make_pdf(pages)


async def _check(checker_options: dict) -> CheckResult:
    headers = {"content-type": "application/pdf"}
    respx.get(URL).mock(return_value=httpx.Response(200, content=_pdf(), headers=headers))
    async with Fetcher(SETTINGS) as fetcher:
        checker = Checker(fetcher, SETTINGS, clock=lambda: NOW, **checker_options)
        return await checker.check(CheckRequest(URL))


@respx.mock
async def test_a_live_pdf_gets_its_cited_pages_checked() -> None:
    asked = []
    result = await _check({"page_question": lambda url: asked.append(url) or QUESTION})
    assert asked == [URL] and result.status is Status.OK and result.page_count == 4
    found, beyond = result.pages.findings
    assert (found.pdf_page, found.finding, found.support) == (2, None, 1.0)
    assert beyond.finding == "page_missing"


@respx.mock
async def test_nothing_to_ask_means_no_page_check() -> None:
    assert (await _check({"page_question": lambda url: None})).pages is None
    assert (await _check({})).pages is None


@respx.mock
async def test_a_bug_in_the_page_check_is_logged_and_the_link_stays_ok(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(check_module, "answer_pages", broken)
    incidents = IncidentLog(None)
    result = await _check({"page_question": lambda url: QUESTION, "incidents": incidents})
    assert result.status is Status.OK and result.pages is None and incidents.count == 1
