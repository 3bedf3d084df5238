"""Tests for citecheck.pipeline's pure parts: judging a result (status, validators,
drift baseline) and what a run reports as changed; and the fix decisions."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from citecheck.captures import Snapshot
from citecheck.config import ConfirmationPolicy
from citecheck.judgement import change_of, judge
from citecheck.models import (
    CheckResult,
    Citation,
    LinkState,
    PageSnapshot,
    Reason,
    Status,
)
from citecheck.pipeline import fix_decisions
from citecheck.store import Store
from citecheck.titles import fingerprint

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
URL = "https://news.example/story"
POLICY = ConfirmationPolicy()
STORY = (
    "The regional police have used a face recognition system at the border crossing since "
    "the spring according to documents obtained by the campaign and seen by reporters"
)
OTHER = (
    "This page now hosts the annual report on cycling infrastructure with new lanes parking "
    "for bicycles and a survey of commuters across the whole of the capital region"
)


def ok(at: datetime, **fields: object) -> CheckResult:
    return CheckResult(
        **{"url": URL, "checked_at": at, "status": Status.OK, "http_status": 200, **fields}
    )


def test_the_first_live_sighting_becomes_the_drift_baseline() -> None:
    result = ok(T0, title="Border cameras", text_fingerprint=fingerprint(STORY), etag='"a"')
    state, baseline = judge(None, result, None, POLICY)
    assert baseline == PageSnapshot("Border cameras", fingerprint(STORY), T0)
    assert (state.status, state.etag, state.drift) == (Status.OK, '"a"', None)


def test_a_rewritten_page_drifts_and_keeps_the_date_it_first_drifted() -> None:
    baseline = PageSnapshot("Border cameras", fingerprint(STORY), T0)
    first, _ = judge(None, ok(T0), baseline, POLICY)
    drifted, new_baseline = judge(
        first, ok(T0 + timedelta(days=7), title="Cycling", text_fingerprint=fingerprint(OTHER)),
        baseline, POLICY,
    )  # fmt: skip
    assert new_baseline is None
    assert drifted.status is Status.OK
    assert drifted.drift is not None and drifted.drift["kind"] == "title+text"
    later, _ = judge(
        drifted, ok(T0 + timedelta(days=14), title="Cycling", text_fingerprint=fingerprint(OTHER)),
        baseline, POLICY,
    )  # fmt: skip
    assert later.drift is not None and later.drift["since"] == drifted.drift["since"]


def test_a_304_and_a_failure_keep_validators_and_drift() -> None:
    previous = LinkState(URL, Status.OK, checked_at=T0, etag='"a"', drift={"kind": "title"})
    not_modified, baseline = judge(
        previous, ok(T0 + timedelta(days=7), http_status=304), None, POLICY
    )
    assert (not_modified.etag, not_modified.drift, baseline) == ('"a"', {"kind": "title"}, None)
    failing = CheckResult(
        url=URL, checked_at=T0 + timedelta(days=8), status=Status.FAILING, reason=Reason.TIMEOUT
    )
    state, _ = judge(not_modified, failing, None, POLICY)
    assert (state.status, state.etag, state.drift) == (Status.FAILING, '"a"', {"kind": "title"})


def test_changes_a_run_reports() -> None:
    ok_state = LinkState(URL, Status.OK)
    broken = LinkState(URL, Status.BROKEN)
    failing = LinkState(URL, Status.FAILING)
    drifted = LinkState(URL, Status.OK, drift={"kind": "text"})
    assert change_of(ok_state, broken) == "newly_broken"
    assert change_of(None, broken) == "newly_broken"
    assert change_of(broken, broken) is None
    assert change_of(failing, ok_state) == "recovered"
    assert change_of(broken, ok_state) == "recovered"
    assert change_of(ok_state, failing) == "newly_failing"
    assert change_of(failing, failing) is None
    assert change_of(ok_state, drifted) == "newly_drifted"
    assert change_of(drifted, drifted) is None


def test_fix_decisions_follow_status_and_archived_copy(tmp_path: Path) -> None:
    urls = {
        s: f"https://site.example/{s}"
        for s in ("gone", "nocopy", "moved", "down", "wall", "fine", "elsewhere")
    }
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations(
            (Citation(url=u, document="d.md", line=1) for u in urls.values()), now=T0
        )
        run = store.begin_run("check", now=T0)
        states = {
            "gone": LinkState(urls["gone"], Status.BROKEN, Reason.NOT_FOUND),
            "nocopy": LinkState(urls["nocopy"], Status.BROKEN, Reason.GONE),
            "moved": LinkState(urls["moved"], Status.REDIRECTED, final_url="https://new.example/"),
            "down": LinkState(urls["down"], Status.FAILING, Reason.SERVER_ERROR),
            "wall": LinkState(urls["wall"], Status.BLOCKED, Reason.BOT_PROTECTION),
            "fine": LinkState(urls["fine"], Status.OK),
            "elsewhere": LinkState(
                urls["elsewhere"],
                Status.REDIRECTED,
                Reason.REDIRECT_UNVERIFIED,
                final_url="https://site.example/another/page",
            ),
        }
        for state in states.values():
            result = CheckResult(url=state.url, checked_at=T0, status=state.status)
            store.record_check(run, result, state)
        ids = {r.state.url: r.link_id for r in store.iter_archive_rows()}
        capture = Snapshot("20240115093000", urls["gone"], 200, "text/html")
        copy = f"https://web.archive.org/web/20240115093000/{urls['gone']}"
        store.record_lookup(
            ids[urls["gone"]],
            looked_up_at=T0,
            anchor=T0,
            found=[(capture, None)],
            chosen=capture,
            archive_url=copy,
        )
        store.record_lookup(
            ids[urls["nocopy"]], looked_up_at=T0, anchor=T0, found=[], chosen=None, archive_url=None
        )
        decisions = fix_decisions(store)
    assert decisions[urls["nocopy"]].action == "leave"
    assert "no good capture" in decisions[urls["nocopy"]].why
    swap = decisions[urls["gone"]]
    assert (swap.action, swap.new_url, swap.version_date) == ("swap", copy, "2024-01-15")
    assert decisions[urls["moved"]].action == "update"
    assert decisions[urls["moved"]].new_url == "https://new.example/"
    assert (
        decisions[urls["down"]].action == "leave"
        and "not yet confirmed" in decisions[urls["down"]].why
    )
    assert decisions[urls["wall"]].action == "leave" and "by hand" in decisions[urls["wall"]].why
    assert urls["fine"] not in decisions
    # A move not shown to be the same content is never written into a document.
    elsewhere = decisions[urls["elsewhere"]]
    assert elsewhere.action == "leave" and "not shown to be the cited content" in elsewhere.why


def test_extract_matches_a_title_only_citation_by_the_title_a_page_was_seen_with(
    tmp_path: Path,
) -> None:
    from citecheck.pipeline import extract_to_sources

    pdf = "https://ngo.example/RISE_REPORT.pdf"
    doc = tmp_path / "campaign.txt"
    doc.write_text(
        f"The database holds 7 million foreigners: {pdf} [p.67]\n"
        "Three cities became living labs: The rise and rise of biometric mass surveillance”"
        " [p.88]\n"
    )
    sources = tmp_path / "sources.csv"
    found, _ = extract_to_sources([doc], sources)
    assert [c.title for c in found[0].unresolved] == [
        "The rise and rise of biometric mass surveillance"
    ]
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations([Citation(url=pdf, document="campaign.txt", line=1)], now=T0)
        run = store.begin_run("check", now=T0)
        seen = LinkState(pdf, Status.OK, title="The rise and rise of biometric mass surveillance")
        store.record_check(run, CheckResult(url=pdf, checked_at=T0, status=Status.OK), seen)
        found, summary = extract_to_sources([doc], sources, store=store)
    (matched,) = found[0].matched
    assert (matched.url, matched.page, matched.line) == (pdf, "88", 2)
    assert summary.added == 1


#: What a check does not need before its first request (issue 11: start-up): the
#: page readers until a page is read, the reports, the archive clients, the config
#: file's parser until there is one, difflib until two titles differ, the page check
#: (pages/ and its dataclasses) until a citation names a page or a claim; never
#: httpx's own command line and what it pulls in (pygments, rich: citecheck/__init__.py);
#: nor what only the other commands use (extract, fix, workers, db copy, PostgreSQL).
_NOT_AT_START = (
    "lxml",
    "charset_normalizer",
    "citecheck.titles",
    "citecheck.decoding",
    "citecheck.report",
    "citecheck.outputs",
    "citecheck.archive.memento",
    "tomllib",
    "difflib",
    "citecheck.pages",
    "citecheck.pages.models",
    "pygments",
    "rich",
    # what other commands use and a check never did (issue 11: kept out of its start)
    "sqlite_utils",
    "psycopg",
    "pypdf",
    "bs4",
    "citecheck.extract",
    "citecheck.fix",
    "citecheck.workers",
    "citecheck.prescan",
    "citecheck.pdfmeta",
    "citecheck.archive.wayback",
    "citecheck.archive.job",
    "citecheck.store.copy",
    "citecheck.store.maintenance",
    "citecheck.store.postgres",
    # issue 11: a fetch needs neither httpx nor its client (ssl: asyncio imports it)
    "httpx",
    "httpcore",
    "http.cookiejar",
    "urllib.request",
    "email.utils",
    "idna",
    "citecheck.fetch.transport",
    # the archive's clients and the reports' builder (only `archive`, `run`, `report`),
    # the document readers' parsers, and the installed packages' metadata (--version
    # is given its version, not asked to look it up)
    "citecheck.archive.run",
    "citecheck.archive.policy",
    "citecheck.archive.ratelimit",
    "citecheck.archive.memento_client",
    "citecheck.archive.elsewhere",
    "citecheck.report.build",
    "zipfile",
    "xml.etree.ElementTree",
    "html.parser",
    "importlib.metadata",
    # the judges: imported once a check's first requests are out (judges.py), and the
    # archive stage (only `archive` and `run`)
    "citecheck.classify",
    "citecheck.sites",
    "citecheck.moves",
    "citecheck.markers",
    "citecheck.urlshapes",
    "citecheck.judgement",
    "citecheck.drift",
    "citecheck.verdict",
    "secrets",
    "hmac",
    "citecheck.archiving",
    "citecheck.extracting",
    # issue 11, the thirteenth step: tempfile (atomic.py imports it when it writes)
    "tempfile",
    # the archive's values (captures.py): a frozen dataclass is ~4 M instructions to create
    "citecheck.captures",
    # the store's rows for reports, archiving and fix (store/records.py)
    "citecheck.store.records",
    # issue 11, the fourteenth step: a check's summary and the job's (two dataclasses)
    # are built at its end (summaries.py)
    "citecheck.summaries",
    # ... and random, imported at a fetch's first retry (fetch/retries.py), and the
    # tables of the addresses --exclude-private refuses (fetch/addresses.py)
    "random",
    "citecheck.fetch.addresses",
)


def test_a_check_starts_without_what_its_first_request_does_not_need() -> None:
    code = (
        "import sys, citecheck.cli, citecheck.pipeline, citecheck.fetch\n"
        "from citecheck.archive.archives import default_memento_settings\n"
        "default_memento_settings()\n"
        f"print(*[name for name in {_NOT_AT_START!r} if name in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == []


# --- issue 11: a check's fetches need neither httpx nor its client ---------------------

_LOADED_AT_EXIT = """
import atexit, runpy, sys
_path = sys.argv[1]
def _loaded():
    with open(_path, "w") as out:
        out.write(" ".join(n for n in ("httpx", "httpcore", "http.cookiejar") if n in sys.modules))
