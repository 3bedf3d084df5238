"""What the site rules (sites.py, moves.py) cost per checked page, next to what a check
already spends reading and judging the same page (titles.page_info + classify).

    python bench/bench_sites.py

Pure CPU, no network: each page is judged many times and the best of 5 rounds is
reported (the least disturbed by other load), in microseconds per page.
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from citecheck.classify import classify  # noqa: E402
from citecheck.models import FetchOutcome, Hop  # noqa: E402
from citecheck.moves import KnownContent  # noqa: E402
from citecheck.sites import consent_wall, site_verdict  # noqa: E402
from citecheck.titles import page_info  # noqa: E402

HTML = {"content-type": "text/html; charset=utf-8"}
ROUNDS = 5


def _article(size: int) -> bytes:
    """A news article of about ``size`` bytes: head scripts, navigation, paragraphs."""
    head = (
        "<!DOCTYPE html><html lang='en'><head><title>Swedish DPA: police unlawfully used "
        "facial recognition app | EDPB</title>"
        + "<script>window.dataLayer=window.dataLayer||[];function g(){dataLayer.push(arguments)}"
        "</script>"
        * 20
        + "</head><body><nav>"
        + "<a href='/news/'>News</a>" * 50
        + "</nav><article><h1>Police unlawfully used facial recognition app</h1>"
    )
    paragraph = (
        "<p>The Swedish data protection authority found that the police had used Clearview "
        "AI to identify people, in breach of the Criminal Data Act, and fined them.</p>"
    )
    body = head + paragraph * max(1, (size - len(head)) // len(paragraph))
    return (body + "</article></body></html>").encode()[:size]


def _youtube(size: int) -> bytes:
    player = {"playabilityStatus": {"status": "OK", "playableInEmbed": True}, "streamingData": {
        "formats": [{"itag": n, "url": "https://rr1.googlevideo.com/videoplayback?x=" + "a" * 500}
                    for n in range(100)]}}  # fmt: skip
    page = (
        "<html><head><title>Reclaim Your Face - YouTube</title></head><body><script>var "
        f"ytInitialPlayerResponse = {json.dumps(player)};</script>"
    ).encode()
    return page + b"<div>" + b"x" * max(0, size - len(page)) + b"</div>"


def _case(name: str, url: str, body: bytes, final_url: str | None = None) -> tuple:
    hops = (Hop(url, 301, final_url),) if final_url else ()
    outcome = FetchOutcome(
        url=url,
        final_url=final_url or url,
        status_code=200,
        headers=HTML,
        body=body,
        hops=hops,
    )
    return name, outcome


def _best_us(func, number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=ROUNDS)) / number * 1e6


def main() -> None:
    known = KnownContent(titles=("Swedish DPA: police unlawfully used facial recognition app",))
    edpb = "https://edpb.europa.eu/news/2021/x"
    cases = [
        _case("article 20 KiB, no redirect", edpb, _article(20_000)),
        _case("article 100 KiB, no redirect", edpb, _article(100_000)),
        _case("article 512 KiB (the cap)", edpb, _article(512 * 1024)),
        _case("article 100 KiB, 301 moved", edpb,
              _article(100_000), "https://www.edpb.europa.eu/news/national-news/2021/x"),
        _case("YouTube watch page 300 KiB (a rule matches)", "https://www.youtube.com/watch?v=x",
              _youtube(300_000)),
    ]  # fmt: skip
    print(f"{'page':48} {'read+judge':>12} {'site rules':>12} {'share':>7}")
    for name, outcome in cases:
        page = page_info(outcome.body, outcome.headers)
        generic = classify(outcome, page)
        number = 50 if len(outcome.body) > 200_000 else 200
        base = _best_us(lambda o=outcome: classify(o, page_info(o.body, o.headers)), number)
        rules = _best_us(
            lambda o=outcome, p=page, g=generic: (
                consent_wall(o),
                site_verdict(o, p, g, lambda: known),
            ),
            number * 10,
        )
        print(f"{name:48} {base:10.0f}µs {rules:10.1f}µs {rules / base:7.2%}")


if __name__ == "__main__":
    main()
