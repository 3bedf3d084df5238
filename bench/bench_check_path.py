"""CPU per link of a plain check around the fetch: read, dispatch, judge, record.

`citecheck check` spends CPU per link outside the HTTP exchange: reading the link
and what the store knows of it, the dispatcher's queues and tasks, the judgement
(confirmation, drift), the rows and their batch in the database. This bench runs
the real ``pipeline.check_links_in_store`` over N links in a SQLite archive.db with
the fetch replaced by a canned answer (no sockets, no waiting), so what it times is
that work alone, plus reading a small page's title. Two checks run: the first of
the database (no drift baselines yet), then a second one (every live page has its
baseline, and drift is compared).

    python bench/bench_check_path.py                # 20,000 links over 200 hosts
    python bench/bench_check_path.py --links 2000 --hosts 20 --repeat 3
    python bench/bench_check_path.py --no-titles    # titles.page_info canned too

``--no-titles`` replaces the reading of each page's title and text (titles.py, a
benchmark of its own: bench_titles.py) by a canned one, leaving the dispatcher, the
checker's glue, classify, the judgement and the store.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from citecheck import check
from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.models import Citation, FetchOutcome, Hop, PageInfo
from citecheck.pipeline import check_links_in_store
from citecheck.store import Store

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


async def _canned(self: Fetcher, url: str, **_: object) -> FetchOutcome:
    """76% 200, 10% 404, 10% 301 to a page, 4% 500 (about the peer bench's mix)."""
    number = int(url.rsplit("p", 1)[1])
    share = number % 50
    if share < 38:
        return FetchOutcome(
            url, url, 200, {"content-type": "text/html; charset=utf-8"},
            body=_html(f"p{number}", f"<h1>p{number}</h1><p>A page.</p>"), elapsed_ms=100,
        )  # fmt: skip
    if share < 43:
        body = _html("404 Not Found", "<h1>Not Found</h1>")
        return FetchOutcome(url, url, 404, {"content-type": "text/html"}, body=body)
    if share < 48:
        final = url.replace("/page/", "/moved/")
        body = _html(f"m{number}", f"<h1>m{number}</h1><p>A page.</p>")
        return FetchOutcome(
            url, final, 200, {"content-type": "text/html"}, (Hop(url, 301, final),), body=body
        )
    body = _html("500 Internal Server Error")
    return FetchOutcome(url, url, 500, {"content-type": "text/html"}, body=body)


def _html(title: str, body: str = "") -> bytes:
    """A page as the fake web (tests/servers.py) serves it."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>{body}</body></html>\n"
    ).encode()


def _canned_page(body: bytes, headers: object, *, truncated: bool = False) -> PageInfo:
    """The title between <title> and </title>, a fingerprint made of it."""
    start = body.find(b"<title>")
    if start < 0:
        return PageInfo()
    title = body[start + 7 : body.find(b"</title>")].decode()
    return PageInfo(title=title, text_fingerprint=f"{hash(title) & (1 << 64) - 1:016x}")


def _run(links: int, hosts: int, *, titles: bool = True) -> dict[str, float]:
    Fetcher.fetch = _canned  # type: ignore[method-assign]
    if not titles:
        check.page_info = _canned_page  # type: ignore[assignment]
    settings = Settings(soft404_probe=False, probe_urls=())
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        with Store.open(db) as store:
            store.sync_citations(
                [Citation(f"https://h{n % hosts}.example/page/p{n}") for n in range(links)], now=T0
            )
        for label, at in (("first", T0), ("second", T0 + timedelta(days=1))):
            with Store.open(db) as store:
                cpu = time.process_time()
                summary = check_links_in_store(store, settings, clock=lambda at=at: at)
                spent = time.process_time() - cpu
            assert summary.checked == links, summary
            figures[f"{label}_cpu_s"] = round(spent, 3)
            figures[f"{label}_us_per_link"] = round(spent / links * 1e6, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-titles", action="store_true", help="titles.page_info canned")
    options = parser.parse_args()
    for _ in range(options.repeat):
        figures = _run(options.links, options.hosts, titles=not options.no_titles)
        print(json.dumps({"links": options.links, "titles": not options.no_titles, **figures}))


if __name__ == "__main__":
    main()
