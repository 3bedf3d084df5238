"""The CPU a check spends on its links' URLs: every split, host look-up and
normalisation one link's URLs go through on a check's path, replayed in a check's
order over bench/bench_peer.py's links, in microseconds per link.

    python bench/bench_url_parts.py [--links 20000] [--hosts 200] [--rounds 5]
    PYTHONPATH=/tmp/urls-before/src python bench/bench_url_parts.py   # an older tree

Pure CPU, no network. What one link's URLs go through, in the order a check does it
(check.py, fetch/client.py, classify.py, sites.py):

* **dispatch**: the dispatcher reads the link into its window (``host_key``), the
  window's size ahead of checking it (check.DEFAULT_WINDOW links);
* **fetch**: the exclude test (``is_excluded``), ``normalize_url``, ``scheme_of``,
  the client's refusal check (``client_refusal``), the lane's host (``host_key``) and
  the request's URL (``request_url``); for a redirect (10% of the links), the same
  again for its target after ``urljoin``;
* **judge**: what the judgement asks of the URLs: ``consent_wall``'s host, the
  sibling probe's test and cache key, the redirect rules' paths and sites, the site
  rules' hosts (``platform_of``, ``parked_verdict``).

The judgement's other work (reading pages, rules on text) is bench/bench_judge.py's.
Every round starts with every cache of these modules emptied, as a new run does;
the best of ``--rounds`` rounds of process CPU time is reported (the round least
disturbed by other load).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_peer import _links  # noqa: E402

from citecheck import schedule, sites, urls, urlshapes  # noqa: E402
from citecheck.check import DEFAULT_WINDOW  # noqa: E402
from citecheck.config import Settings  # noqa: E402
from citecheck.fetch import reasons, request  # noqa: E402
from citecheck.models import FetchOutcome, Hop  # noqa: E402

_HTML = {"content-type": "text/html; charset=utf-8"}


def _empty_caches() -> None:
    for module in (urls, urlshapes, sites, schedule, reasons, request):
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):  # noqa: SLF001
                value.cache_clear()
    urlsplit.cache_clear()


def _fetch(url: str, settings: Settings) -> FetchOutcome:
    """The URL work of Checker._check up to the fetch's answer."""
    schedule.is_excluded(url, settings)
    target = urls.normalize_url(url)
    urls.scheme_of(target)
    reasons.client_refusal(target)
    urls.host_key(target)
    request.request_url(target)
    if "/m/" not in target:
        return FetchOutcome(url=url, final_url=target, status_code=200, headers=_HTML)
    location = dict(parse_qsl(urlsplit(target).query))["to"]
    next_url = urls.normalize_url(urljoin(target, location))
    urls.scheme_of(next_url)
    reasons.client_refusal(next_url)
    urls.host_key(next_url)
    request.request_url(next_url)
    hops = (Hop(target, 301, location),)
    return FetchOutcome(url=url, final_url=next_url, status_code=200, headers=_HTML, hops=hops)


def _judge(outcome: FetchOutcome) -> None:
    """The URL questions of the judgement of a 2xx HTML answer (Checker._check)."""
    sites.consent_wall(outcome)
    final = outcome.final_url
    if urlsplit(final).path not in ("", "/"):  # classify.needs_sibling_probe
        parts = urlsplit(final)  # Checker._sibling's cache key
        (parts.netloc.lower(), parts.path.rsplit("/", 1)[0])
    if outcome.hops and urlshapes.is_deep_link(outcome.url):  # classify's redirect rules
        urlshapes.is_front_page(final) and urlshapes.same_site(outcome.url, final)
    sites.platform_of(final)
    urlshapes.host_of(final).lower()  # parked_verdict's hosts
    urlshapes.host_of(outcome.url).lower()


def _round(links: list[str], settings: Settings, window: int) -> dict[str, float]:
    _empty_caches()
    started = time.process_time()
    for url in links:  # load_sources: every cited URL becomes its key
        urls.normalize_url(url)
    loaded = time.process_time()
    for url in links[:window]:
        urls.host_key(url)
    for index, url in enumerate(links):
        if index + window < len(links):
            urls.host_key(links[index + window])
        _judge(_fetch(url, settings))
    checked = time.process_time()
    return {"load": loaded - started, "check": checked - loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=20000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    links = _links(SimpleNamespace(port=41234), options.links, options.hosts)
    settings = Settings()
    rounds = [_round(links, settings, DEFAULT_WINDOW) for _ in range(options.rounds)]
    best = {part: min(spent[part] for spent in rounds) for part in rounds[0]}
    per_link = {part: round(seconds / len(links) * 1e6, 2) for part, seconds in best.items()}
    print(f"{len(links):,} links over {options.hosts} hosts, best of {options.rounds} rounds")
    print(f"source: {Path(urls.__file__).parent}")
    for part, micros in per_link.items():
        print(f"  {part:6s} {micros:7.2f} us a link")


if __name__ == "__main__":
    main()
