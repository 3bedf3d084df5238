"""What the recorder stores, column by column: the batch path (recorder.CheckRecorder,
store.record_checks) writes exactly the rows that ``record_check`` writes one check at
a time, and both write the rows recorded in :data:`ROWS_DIGEST` (taken before the
batch path was made cheaper, issue 11): every column of ``links`` and ``checks`` and
each run's count."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from citecheck.config import Settings
from citecheck.incidents import IncidentLog
from citecheck.judgement import judge
from citecheck.models import CheckResult, Citation, Hop, LinkState, Reason, Status
from citecheck.recorder import CheckRecorder, LinksInFlight
from citecheck.store import Store

T0 = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)
#: sha256 of _stored_rows for the scenario, with the host written as HOST.
ROWS_DIGEST = "cfe798fe8c9e809dcd619c7e7a2b03abd30950bf95943b55e3c6b686e0fda7ce"


def _rounds(host: str) -> list[list[CheckResult]]:
    """Four runs' results on ``host``: first sightings (baselines), redirects, errors
    confirmed over days, drift, a 304, a replayed older check, a link checked twice in
    one batch, one never synced, a PDF, a bot wall, times off UTC's own tzinfo."""

    def url(path: str) -> str:
        return f"https://{host}/{path}"

    def at(day: int, minute: int) -> datetime:
        return T0 + timedelta(days=day, minutes=minute, microseconds=minute * 1001)

    def ok(path: str, day: int, minute: int, **fields) -> CheckResult:
        fields = {"http_status": 200, "final_url": url(path), **fields}
        return CheckResult(url(path), at(day, minute), Status.OK, **fields)

    moved = url("moved")
    redirect = dict(
        final_url=moved,
        redirects=(Hop(url("old"), 301, "/moved"), Hop(moved, 302, moved)),
        title="Moved here",
        content_type="text/html",
        elapsed_ms=120,
        etag='"v1"',
        last_modified="Mon, 06 May 2024 03:00:00 GMT",
        text_fingerprint="ab" * 8,
    )
    failing = dict(reason=Reason.SERVER_ERROR, http_status=500, detail="HTTP 500")
    plus_two = datetime(2024, 5, 9, 5, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    return [
        [
            ok("page", 0, 1, title="A page", text_fingerprint="01" * 8, etag='"e1"'),
            CheckResult(url("old"), at(0, 2), Status.REDIRECTED, http_status=200, **redirect),
            CheckResult(
                url("gone"),
                at(0, 3),
                Status.BROKEN,
                Reason.NOT_FOUND,
                404,
                url("gone"),
                title="404 Not Found",
                detail="HTTP 404",
            ),
            CheckResult(url("flaky"), at(0, 4), Status.FAILING, **failing),
            ok("validators", 0, 5, etag='"only"', last_modified="Sun, 05 May 2024 GMT"),
            ok("never-synced", 0, 6, title="New", text_fingerprint="02" * 8),
            ok(
                "doc.pdf",
                0,
                7,
                title="A PDF",
                page_count=12,
                content_type="application/pdf",
                text_fingerprint="03" * 8,
            ),
            CheckResult(
                url("walled"),
                at(0, 8),
                Status.BLOCKED,
                Reason.BOT_PROTECTION,
                403,
                detail="a bot wall",
            ),
        ],
        [
            ok("page", 1, 1, title="Another title", text_fingerprint="ff" * 8, etag='"e2"'),
            ok("page", 1, 2, title="Another title", text_fingerprint="ff" * 8, etag='"e3"'),
            CheckResult(url("flaky"), at(1, 3), Status.FAILING, **failing),
            ok("validators", 1, 4, http_status=304),
            CheckResult(url("old"), at(1, 5), Status.REDIRECTED, http_status=200, **redirect),
            ok(
                "doc.pdf",
                1,
                6,
                title="A PDF",
                page_count=13,
                content_type="application/pdf",
                text_fingerprint="04" * 8,
            ),
        ],
        [
            CheckResult(url("flaky"), at(4, 1), Status.FAILING, **failing),  # now broken
            ok("gone", 4, 2, title="Back", text_fingerprint="05" * 8),
            ok("page", 0, 30, title="Late"),  # older than the state: history only
            CheckResult(
                url("walled"), plus_two, Status.FAILING, Reason.TIMEOUT, detail="timed out"
            ),
        ],
        [
            ok("flaky", 5, 1, title="Recovered", text_fingerprint="06" * 8),
            ok("page", 5, 2, title="A page", text_fingerprint="01" * 8),
            CheckResult(url("never-synced"), at(5, 3), Status.BROKEN, Reason.GONE, 410),
        ],
    ]


def _cited(host: str) -> list[Citation]:
    paths = ("page", "old", "gone", "flaky", "validators", "doc.pdf", "walled")
    return [Citation(f"https://{host}/{path}", document="d.md", line=n)
            for n, path in enumerate(paths)]  # fmt: skip


def _one_by_one(store: Store, host: str) -> Iterator[None]:
    """The reference: judged against what the store holds, one record_check each."""
    policy = Settings().confirmation
    for number, results in enumerate(_rounds(host)):
        run_id = store.begin_run("check", now=T0 + timedelta(days=number))
        for result in results:
            previous = store.link_state(result.url)
            baseline = store.drift_baseline(result.url) if result.status.is_success else None
            state, new_baseline = judge(previous, result, baseline, policy)
            store.record_check(run_id, result, state, baseline=new_baseline)
        yield


def _batched(store: Store, host: str, tmp_path: Path, *, ids_read: bool) -> Iterator[None]:
    """As a check run does: the links read first (store.active_link_reads, into
    LinksInFlight), then each result judged and recorded by the batch (of 3)."""
    for number, results in enumerate(_rounds(host)):
        run_id = store.begin_run("check", now=T0 + timedelta(days=number))
        in_flight = LinksInFlight()
        previous: dict[str, LinkState | None] = {}
        for read in store.active_link_reads():
            if read.state.url.startswith(f"https://{host}/"):
                previous[in_flight.request(read).url] = read.state
        if number > 0:  # a link never cited but checked before is read alone
            previous.update((url, state) for url, state in _unread(store, host, previous))
        recorder = CheckRecorder(
            store, run_id, Settings(), IncidentLog(tmp_path / "errors.log"), lambda _: None,
            max_checks=3, read_baseline=in_flight.baseline,
            link_id_of=in_flight.link_id if ids_read else None,
        )  # fmt: skip
        for result in results:
            state = recorder.add(previous.get(result.url), result, None)
            previous[result.url] = state
        recorder.flush()
        for url in previous:
            in_flight.forget(url)
        yield


def _unread(
    store: Store, host: str, read: dict[str, LinkState | None]
) -> list[tuple[str, LinkState | None]]:
    url = f"https://{host}/never-synced"
    return [] if url in read else [(url, store.link_state(url))]


def _stored_rows(store: Store, host: str) -> list[tuple]:
    """Every column of the host's links and checks, and its runs' counts, in order.
    (Only checks with their runs: a run of the other host's has the same time.)"""
    conn = store._conn
    links = conn.execute(
        "SELECT url, status, reason, http_status, final_url, title, page_count, checked_at,"
        " first_failure_at, consecutive_failures, last_ok_at, ever_ok, first_seen_at, etag,"
        " last_modified, baseline_title, baseline_fingerprint, baseline_at, drift"
        " FROM links WHERE url LIKE ? ORDER BY url",
        (f"https://{host}/%",),
    ).fetchall()
    checks = conn.execute(
        "SELECT links.url, runs.started_at, checks.checked_at, checks.status, checks.reason,"
        " checks.http_status, checks.final_url, checks.redirects, checks.title,"
        " checks.page_count, checks.content_type, checks.elapsed_ms, checks.detail,"
        " checks.etag, checks.last_modified, checks.text_fingerprint"
        " FROM checks JOIN links ON links.id = checks.link_id"
        " JOIN runs ON runs.id = checks.run_id WHERE links.url LIKE ? ORDER BY checks.id",
        (f"https://{host}/%",),
    ).fetchall()
    counts = conn.execute(
        "SELECT started_at, links_checked FROM runs WHERE id IN (SELECT run_id FROM checks"
        " JOIN links ON links.id = checks.link_id WHERE links.url LIKE ?) ORDER BY id",
        (f"https://{host}/%",),
    ).fetchall()
    return [tuple(row) for row in (*links, *checks, *counts)]


def _digest(rows: list[tuple], host: str) -> str:
    return hashlib.sha256(repr(rows).replace(host, "HOST").encode()).hexdigest()


def _recorded(
    store_backend: str, tmp_path: Path, record: Callable[[Store, str], Iterator[None]], host: str
) -> list[tuple]:
    """The rows stored after each run."""
    with Store.open(store_backend) as store:
        store.sync_citations(_cited(host), now=T0)
        return [row for _ in record(store, host) for row in _stored_rows(store, host)]


@pytest.mark.parametrize("ids_read", [True, False], ids=["ids-read", "ids-looked-up"])
def test_the_batch_path_stores_every_column_as_record_check_does(
    store_backend: str, tmp_path: Path, ids_read: bool
) -> None:
    """A run's recorder knows each link's id from its read (LinksInFlight.link_id); a
    worker's looks them up by URL. Both store what record_check stores."""

    def batched(store: Store, host: str) -> Iterator[None]:
        return _batched(store, host, tmp_path, ids_read=ids_read)

    one_by_one = _recorded(store_backend, tmp_path, _one_by_one, "one.example")
    rows = _recorded(store_backend, tmp_path, batched, "batch.example")
    assert len(rows) == (8 + 8 + 1) + (8 + 14 + 2) + (8 + 18 + 3) + (8 + 21 + 4)
    assert repr(rows).replace("batch.example", "HOST") == repr(one_by_one).replace(
        "one.example", "HOST"
    )
    assert _digest(one_by_one, "one.example") == ROWS_DIGEST


@pytest.mark.sqlite_only
def test_a_none_is_stored_as_null_through_the_none_adapter(tmp_path: Path) -> None:
    """store/sqlite.py registers an adapter for None (a faster bind): it must still be
    SQL NULL, not a text or a zero, in every column a check leaves empty."""
    url = "https://null.example/page"
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations([Citation(url)], now=T0)
        run_id = store.begin_run("check", now=T0)
        result = CheckResult(url, T0, Status.FAILING, Reason.TIMEOUT)
        state, _ = judge(None, result, None, Settings().confirmation)
        store.record_check(run_id, result, state)
        check = store._conn.execute(
            "SELECT typeof(http_status), typeof(final_url), typeof(redirects), typeof(title),"
            " typeof(etag), typeof(text_fingerprint) FROM checks"
        ).fetchone()
        link = store._conn.execute(
            "SELECT typeof(last_ok_at), typeof(drift), typeof(baseline_at) FROM links"
        ).fetchone()
    assert set(check) == set(link) == {"null"}
