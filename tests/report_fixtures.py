"""A fixture Report for the report formats: every status, a long history, hostile data.

Titles, URLs, details, citation contexts and document names carry markup, script,
Markdown table breakers and spreadsheet formulas, as they would from the web and
from documents. Tests import the constants to check each one comes out as text.
:func:`scheduled_report` adds what a scheduled run reports (the last run's changes,
drifted pages with hostile titles, next check dates); :func:`campaign_report` is a
realistic, harmless report for the README's screenshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from citecheck.captures import Snapshot
from citecheck.models import (
    CheckResult,
    Citation,
    HistoryEntry,
    Hop,
    LinkState,
    Reason,
    Status,
)
from citecheck.report import LinkReport, Report, history_entry
from citecheck.store import Store

NOW = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)

XSS_IMG = "<img src=x onerror=\"document.title='pwned'\">"
XSS_SCRIPT = "<script>window.pwned=1</script>"
MD_BREAKER = "Pipes | and [brackets] ](x) and\na newline | here"
ENTITY_TITLE = "Fish &amp; chips &lt;b&gt;"
HOSTILE_CONTEXT = '"></q></td><script>window.pwned=1</script> the claim'
HOSTILE_DOCUMENT = "<docs>/a&b\"c'.md"
HOSTILE_DETAIL = '<b onmouseover="window.pwned=1">bold</b> | [x](javascript:alert(1))'
HOSTILE_PAGE = "12<i>13</i>"
JAVASCRIPT_URL = "javascript:alert(document.domain)"
#: An http URL whose query would close the attribute it sits in if it were not escaped.
HOSTILE_HTTP_URL = 'https://hostile.example.com/?q="><script>window.pwned=1</script>'
BACKSLASH_URL = "https://example.net/path\\"
FORMULA_TITLES = {
    "=": '=HYPERLINK("https://evil.example/","click")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}

#: Titles a drifted page had before and after the change, as hostile as the rest.
DRIFT_BEFORE_TITLE = '<svg onload="window.pwned=3">Old</svg> & "quoted"'
DRIFT_AFTER_TITLE = "</q></span><script>window.pwned=4</script>=cmd|' /C calc'!A0"
DRIFT_SINCE = "2024-05-20T06:00:00+00:00"

LONG_HISTORY = 100


def _check(
    url: str,
    when: datetime,
    status: Status,
    http_status: int | None = None,
    reason: Reason | None = None,
) -> HistoryEntry:
    return history_entry(
        CheckResult(url=url, checked_at=when, status=status, reason=reason, http_status=http_status)
    )


def long_history(url: str, length: int = LONG_HISTORY) -> list[HistoryEntry]:
    """``length`` daily checks, oldest first: ok, then three 503s, then 404s."""
    start = NOW - timedelta(days=length)
    checks = []
    for day in range(length):
        when = start + timedelta(days=day)
        left = length - day
        if left > 10:
            checks.append(_check(url, when, Status.OK, 200))
        elif left > 7:
            checks.append(_check(url, when, Status.FAILING, 503, Reason.SERVER_ERROR))
        else:
            checks.append(_check(url, when, Status.BROKEN, 404, Reason.NOT_FOUND))
    return checks


def _state(url: str, status: Status, **fields: object) -> LinkState:
    return LinkState(url=url, status=status, checked_at=NOW, **fields)  # type: ignore[arg-type]


def fixture_links() -> list[LinkReport]:
    """The links, in report order (broken first, then by URL within a status)."""
    day = timedelta(days=1)
    gone = "https://example.org/gone"
    return [
        LinkReport(
            state=_state(
                gone,
                Status.BROKEN,
                reason=Reason.NOT_FOUND,
                http_status=404,
                title=XSS_IMG,
                first_failure_at=NOW - 10 * day,
                consecutive_failures=10,
                last_ok_at=NOW - 11 * day,
                ever_ok=True,
            ),
            citations=[
                Citation(
                    url=gone,
                    document="docs/report.md",
                    line=12,
                    column=5,
                    title=MD_BREAKER,
                    context=HOSTILE_CONTEXT,
                    page=HOSTILE_PAGE,
                ),
                Citation(url=gone, document=HOSTILE_DOCUMENT, line=3, title=XSS_SCRIPT),
            ],
            history=long_history(gone),
            detail=HOSTILE_DETAIL,
            archive_url="https://web.archive.org/web/20240101000000/https://example.org/gone",
            archive_timestamp="20240101000000",
        ),
        LinkReport(
            state=_state(
                BACKSLASH_URL,
                Status.BROKEN,
                reason=Reason.GONE,
                http_status=410,
                title=FORMULA_TITLES["="],
                first_failure_at=NOW - 5 * day,
                consecutive_failures=3,
            ),
            citations=[
                Citation(url=BACKSLASH_URL, document="docs/faq.md", line=40, context="A claim")
            ],
            history=[
                _check(BACKSLASH_URL, NOW - 2 * day, Status.BROKEN, 410, Reason.GONE),
                _check(BACKSLASH_URL, NOW, Status.BROKEN, 410, Reason.GONE),
            ],
            detail=HOSTILE_DETAIL,
        ),
        LinkReport(
            state=_state(
                HOSTILE_HTTP_URL,
                Status.BROKEN,
                reason=Reason.NOT_FOUND,
                http_status=404,
                title=ENTITY_TITLE,
                first_failure_at=NOW - 4 * day,
                consecutive_failures=4,
            ),
            citations=[Citation(url=HOSTILE_HTTP_URL, document="docs/faq.md", line=7)],
            history=[_check(HOSTILE_HTTP_URL, NOW, Status.BROKEN, 404, Reason.NOT_FOUND)],
            archive_url=JAVASCRIPT_URL,
            archive_timestamp="not a timestamp",
        ),
        LinkReport(
            state=_state(
                "https://slow.example.com/",
                Status.FAILING,
                reason=Reason.TIMEOUT,
                title=XSS_SCRIPT,
                first_failure_at=NOW - 2 * day,
                consecutive_failures=2,
                last_ok_at=NOW - 3 * day,
                ever_ok=True,
            ),
            citations=[
                Citation(url="https://slow.example.com/", document="docs/report.md", line=30)
            ],
            history=[
                _check("https://slow.example.com/", NOW - 3 * day, Status.OK, 200),
                _check(
                    "https://slow.example.com/", NOW - day, Status.FAILING, None, Reason.TIMEOUT
                ),
                _check("https://slow.example.com/", NOW, Status.FAILING, None, Reason.TIMEOUT),
            ],
        ),
        LinkReport(
            state=_state(
                "https://paywall.example.com/article",
                Status.BLOCKED,
                reason=Reason.BOT_PROTECTION,
                http_status=403,
                title=FORMULA_TITLES["@"],
                first_failure_at=NOW - day,
                consecutive_failures=1,
            ),
            citations=[
                Citation(
                    url="https://paywall.example.com/article",
                    document="docs/faq.md",
                    line=2,
                    title=FORMULA_TITLES["+"],
                )
            ],
            history=[
                _check(
                    "https://paywall.example.com/article",
                    NOW,
                    Status.BLOCKED,
                    403,
                    Reason.BOT_PROTECTION,
                )
            ],
        ),
        LinkReport(
            state=_state(
                "https://old.example.com/page",
                Status.REDIRECTED,
                reason=Reason.PERMANENT_REDIRECT,
                http_status=301,
                final_url="https://new.example.com/page",
                title=FORMULA_TITLES["-"],
                last_ok_at=NOW,
                ever_ok=True,
            ),
            citations=[
                Citation(
                    url="https://old.example.com/page",
                    document=HOSTILE_DOCUMENT,
                    line=9,
                    context="Rents rose by 12%",
                )
            ],
            history=[
                _check(
                    "https://old.example.com/page",
                    NOW,
                    Status.REDIRECTED,
                    301,
                    Reason.PERMANENT_REDIRECT,
                )
            ],
        ),
        LinkReport(
            state=_state(
                "https://ok.example.com/",
                Status.OK,
                http_status=200,
                title=FORMULA_TITLES["\t"],
                last_ok_at=NOW,
                ever_ok=True,
            ),
            citations=[Citation(url="https://ok.example.com/", document="docs/faq.md", line=1)],
            history=[_check("https://ok.example.com/", NOW, Status.OK, 200)],
        ),
        LinkReport(
            state=_state(
                "https://ok.example.org/",
                Status.OK,
                http_status=200,
                title=FORMULA_TITLES["\r"],
                last_ok_at=NOW,
                ever_ok=True,
            ),
            citations=[Citation(url="https://ok.example.org/")],
            history=[_check("https://ok.example.org/", NOW, Status.OK, 200)],
        ),
        LinkReport(
            state=_state(JAVASCRIPT_URL, Status.SKIPPED, reason=Reason.UNSUPPORTED_SCHEME),
            citations=[Citation(url=JAVASCRIPT_URL, document="docs/report.md", line=50)],
            history=[],
        ),
        LinkReport(
            state=LinkState(url="https://new.example.com/unchecked"),
            citations=[
                Citation(url="https://new.example.com/unchecked", document="docs/new.md", line=1)
            ],
            history=[],
        ),
    ]


def fixture_timeline(runs: int = 6) -> list[tuple[datetime, dict[str, int]]]:
    """Link health over ``runs`` daily runs, the most recent one ``NOW``."""
    timeline = []
    for run in range(runs):
        broken = run // 2
        timeline.append(
            (
                NOW - timedelta(days=runs - 1 - run),
                {"ok": 4 - broken, "redirected": 1, "failing": 1, "broken": broken, "blocked": 1},
            )
        )
    return timeline


def fixture_report(
    links: list[LinkReport] | None = None,
    runs: int = 6,
    *,
    changes: Mapping[str, Sequence[str]] | None = None,
    timeline: list[tuple[datetime, dict[str, int]]] | None = None,
) -> Report:
    """A Report over ``links`` (the fixture links by default) with a ``runs``-run
    timeline (or ``timeline``), the last run's ``changes``, and as drifted the links
    whose ``extra["drift"]`` is set."""
    chosen = fixture_links() if links is None else links
    summary = Counter(link.state.status.value for link in chosen)

    def stream() -> Iterator[LinkReport]:
        return iter(chosen)

    def drifted() -> Iterator[LinkState]:
        for link in chosen:
            drift = link.extra.get("drift")
            if drift:
                yield replace(link.state, drift=drift)  # type: ignore[arg-type]

    return Report(
        generated_at=NOW,
        summary=dict(summary),
        links=stream,
        timeline=fixture_timeline(runs) if timeline is None else timeline,
        changes=changes or {},
        changes_at=NOW - timedelta(hours=1) if changes else None,
        drifted=drifted,
    )


def drift(
    kind: str,
    before: str | None,
    after: str | None,
    similarity: float | None = None,
    since: str = DRIFT_SINCE,
) -> dict[str, object]:
    """A ``drift`` field as drift.py writes it."""
    return {
        "kind": kind,
        "before_title": before,
        "after_title": after,
        "similarity": similarity,
        "since": since,
    }


#: The last run's changes in :func:`scheduled_report`: a URL that must stay text too.
SCHEDULED_CHANGES = {
    "newly_broken": ["https://example.org/gone", HOSTILE_HTTP_URL, JAVASCRIPT_URL],
    "newly_failing": ["https://slow.example.com/"],
    "recovered": ["https://ok.example.org/"],
    "newly_drifted": ["https://ok.example.com/"],
}
#: When :func:`scheduled_links` says each checked link is next due.
NEXT_DUE = "2024-06-08T06:00:00+00:00"


def scheduled_links() -> list[LinkReport]:
    """The fixture links as a scheduled run reports them: each with its next check
    (None, due at the next run, for unchecked and skipped ones) and two drifted
    pages, the ok one with hostile titles, the redirected one by its text alone."""
    drifts = {
        "https://ok.example.com/": drift("title+text", DRIFT_BEFORE_TITLE, DRIFT_AFTER_TITLE, 0.5),
        "https://old.example.com/page": drift("text", "Rents in 2023", "Rents in 2023", 0.59375),
    }
    links = []
    for link in fixture_links():
        checked = link.state.status not in (Status.UNCHECKED, Status.SKIPPED)
        extra = {"drift": drifts.get(link.state.url), "next_due": NEXT_DUE if checked else None}
        links.append(replace(link, extra=extra))
    return links


def scheduled_report() -> Report:
    """The fixture report with changes, drifted pages and next check dates."""
    return fixture_report(scheduled_links(), changes=SCHEDULED_CHANGES)


def fill_fixture_store(path: Path) -> None:
    """A small archive.db holding what reports read, written through the Store API.

    Links in every status, hostile and non-ASCII text, several citations per link
    (one with extra columns, one with an invalid URL), histories with redirects,
    details and times given in another zone, an archived copy for one broken link
    and a look-up that found none for another, a link no longer cited (with
    history), and runs of every kind and outcome for the timeline.
    """
    day = timedelta(days=1)
    paris = ZoneInfo("Europe/Paris")
    gone, moved, slow = (
        "https://example.org/gone",
        "https://old.example.com/page",
        "https://slow.example.com/",
    )
    wall, fine, dropped = (
        "https://paywall.example.com/article",
        "https://ok.example.com/",
        "https://dropped.example/",
    )
    citations = [
        Citation(
            url=gone,
            document="docs/report.md",
            line=12,
            column=5,
            title=MD_BREAKER,
            context=HOSTILE_CONTEXT,
            page=HOSTILE_PAGE,
            accessed="2023-12-01",
        ),
        Citation(url=gone, document=HOSTILE_DOCUMENT, line=3, title=XSS_SCRIPT),
        Citation(
            url=moved,
            document="docs/faq.md",
            line=9,
            context="Rents rose by 12%",
            extra={"publisher": "Agence ünïe", "note": "=1+1"},
        ),
        Citation(url=slow, document="docs/report.md", line=30),
        Citation(url=wall, document="docs/faq.md", line=2, title=FORMULA_TITLES["+"]),
        Citation(url=fine, document="docs/faq.md", line=1),
        Citation(url=fine),
        Citation(url="  htp//not a url  ", document="docs/new.md", line=4),
        Citation(url=JAVASCRIPT_URL, document="docs/report.md", line=50),
        Citation(url="https://new.example.com/unchecked", document="docs/new.md", line=1),
        Citation(url=None, title="A book without a URL", document="docs/new.md", line=8),
    ]
    with Store.open(path) as store:
        store.sync_citations(
            [*citations, Citation(url=dropped, document="old.md", line=1)], now=NOW - 12 * day
        )
        old_run = store.begin_run("check", now=NOW - 11 * day)
        store.record_check(
            old_run,
            CheckResult(url=dropped, checked_at=NOW - 11 * day, status=Status.OK, http_status=200),
            LinkState(url=dropped, status=Status.OK, checked_at=NOW - 11 * day),
        )
        store.finish_run(
            old_run, now=NOW - 11 * day, outcome="finished", summary={"ok": 1, "unchecked": 6}
        )
        store.sync_citations(citations, now=NOW - 10 * day)
        plan = {
            gone: [(Status.OK, 200, None, None)] * 2
            + [(Status.FAILING, 503, Reason.SERVER_ERROR, "Service Unavailable")] * 3
            + [(Status.BROKEN, 404, Reason.NOT_FOUND, HOSTILE_DETAIL)] * 3,
            moved: [(Status.REDIRECTED, 301, Reason.PERMANENT_REDIRECT, "moved permanently")] * 8,
            slow: [(Status.OK, 200, None, None)] * 6
            + [(Status.FAILING, None, Reason.TIMEOUT, "no answer in 30 s")] * 2,
            wall: [(Status.BLOCKED, 403, Reason.BOT_PROTECTION, "Cloudflare challenge")] * 8,
            fine: [(Status.OK, 200, None, None)] * 8,
            JAVASCRIPT_URL: [(Status.SKIPPED, None, Reason.UNSUPPORTED_SCHEME, None)] * 8,
        }
        outcomes = [
            "finished",
            "finished",
            "offline",
            "interrupted",
            "finished",
            "failed",
            "finished",
            "finished",
        ]
        for index, outcome in enumerate(outcomes):
            started = NOW - (8 - index) * day
            run_id = store.begin_run("run" if index % 2 else "check", now=started)
            for url, checks in plan.items():
                status, http_status, reason, detail = checks[index]
                when = started + timedelta(minutes=len(url), microseconds=index * 1001)
                result = CheckResult(
                    url=url,
                    checked_at=when.astimezone(paris) if index == 3 else when,
                    status=status,
                    reason=reason,
                    http_status=http_status,
                    final_url="https://new.example.com/page" if url == moved else None,
                    redirects=(Hop(moved, 301, "https://new.example.com/page"),)
                    if url == moved
                    else (),
                    title=FORMULA_TITLES["-"] if url == moved else XSS_IMG,
                    detail=detail,
                )
                previous = store.link_state(url)
                failures = (previous.consecutive_failures if previous else 0) + 1
                failing = status.is_error or status is Status.BLOCKED
                state = LinkState(
                    url=url,
                    status=status,
                    reason=reason,
                    http_status=http_status,
                    final_url=result.final_url,
                    title=result.title,
                    checked_at=when,
                    first_failure_at=(previous.first_failure_at or when) if failing else None,
                    consecutive_failures=failures if failing else 0,
                    last_ok_at=when
                    if status.is_success
                    else previous.last_ok_at
                    if previous
                    else None,
                    ever_ok=status.is_success or bool(previous and previous.ever_ok),
                )
                store.record_check(run_id, result, state)
            store.finish_run(
                run_id,
                now=started + timedelta(hours=1),
                outcome=outcome,
                summary=store.status_counts(),
            )
        archive_run = store.begin_run("archive", now=NOW)
        store.finish_run(archive_run, now=NOW, outcome="finished", summary={"found": 2})
        copy = Snapshot("20231120101010", gone, 200, "text/html", "DIGEST", "cdx-before")
        ids = {row.state.url: row.link_id for row in store.iter_archive_rows()}
        store.record_lookup(
            ids[gone],
            looked_up_at=NOW,
            anchor=NOW - 30 * day,
            found=[(copy, None)],
            chosen=copy,
            archive_url=f"https://web.archive.org/web/{copy.timestamp}/{gone}",
        )
        store.record_lookup(
            ids[slow], looked_up_at=NOW, anchor=None, found=[], chosen=None, archive_url=None
        )
        store.begin_run("check", now=NOW + timedelta(minutes=5))


def _campaign_history(
    url: str, days: int, tail: Sequence[tuple[Status, int | None, Reason | None]]
) -> list[HistoryEntry]:
    """``days`` daily checks ending at NOW: 200 OK, then ``tail`` as the latest checks."""
    start = NOW - timedelta(days=days - 1)
    checks = [_check(url, start + timedelta(days=day), Status.OK, 200) for day in range(days)]
    for offset, (status, http_status, reason) in enumerate(tail):
        index = days - len(tail) + offset
        checks[index] = _check(url, start + timedelta(days=index), status, http_status, reason)
    return checks


def campaign_links() -> list[LinkReport]:
    """A clean-air campaign's citations, as a maintainer would see them: news
    articles, an NGO report cited by page, a regulator's notice and a video."""
    day = timedelta(days=1)
    runs = 30
    article = "https://www.eveningherald.example/news/2024/03/school-gate-pollution-pledge"
    notice = "https://www.environment-agency.example.gov/notices/2024/nitrogen-dioxide-limits"
    paywalled = "https://www.financialledger.example/articles/clean-air-zones-cost"
    report = "https://www.cleanairtrust.example.org/reports/air-quality-schools-2023.pdf"
    moved_to = "https://cleanairtrust.example.org/research/2023/air-quality-schools.pdf"
    drifted = "https://www.metrotimes.example/health/pollution-near-schools-falls"
    video = "https://video.example.com/watch/kids-and-asthma-documentary"
    minutes = "https://council.example.gov/meetings/2024-02-12/minutes"
    doc = "briefing/clean-air-briefing.md"
    due = (NOW + 7 * day).isoformat()

    def link(
        state: LinkState, citations: list[Citation], history: list[HistoryEntry], **kw: object
    ) -> LinkReport:
        extra = {"drift": kw.pop("drift", None), "next_due": kw.pop("next_due", due)}
        return LinkReport(state=state, citations=citations, history=history, extra=extra, **kw)  # type: ignore[arg-type]

    return [
        link(
            _state(
                article,
                Status.BROKEN,
                reason=Reason.NOT_FOUND,
                http_status=404,
                title="Council pledges to cut school-gate pollution by 2026",
                first_failure_at=NOW,
                consecutive_failures=1,
                last_ok_at=NOW - day,
                ever_ok=True,
            ),
            [
                Citation(
                    url=article,
                    document=doc,
                    line=14,
                    context="The council committed to halving NO₂ at school gates by 2026.",
                ),
                Citation(url=article, document="press/letter-to-mp.md", line=6),
            ],
            _campaign_history(article, runs, [(Status.BROKEN, 404, Reason.NOT_FOUND)]),
            archive_url=f"https://web.archive.org/web/20240315093012/{article}",
            archive_timestamp="20240315093012",
            detail="the page answers 404 Not Found",
            next_due=(NOW + 30 * day).isoformat(),
        ),
        link(
            _state(
                notice,
                Status.FAILING,
                reason=Reason.SERVER_ERROR,
                http_status=503,
                title="Nitrogen dioxide: annual limit values and exceedances",
                first_failure_at=NOW - 1 * day,
                consecutive_failures=2,
                last_ok_at=NOW - 2 * day,
                ever_ok=True,
            ),
            [
                Citation(
                    url=notice,
                    document=doc,
                    line=22,
                    context="The legal annual limit for NO₂ is 40 µg/m³.",
                )
            ],
            _campaign_history(notice, runs, [(Status.FAILING, 503, Reason.SERVER_ERROR)] * 2),
            detail="503 Service Unavailable, retried 3 times",
            next_due=(NOW + day).isoformat(),
        ),
        link(
            _state(
                paywalled,
                Status.BLOCKED,
                reason=Reason.BOT_PROTECTION,
                http_status=403,
                title=None,
                first_failure_at=NOW - 20 * day,
                consecutive_failures=21,
            ),
            [
                Citation(
                    url=paywalled,
                    document=doc,
                    line=31,
                    title="What clean air zones really cost drivers",
                    context="Charges paid by drivers fell by a third in the second year.",
                )
            ],
            _campaign_history(paywalled, runs, [(Status.BLOCKED, 403, Reason.BOT_PROTECTION)] * 21),
            detail="a bot challenge page answered",
            next_due=(NOW + 14 * day).isoformat(),
        ),
        link(
            _state(
                report,
                Status.REDIRECTED,
                reason=Reason.PERMANENT_REDIRECT,
                http_status=301,
                final_url=moved_to,
                title="Air quality at schools 2023 (PDF, 84 pages)",
                page_count=84,
                last_ok_at=NOW,
                ever_ok=True,
            ),
            [
                Citation(
                    url=report,
                    document=doc,
                    line=18,
                    page="14",
                    context="One school in four is above the WHO guideline for NO₂.",
                ),
                Citation(
                    url=report,
                    document=doc,
                    line=40,
                    page="67-68",
                    context="Children walking to school breathe the highest levels.",
                ),
            ],
            _campaign_history(
                report, runs, [(Status.REDIRECTED, 301, Reason.PERMANENT_REDIRECT)] * 9
            ),
            archive_url=f"https://web.archive.org/web/20240110120000/{report}",
            archive_timestamp="20240110120000",
        ),
        link(
            _state(
                drifted,
                Status.OK,
                http_status=200,
                title="Live: city budget 2024, every announcement",
                last_ok_at=NOW,
                ever_ok=True,
            ),
            [
                Citation(
                    url=drifted,
                    document=doc,
                    line=26,
                    context="Pollution near schools fell by a fifth after the street closures.",
                )
            ],
            _campaign_history(drifted, runs, []),
            archive_url=f"https://web.archive.org/web/20240502081500/{drifted}",
            archive_timestamp="20240502081500",
            drift=drift(
                "title+text",
                "Pollution near schools falls by a fifth after street closures",
                "Live: city budget 2024, every announcement",
                0.4375,
                since=(NOW - 3 * day).isoformat(),
            ),
        ),
        link(
            _state(
                minutes,
                Status.OK,
                http_status=200,
                title="Full council, 12 February 2024: minutes",
                last_ok_at=NOW,
                ever_ok=True,
            ),
            [Citation(url=minutes, document=doc, line=9, page="5")],
            _campaign_history(minutes, runs, []),
        ),
        link(
            _state(
                video,
                Status.OK,
                http_status=200,
                title="Breathless: children and asthma in our city (documentary)",
                last_ok_at=NOW,
                ever_ok=True,
            ),
            [
                Citation(
                    url=video,
                    document="press/letter-to-mp.md",
                    line=12,
                    context="Parents describe night-time asthma attacks (at 12:40).",
                )
            ],
            _campaign_history(
                video,
                runs,
                [(Status.FAILING, None, Reason.TIMEOUT)] * 3 + [(Status.OK, 200, None)],
            ),
        ),
    ]


def campaign_report() -> Report:
    """The campaign's report after a month of nightly runs, for docs/report.png: last
    night a news article died and a video came back; a page drifted three days ago."""
    runs = 30
    timeline = []
    for run in range(runs):
        counts = {"ok": 7, "redirected": 0, "blocked": 0, "failing": 0, "broken": 0}
        for status, since_run in (("blocked", 9), ("redirected", 21), ("failing", 28)):
            if run >= since_run:
                counts[status] += 1
                counts["ok"] -= 1
        if run in (26, 27, 28):  # the video failed for three nights, then came back
            counts["failing"] += 1
            counts["ok"] -= 1
        if run == runs - 1:  # the article died last night
            counts["broken"] += 1
            counts["ok"] -= 1
        timeline.append((NOW - timedelta(days=runs - 1 - run), counts))
    links = campaign_links()
    changes = {
        "newly_broken": [links[0].state.url],
        "recovered": [links[-1].state.url],
        "newly_drifted": [],
    }
    return fixture_report(links, changes=changes, timeline=timeline)