atexit.register(_loaded)
sys.argv = ["citecheck", *sys.argv[2:]]
runpy.run_module("citecheck", run_name="__main__")
"""


def _check_in_subprocess(
    tmp_path: Path, urls: list[str], *extra: str, code: str = _LOADED_AT_EXIT
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``citecheck check`` of ``urls`` in a new process: its outcome, and which of
    httpx, httpcore and http.cookiejar were loaded when it ended."""
    import csv
    import os

    with open(tmp_path / "sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        writer.writerows([url, f"campaign.md:{n}"] for n, url in enumerate(urls, start=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
    env["CITECHECK_PROBE_URLS"] = "http://127.0.0.1:9/"
    loaded = tmp_path / "loaded.txt"
    args = ["check", "--resolve", "site.test:127.0.0.1", "--quiet", *extra]
    done = subprocess.run(
        [sys.executable, "-c", code, str(loaded), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    return done, loaded.read_text().split()


_JUDGES_IMPORTED_AT = """
import runpy, sys, time
_path = sys.argv[1]
class _Seen:
    def find_spec(self, name, path=None, target=None):
        if name == "citecheck.classify":
            # The loop is held: a request not written before this import starts is
            # not written in these 0.2 s, so the server cannot have it before `at`.
            time.sleep(0.2)
            with open(_path, "a") as out:
                out.write(f"{time.monotonic()!r} ")
sys.meta_path.insert(0, _Seen())
sys.argv = ["citecheck", *sys.argv[2:]]
runpy.run_module("citecheck", run_name="__main__")
"""


def test_a_check_imports_its_judges_after_its_first_requests_reached_the_server(
    tmp_path: Path,
) -> None:
    """The judges (classify.py, sites.py, ...: judges.py) are imported once, after
    the first links' requests reached the server and before any was answered."""
    from servers import FakeWeb

    with FakeWeb(latency_s=0.5) as web:
        base = f"http://site.test:{web.port}"
        urls = [f"{base}/page/{n}" for n in range(4)]
        done, imported_at = _check_in_subprocess(tmp_path, urls, code=_JUDGES_IMPORTED_AT)
        assert done.returncode == 0, done.stderr
        web.settle()
        requests = web.requests
    (at,) = map(float, imported_at)  # imported once
    first_arrived = min(r.started_at for r in requests)
    first_answered = min(r.finished_at for r in requests if r.finished_at is not None)
    assert first_arrived < at < first_answered
    assert set(_statuses(tmp_path).values()) == {200}


_IMPORTED_AT_FIRST_CONNECTION = """
import asyncio, runpy, sys
_path, _names = sys.argv[1], {names!r}
_open_connection = asyncio.open_connection
async def _first_connection(*args, **kwargs):
    if asyncio.open_connection is _first_connection:
        asyncio.open_connection = _open_connection
        with open(_path, "w") as out:
            out.write(" ".join(name for name in _names if name in sys.modules))
    return await _open_connection(*args, **kwargs)
asyncio.open_connection = _first_connection
sys.argv = ["citecheck", *sys.argv[2:]]
runpy.run_module("citecheck", run_name="__main__")
"""


def test_a_check_opens_its_first_connection_without_its_summary_or_random(
    tmp_path: Path,
) -> None:
    """What a check builds at its end (its summary: summaries.py) or at a retry
    (the backoff's jitter: random) is not yet imported when its first connection
    opens (citecheck.fetch, which opens it, is)."""
    from servers import FakeWeb

    names = ("citecheck.fetch", "citecheck.summaries", "random")
    code = _IMPORTED_AT_FIRST_CONNECTION.format(names=names)
    with FakeWeb() as web:
        urls = [f"http://site.test:{web.port}/page/{n}" for n in range(3)]
        done, imported = _check_in_subprocess(tmp_path, urls, code=code)
        assert done.returncode == 0, done.stderr
    assert imported == ["citecheck.fetch"]
    assert set(_statuses(tmp_path).values()) == {200}


def _statuses(tmp_path: Path) -> dict[str, int | None]:
    import sqlite3

    conn = sqlite3.connect(tmp_path / "archive.db")
    try:
        rows = conn.execute("SELECT url, http_status FROM links").fetchall()
    finally:
        conn.close()
    return dict(rows)


def test_a_check_over_http_never_imports_httpx(tmp_path: Path) -> None:
    """Fetches over plain http (a redirect followed, a 404) go to citecheck's pools
    without httpx, its client, its cookie jar or httpcore; so does the second run,
    whose requests carry the validators the first one stored."""
    from servers import FakeWeb

    with FakeWeb() as web:
        base = f"http://site.test:{web.port}"
        urls = [f"{base}/ok", f"{base}/redirect/301?to=/page/a", f"{base}/page/b", f"{base}/gone"]
        for _ in range(2):
            done, loaded = _check_in_subprocess(tmp_path, urls)
            assert done.returncode in (0, 1), done.stderr
            assert loaded == [], loaded
    statuses = _statuses(tmp_path)
    assert statuses[f"{base}/ok"] == 200
    assert statuses[f"{base}/redirect/301?to=/page/a"] == 200  # followed
    assert statuses[f"{base}/gone"] == 404


def test_a_check_over_https_works_without_httpx(tmp_path: Path) -> None:
    """An https link: the TLS context is made on the first TLS connection (tls.py,
    here trusting the test's authority), the certificate is checked for the name
    sent as SNI, and httpx is still not needed."""
    import ssl

    import trustme
    from servers import FakeWeb

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("site.test").configure_cert(server_context)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    authorities = str(tmp_path / "ca.pem")
    trusting = (
        "import citecheck.fetch.tls as tls, ssl\n"
        f"tls.verified_context = lambda: ssl.create_default_context(cafile={authorities!r})\n"
    )
    with FakeWeb(ssl_context=server_context) as web:
        url = f"https://site.test:{web.port}/ok"
        done, loaded = _check_in_subprocess(tmp_path, [url], code=trusting + _LOADED_AT_EXIT)
    assert done.returncode == 0, done.stderr
    assert loaded == [], loaded
    assert _statuses(tmp_path) == {url: 200}


def test_load_sources_counts_the_active_links_as_status_counts_sums_them(
    tmp_path: Path,
) -> None:
    """The check's progress line takes its total from the load's summary, not from a
    second count: the two agree, with links no longer cited, a link cited twice
    (in two spellings), an invalid URL and a non-http one."""
    from citecheck.models import Citation
    from citecheck.pipeline import load_sources

    now = datetime(2026, 1, 1, tzinfo=UTC)
    sources = tmp_path / "sources.csv"
    sources.write_text(
        "url,cited_in,title\n"
        "https://b.example/x,a.md:1,\n"
        "HTTPS://B.example:443/x,a.md:2,Bee\n"
        "https://d.example/,a.md:3,\n"
        "not a url,a.md:4,\n"
        "mailto:someone@example.org,a.md:5,\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations(
            [Citation(url) for url in ("https://a.example/", "https://b.example/x")], now=now
        )
        loaded = load_sources(store, sources, now=now)
        assert loaded.citations == 5
        assert loaded.active_links == sum(store.status_counts().values()) == 4
