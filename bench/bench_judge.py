"""What judging one fetched page costs: the steps check.Checker runs on every answer
(sites.consent_wall, titles.page_info, classify.needs_sibling_probe, classify.classify,
sites.site_verdict), in microseconds of CPU per page.

    python bench/bench_judge.py [--rounds 5] [--only fake]

Pure CPU, no network: each page is judged many times and the best of ``--rounds``
short rounds of process CPU time is reported (the least disturbed by other load).
A 2xx page is judged with its sibling probe's answer (Checker keeps those per
directory, so the probe's own reading is not counted). Two groups of pages:

* **fake web**: the tiny pages bench/bench_peer.py serves (200, 404, 500, and the
  page a 301 to another host lands on), with the mix of that workload weighted
  into one figure ("bench_peer mix");
* **real-web-like**: the pages tests/servers.py writes after what real sites serve
  (YouTube, Vimeo, TikTok, Facebook, parking landers, a challenge page, CNN's
  section front after a 301, legacy encodings) and news articles of 20 KiB-512 KiB
  (bench/bench_sites.py's).
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import servers  # noqa: E402
from bench_sites import _article  # noqa: E402

from citecheck.classify import classify, needs_sibling_probe, sibling_url  # noqa: E402
from citecheck.models import FetchOutcome, Hop, PageInfo  # noqa: E402
from citecheck.moves import KnownContent  # noqa: E402
from citecheck.sites import FOREIGN_PAGE_REASONS, consent_wall, site_verdict  # noqa: E402
from citecheck.titles import page_info  # noqa: E402

HTML = "text/html; charset=utf-8"
KNOWN = KnownContent(titles=("Police unlawfully used facial recognition app",))


def judge(outcome: FetchOutcome, probe: tuple[FetchOutcome, PageInfo] | None = None) -> tuple:
    """What Checker.check does with an answer, less the I/O (check.py). ``probe`` is
    the sibling probe's answer, read: Checker keeps it per directory of a host."""
    if consent_wall(outcome) is not None:
        return (None,)
    page = page_info(outcome.body, outcome.headers, truncated=outcome.body_truncated)
    sibling = probe if needs_sibling_probe(outcome, page) else None
    verdict = classify(outcome, page, sibling=sibling)
    verdict = site_verdict(outcome, page, verdict, lambda: KNOWN)
    if verdict.reason in FOREIGN_PAGE_REASONS:
        page = PageInfo()
    return page, sibling, verdict


def sibling_probe(outcome: FetchOutcome) -> tuple[FetchOutcome, PageInfo]:
    """The answer to a sibling probe: the fake web answers /p/* alike; a real site
    answers an invented path with its 404 page."""
    url = sibling_url(outcome.final_url, "c1t3ch3ck")
    if "/p/" in url:
        answer = _outcome(url, _peer_page("A page", url.rpartition("/")[2]))
    else:
        answer = _outcome(url, servers._html("Page not found", "<h1>Not Found</h1>"), 404)
    return answer, page_info(answer.body, answer.headers)


def _outcome(
    url: str,
    body: bytes,
    status: int = 200,
    *,
    content_type: str = HTML,
    final_url: str | None = None,
    hop_status: int = 301,
    headers: dict[str, str] | None = None,
) -> FetchOutcome:
    hops = (Hop(url, hop_status, final_url),) if final_url else ()
    return FetchOutcome(
        url=url,
        final_url=final_url or url,
        status_code=status,
        headers={
            "content-type": content_type,
            "content-length": str(len(body)),
            "date": "Wed, 02 Dec 2026 02:00:00 GMT",
            "server": "citecheck-fake-web",
            **(headers or {}),
        },
        body=body,
        hops=hops,
    )


def _peer_page(title: str, path: str) -> bytes:
    """The body bench_peer.py's fake web sends (its ``delayed`` handler)."""
    return (
        f"<html><head><title>{title}</title></head><body><p>{title}: {path}</p></body></html>"
    ).encode()


def fake_web_pages() -> list[tuple[str, float, FetchOutcome]]:
    """(name, share of bench_peer's links, outcome)."""
    base = "http://127.0.0.1:8080"
    other = "http://127.0.0.2:8080"
    return [
        ("200 /p/ page", 0.78, _outcome(f"{base}/p/1234", _peer_page("A page", "/p/1234"))),
        ("404 /g/ page", 0.10, _outcome(f"{base}/g/77", _peer_page("Not Found", "/g/77"), 404)),
        ("500 /e/ page", 0.02,
         _outcome(f"{base}/e/5", _peer_page("Internal Server Error", "/e/5"), 500)),
        ("301 to another host, 200", 0.10,
         _outcome(f"{base}/m/42?to={other}/p/moved-42", _peer_page("A page", "/p/moved-42"),
                  final_url=f"{other}/p/moved-42")),
    ]  # fmt: skip


