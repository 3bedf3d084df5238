"""A fixture Report for the report formats: every status, a long history, hostile data.

Titles, URLs, details, citation contexts and document names carry markup, script,
Markdown table breakers and spreadsheet formulas, as they would from the web and
from documents. Tests import the constants to check each one comes out as text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from citecheck.models import (
    CheckResult,
    Citation,
    HistoryEntry,
    Hop,
    LinkState,
    Reason,
    Snapshot,
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


def fixture_report(links: list[LinkReport] | None = None, runs: int = 6) -> Report:
    """A Report over ``links`` (the fixture links by default) with a ``runs``-run timeline."""
    chosen = fixture_links() if links is None else links
    summary = Counter(link.state.status.value for link in chosen)

    def stream() -> Iterator[LinkReport]:
        return iter(chosen)

    return Report(
        generated_at=NOW,
        summary=dict(summary),
        links=stream,
        timeline=fixture_timeline(runs),
    )


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
