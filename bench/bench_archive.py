"""Benchmark `archive`: N broken links against a fake Wayback whose CDX takes 200 ms.

Each link has good captures before it died and 404 captures after, so each needs
one CDX look-up. Look-ups run concurrently under the CDX rate limit, so the run
should take close to the limit's floor, (N - 1) x the interval, however slow
each answer is. Prints the time taken against that floor, the achieved rate, the
peak number of look-ups in flight at the fake archive, and the peak RSS.

    python bench/bench_archive.py [--links 1000] [--latency 0.2] [--cdx-per-min 3000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import FakeWayback  # noqa: E402

from citecheck.config import ArchiveSettings, RateLimit, Settings  # noqa: E402
from citecheck.models import CheckResult, Citation, LinkState, Reason, Status  # noqa: E402
from citecheck.pipeline import archive_links_in_store  # noqa: E402
from citecheck.store import Store  # noqa: E402

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DIED = datetime(2024, 4, 2, tzinfo=UTC)


def _prepare(store: Store, wayback: FakeWayback, count: int) -> None:
    urls = [f"https://site{n % 50}.example/report/{n}" for n in range(count)]
    store.sync_citations((Citation(url=url, accessed="2024-03-15") for url in urls), now=NOW)
    run = store.begin_run("check", now=NOW)
    for url in urls:
        wayback.add_capture(url, "20230101000000")
        wayback.add_capture(url, "20240310000000")
        wayback.add_capture(url, "20240501000000", status=404)
        state = LinkState(
            url,
            Status.BROKEN,
            Reason.NOT_FOUND,
            404,
            checked_at=NOW,
            first_failure_at=DIED,
            consecutive_failures=3,
        )
        store.record_check(run, CheckResult(url, NOW, Status.BROKEN, Reason.NOT_FOUND, 404), state)
    store.finish_run(run, now=NOW, outcome="finished", summary={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per CDX answer")
    parser.add_argument("--cdx-per-min", type=float, default=3000.0)
    args = parser.parse_args()

    limit = RateLimit(args.cdx_per_min)
    with (
        FakeWayback(cdx_latency_s=args.latency) as wayback,
        tempfile.TemporaryDirectory() as tmp,
        Store.open(Path(tmp) / "archive.db") as store,
    ):
        _prepare(store, wayback, args.links)
        wayback.clear_log()
        settings = ArchiveSettings(wayback_url=wayback.base, cdx_rate=limit, save=False)
        started = time.monotonic()
        summary = archive_links_in_store(store, Settings(), settings, clock=lambda: NOW)
        elapsed = time.monotonic() - started
        starts = sorted(r.started_at for r in wayback.requests)
    floor = (args.links - 1) * limit.interval_s
    rate = (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"links: {args.links}, CDX latency {args.latency * 1000:.0f} ms")
    print(f"CDX limit: {args.cdx_per_min:g}/min ({1 / limit.interval_s:.1f}/s)")
    print(
        f"found a copy: {summary.with_copy}, without: {summary.without_copy}, "
        f"look-ups left: {summary.lookups_left}"
    )
    print(f"CDX requests: {len(starts)}, peak in flight: {wayback.max_concurrency()}")
    print(f"elapsed: {elapsed:.1f} s, floor: {floor:.1f} s (+{elapsed / floor - 1:.1%})")
    print(f"achieved rate: {rate:.2f}/s")
    print(f"peak RSS: {peak_rss_mib:.0f} MiB")
    default_floor = timedelta(seconds=(args.links - 1) * ArchiveSettings().cdx_rate.interval_s)
    print(f"at the default limit ({ArchiveSettings().cdx_rate.calls:g}/min): floor {default_floor}")


if __name__ == "__main__":
    main()