def real_web_pages() -> list[tuple[str, FetchOutcome]]:
    s = servers
    watch = "https://www.youtube.com/watch?v=removedA1"
    cnn = "https://edition.cnn.com"
    return [
        ("builtin /page/x", _outcome("http://x.test/page/story",
         s._html("story", "<h1>story</h1><p>A page.</p>"))),
        ("builtin 404", _outcome("http://x.test/gone", s._html("404 Not Found",
         "<h1>Not Found</h1>"), 404)),
        ("challenge 403 (cf-mitigated)", _outcome("http://x.test/challenge", s._html(
         "Just a moment...", "<h1>Checking your browser before accessing the site.</h1>"
         "<noscript>Enable JavaScript and cookies to continue</noscript>"), 403,
         headers={"cf-mitigated": "challenge"})),
        ("windows-1252, undeclared", _outcome("http://x.test/charset/undeclared",
         "<html><head><title>Café résumé</title></head><body>x</body></html>"
         .encode("windows-1252"), content_type="text/html")),
        ("iso-8859-1, <meta charset>", _outcome("http://x.test/charset/meta",
         '<html><head><meta charset="iso-8859-1"><title>Café</title></head><body>x</body>'
         "</html>".encode("iso-8859-1"), content_type="text/html")),
        ("YouTube watch, removed", _outcome(watch, s._yt_page("removedA1"))),
        ("YouTube watch, plays", _outcome(watch, s._yt_page("okvideo001"))),
        ("consent wall", _outcome(watch, s._CONSENT_PAGE,
         final_url="https://consent.youtube.com/m?continue=x", hop_status=302)),
        ("Vimeo password", _outcome("https://vimeo.com/123456789", s._VIMEO_PASSWORD)),
        ("TikTok private", _outcome("https://www.tiktok.com/@c/video/7100000000000000002",
         s._tiktok(10216))),
        ("Facebook gone", _outcome("https://www.facebook.com/campaign/posts/1001",
         s._FACEBOOK_GONE)),
        ("Bodis lander via ww1", _outcome("http://iborderctrl.no/", s._BODIS_LANDER,
         final_url="http://ww1.iborderctrl.no/", hop_status=302)),
        ("Sedo parking", _outcome("http://lapsed-campaign.org/a/b", s._SEDO_PARKING)),
        ("article about parking", _outcome("http://news.test/articles/domain-parking-scams",
         s._ABOUT_PARKING)),
        ("CNN 301 to section front", _outcome(
         f"{cnn}/2021/05/04/tech/pimeyes-facial-recognition/index.html", s._CNN_TECH,
         final_url=f"{cnn}/business/tech")),
        ("article 20 KiB", _outcome("https://edpb.europa.eu/news/2021/x", _article(20_000))),
        ("article 100 KiB", _outcome("https://edpb.europa.eu/news/2021/x", _article(100_000))),
        ("article 512 KiB (the cap)", _outcome("https://edpb.europa.eu/news/2021/x",
         _article(512 * 1024))),
    ]  # fmt: skip


def _best_us(func, rounds: int, budget_s: float = 0.02) -> float:
    # CPU time of this process, not wall time: other load on the machine inflates wall.
    timer = timeit.Timer(func, timer=time.process_time)
    number = max(1, int(budget_s / max(timer.timeit(number=3) / 3, 1e-7)))
    return min(timer.repeat(number=number, repeat=rounds)) / number * 1e6


def _row(name: str, outcome: FetchOutcome, rounds: int) -> float:
    read = _best_us(
        lambda: page_info(outcome.body, outcome.headers, truncated=outcome.body_truncated),
        rounds,
    )
    probe = sibling_probe(outcome)
    whole = _best_us(lambda: judge(outcome, probe), rounds)
    print(f"{name:34}{len(outcome.body):>9,}{read:>12.1f}{whole:>12.1f}")
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--only", choices=("fake", "real"))
    args = parser.parse_args()
    print(f"{'page':34}{'bytes':>9}{'page_info':>12}{'judged':>12}   (µs CPU per page)")
    if args.only != "real":
        mix = 0.0
        for name, share, outcome in fake_web_pages():
            mix += share * _row(name, outcome, args.rounds)
        print(f"{'bench_peer mix (weighted)':34}{'':9}{'':12}{mix:>12.1f}")
    if args.only != "fake":
        for name, outcome in real_web_pages():
            _row(name, outcome, args.rounds)


if __name__ == "__main__":
    main()
