"""CPU per link of the store's part of a check: reading the links, recording the results.

A plain check reads every active link with what it needs (store.active_link_reads),
judges each result and records it a batch per transaction (recorder.CheckRecorder,
store.record_checks). This bench does exactly that over N links in a SQLite
archive.db, with canned results (no fetch, no dispatcher, no page reading), so what
it times is the store's work and the recorder's around it:

- ``read``: iterating active_link_reads and handing each link to LinksInFlight;
- ``add``: CheckRecorder.add without its batch writes (the judgement, the rows);
- ``judge``: of which judgement.judge alone (the verdict and drift, not the store's);
- ``flush``: writing the batches (store.record_checks, the commits).

Two checks run: the first of the database (every live page gets its drift
baseline), then a second one a day later (the baselines are compared).

    python bench/bench_record.py                   # 20,000 links over 200 hosts
    python bench/bench_record.py --links 2000 --hosts 20 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from citecheck.config import Settings
from citecheck.incidents import IncidentLog
from citecheck.judgement import judge
from citecheck.models import CheckResult, Citation, Hop, Reason, Status
from citecheck.recorder import CheckRecorder, LinksInFlight
from citecheck.store import Store

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def _result(url: str, number: int, at: datetime) -> CheckResult:
    """76% 200, 10% 404, 10% 301 to a page, 4% 500 (bench_check_path's mix), each at
    a time of its own (a run's clock moves)."""
    at = at + timedelta(microseconds=number * 997)
    share = number % 50
    if share < 38:
        return CheckResult(
            url, at, Status.OK, http_status=200, final_url=url, title=f"p{number}",
            content_type="text/html; charset=utf-8", elapsed_ms=100,
            text_fingerprint=f"{number:016x}",
        )  # fmt: skip
    if share < 43:
        return CheckResult(
            url, at, Status.BROKEN, Reason.NOT_FOUND, 404, url, title="404 Not Found",
            content_type="text/html", elapsed_ms=100, detail="HTTP 404",
        )  # fmt: skip
    if share < 48:
        final = url.replace("/page/", "/moved/")
        return CheckResult(
            url, at, Status.REDIRECTED, http_status=200, final_url=final,
            redirects=(Hop(url, 301, final),), title=f"m{number}", content_type="text/html",
            elapsed_ms=100, text_fingerprint=f"{number:016x}",
        )  # fmt: skip
    return CheckResult(
        url, at, Status.FAILING, Reason.SERVER_ERROR, 500, url, title="500",
        content_type="text/html", elapsed_ms=100, detail="HTTP 500",
    )  # fmt: skip


def _check(store: Store, settings: Settings, at: datetime, links: int) -> dict[str, float]:
    run_id = store.begin_run("check", now=at)
    in_flight = LinksInFlight()
    started = time.process_time()
    requests = [in_flight.request(read) for read in store.active_link_reads()]
    read_s = time.process_time() - started
    results = [_result(r.url, int(r.url.rsplit("p", 1)[1]), at) for r in requests]
    previous = [r.previous for r in requests]
    baselines = [in_flight.baseline(r.url) if r.status.is_success else None for r in results]

    flush_s = 0.0
    record_checks = store.record_checks

    def timed_record_checks(*args: object) -> None:
        nonlocal flush_s
        before = time.process_time()
        record_checks(*args)  # type: ignore[arg-type]
        flush_s += time.process_time() - before

    store.record_checks = timed_record_checks  # type: ignore[method-assign]
    incidents = IncidentLog(None)
    recorder = CheckRecorder(
        store, run_id, settings, incidents, on_recorded=lambda _: None,
        read_baseline=in_flight.baseline, **_as_the_pipeline_does(in_flight),
    )  # fmt: skip
    started = time.process_time()
    for before, result in zip(previous, results, strict=True):
        recorder.add(before, result, None)
        in_flight.forget(result.url)
    recorder.flush()
    record_s = time.process_time() - started
    store.finish_run(run_id, now=at, outcome="finished", summary={})
    assert recorder.waiting == 0

    started = time.process_time()
    for before, result, baseline in zip(previous, results, baselines, strict=True):
        judge(before, result, baseline, settings.confirmation)
    judge_s = time.process_time() - started
    per_link = 1e6 / links
    return {
        "read_us": round(read_s * per_link, 1),
        "add_us": round((record_s - flush_s) * per_link, 1),
        "judge_us": round(judge_s * per_link, 1),
        "flush_us": round(flush_s * per_link, 1),
        "store_us": round((read_s + record_s - judge_s) * per_link, 1),
    }


def _as_the_pipeline_does(in_flight: LinksInFlight) -> dict:
    """The recorder's options pipeline._check_all gives it, on the citecheck being run
    (an older one, with --citecheck-src, may lack some)."""
    fields = CheckRecorder.__dataclass_fields__
    return {"link_id_of": in_flight.link_id} if "link_id_of" in fields else {}


def _run(links: int, hosts: int) -> dict[str, dict[str, float]]:
    settings = Settings()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        with Store.open(db) as store:
            store.sync_citations(
                [Citation(f"https://h{n % hosts}.example/page/p{n}") for n in range(links)], now=T0
            )
        for label, at in (("first", T0), ("second", T0 + timedelta(days=1))):
            with Store.open(db) as store:
                figures[label] = _check(store, settings, at, links)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    for _ in range(options.repeat):
        print(json.dumps({"links": options.links, **_run(options.links, options.hosts)}))


if __name__ == "__main__":
    main()
