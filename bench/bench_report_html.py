"""Benchmark the HTML report: 10,000 links x 100 checks, streamed.

Links are generated lazily, one at a time, the way the store streams them, with
histories as the store returns them (HistoryEntry tuples), so the peak RSS measures
the renderer and not the fixture. As after a scheduled run, each link has its next
check date, 1% of the live links have drifted, and the last run changed a few
dozen links. Prints the time taken, the peak RSS of the process, and the size of
the file (raw and gzipped, as a mail or a static host would send it).

    python bench/bench_report_html.py [--links N] [--checks N] [-o bench/out/report.html]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from citecheck.models import STATUS_ORDER, Citation, HistoryEntry, LinkState, Reason, Status
from citecheck.report import LinkReport, Report
from citecheck.report.html import write_html

NOW = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)
#: How the links are spread over statuses: mostly ok, as in a real campaign.
_SHARE = {
    Status.BROKEN: 0.03,
    Status.FAILING: 0.02,
    Status.BLOCKED: 0.02,
    Status.REDIRECTED: 0.08,
    Status.OK: 0.83,
    Status.SKIPPED: 0.01,
    Status.UNCHECKED: 0.01,
}
_CHECK_OF = {
    Status.BROKEN: (404, Reason.NOT_FOUND),
    Status.FAILING: (503, Reason.SERVER_ERROR),
    Status.BLOCKED: (403, Reason.BOT_PROTECTION),
    Status.REDIRECTED: (301, Reason.PERMANENT_REDIRECT),
    Status.OK: (200, None),
}
#: One live link in this many has drifted.
_DRIFT_EVERY = 100
#: Links of each kind the last run changed.
_CHANGED = 20


def _url(index: int) -> str:
    return f"https://site{index % 500}.example.org/reports/{index:06d}/annual-review.pdf"


def _drift(index: int, status: Status) -> dict[str, object] | None:
    if not status.is_success or index % _DRIFT_EVERY:
        return None
    return {
        "kind": "title+text",
        "before_title": f"Annual review {index}: housing, rents & the <cost> of living",
        "after_title": "Page moved: see our new <site>",
        "similarity": 0.5,
        "since": (NOW - timedelta(days=index % 30)).isoformat(),
    }


def _counts(links: int) -> dict[Status, int]:
    counts = {status: int(links * _SHARE[status]) for status in STATUS_ORDER}
    counts[Status.OK] += links - sum(counts.values())
    return counts


def _link(index: int, status: Status, checks: int) -> LinkReport:
    url = _url(index)
    history: list[HistoryEntry] = []
    if status in _CHECK_OF:
        for day in range(checks):
            check_status = status if day >= checks - 5 else Status.OK
            http_status, reason = _CHECK_OF[check_status]
            history.append(
                (
                    (NOW - timedelta(days=checks - day)).isoformat(),
                    check_status.value,
                    None if reason is None else reason.value,
                    http_status,
                )
            )
    failing = status.is_error or status is Status.BLOCKED
    state = LinkState(
        url=url,
        status=status,
        reason=_CHECK_OF.get(status, (None, None))[1],
        http_status=_CHECK_OF.get(status, (None, None))[0],
        final_url=f"{url}?moved=1" if status is Status.REDIRECTED else None,
        title=f"Annual review {index}: housing, rents & the <cost> of living",
        checked_at=NOW if history else None,
        first_failure_at=NOW - timedelta(days=5) if failing else None,
        consecutive_failures=5 if failing else 0,
        last_ok_at=NOW - timedelta(days=6) if history else None,
    )
    citation = Citation(
        url=url,
        document=f"docs/chapter-{index % 40:02d}.md",
        line=index % 700 + 1,
        title=f"Annual review {index}",
        context="Rents rose by 12% in the year to March, the fastest rise on record.",
    )
    archive = f"https://web.archive.org/web/20240101000000/{url}" if index % 2 else None
    due = NOW + timedelta(days=1 + index % 7) if history else None
    return LinkReport(
        state=state,
        citations=[citation],
        history=history,
        archive_url=archive,
        archive_timestamp="20240101000000" if archive else None,
        extra={
            "drift": _drift(index, status),
            "next_due": due.isoformat() if due is not None else None,
        },
    )


def build_report(links: int, checks: int, runs: int = 100) -> Report:
    counts = _counts(links)

    def statuses() -> Iterator[tuple[int, Status]]:
        index = 0
        for status in STATUS_ORDER:
            for _ in range(counts[status]):
                yield index, status
                index += 1

    def stream() -> Iterator[LinkReport]:
        for index, status in statuses():
            yield _link(index, status, checks)

    def drifted() -> Iterator[LinkState]:
        for index, status in statuses():
            drift = _drift(index, status)
            if drift is not None:
                yield LinkState(
                    url=_url(index), status=status, title=str(drift["after_title"]), drift=drift
                )

    timeline = [
        (NOW - timedelta(days=runs - run), {s.value: n for s, n in counts.items()})
        for run in range(runs)
    ]
    return Report(
        generated_at=NOW,
        summary={status.value: count for status, count in counts.items()},
        links=stream,
        timeline=timeline,
        changes={
            "newly_broken": [_url(index) for index in range(_CHANGED)],
            "recovered": [_url(links - 1 - index) for index in range(_CHANGED)],
            "newly_drifted": [_url(index * _DRIFT_EVERY) for index in range(_CHANGED)],
        },
        changes_at=NOW,
        drifted=drifted,
    )


def _gzipped_size(path: Path) -> int:
    packed = path.with_suffix(path.suffix + ".gz")
    with open(path, "rb") as raw, gzip.open(packed, "wb", compresslevel=6) as out:
        shutil.copyfileobj(raw, out)
    size = packed.stat().st_size
    packed.unlink()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("-o", "--output", type=Path, default=Path("bench/out/report.html"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = build_report(args.links, args.checks)
    start = time.perf_counter()
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        write_html(report, out)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    size = args.output.stat().st_size
    print(f"links x checks : {args.links} x {args.checks}")
    print(f"time           : {elapsed:.1f} s")
    print(f"peak RSS       : {peak_kib / 1024:.1f} MiB")
    print(f"file size      : {size / 1_000_000:.1f} MB ({size / args.links:.0f} bytes per link)")
    print(f"gzipped        : {_gzipped_size(args.output) / 1_000_000:.1f} MB")


if __name__ == "__main__":
    main()
