"""Generated answers of every shape a page judgement meets, and a digest of how each is
judged: the corpus of tests/test_judgement_unchanged.py.

Each answer is a random page (nested content and boilerplate elements, hidden and
inline ones, titles in <svg>, og:title, not-found words, challenge and parking markers,
platform states, malformed markup, control characters, five ways of declaring an
encoding, cut off mid-character) under a random URL, status and redirect. The digest
covers all that titles.py reads and classify.py and sites.py decide of it, so a faster
implementation can be shown to judge every page exactly as before.

    python tests/judged_pages.py > tests/data/judged_pages.txt   # only to re-record
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from citecheck.classify import classify, needs_sibling_probe  # noqa: E402
from citecheck.models import FetchOutcome, Hop  # noqa: E402
from citecheck.moves import KnownContent  # noqa: E402
from citecheck.sites import consent_wall, site_verdict  # noqa: E402
from citecheck.titles import html_text, page_info  # noqa: E402

PAGES = 1500
SEED = 20261202

_WORDS = (
    "the", "committee", "report", "river", "water", "quality", "found", "nitrate", "basin",
    "404", "not", "found", "page", "cannot", "be", "nicht", "gefunden", "introuvable",
    "Just", "a", "moment...", "domain", "may", "for", "sale", "Café", "élève", "日本語",
    "не", "найден", "İstanbul", "straße", "x", "&amp;", "&nbsp;", "&#8230;", "&lt;b&gt;",
    "\x07", "\x0b", "  ", "\n", "\t", "Access", "Denied", "Reference", "#18.5e6e",
    "checking", "your", "browser", "buy", "this", "A", "page:", "/p/123", "2021",
)  # fmt: skip
_CONTAINERS = (
    "div", "section", "article", "main", "nav", "header", "footer", "aside", "form", "ul",
    "li", "table", "td", "noscript", "template", "svg", "math", "iframe", "button", "select",
    "figure", "blockquote",
)  # fmt: skip
_LEAVES = ("p", "h1", "h2", "span", "a", "b", "i", "em", "time", "strong", "code", "small",
           "label", "td", "title", "script", "style", "option")  # fmt: skip
_CLASSES = (
    "ad", "ads", "header", "download", "related-stories", "mostRead", "most-read", "content",
    "tag-social-media", "promo", "advertisement", "commentary", "shared", "story-body",
    "ad-slot", "cookieBanner", "byline", "entry", "ADVert", "x" * 300, "share_bar",
)  # fmt: skip
_ROLES = ("navigation", "main", "banner", "search", "contentinfo", "article", "NAVIGATION x")
_MARKERS = (
    "cf-chl-widget", "/cdn-cgi/challenge-platform/h/b", "sedoparking.com", "window.park = ",
    "This domain may be for sale", "errors.edgesuite.net", "Reference&#32;&#35;18.5",
    "DDoS-Guard", "ytInitialPlayerResponse", 'id="pw_form"', "_Incapsula_Resource",
)  # fmt: skip
_URLS = (
    "https://news.example.org/2021/05/04/story-about-rivers.html",
    "https://news.example.org/",
    "https://news.example.org/en/",
    "http://127.0.0.1:8080/p/1234",
    "https://www.youtube.com/watch?v=abcdefghijk",
    "https://vimeo.com/123456789",
    "https://www.facebook.com/campaign/posts/1001",
    "https://www.tiktok.com/@c/video/7100000000000000002",
    "http://iborderctrl.no/",
    "https://shop.example.co.uk/item/42/",
)  # fmt: skip
_FINALS = (
    "https://news.example.org/",
    "https://news.example.org/login?next=%2F2021%2F05%2F04%2Fstory-about-rivers.html",
    "https://www.news.example.org/2021/05/04/story-about-rivers.html",
    "https://other.example.net/moved/story-about-rivers",
    "https://consent.youtube.com/m?continue=x",
    "https://consent.yahoo.com/v2/collectConsent",
    "http://ww1.iborderctrl.no/",
    "https://dan.com/buy-domain/old-ngo.org",
    "https://news.example.org/search?q=rivers",
    "https://news.example.org/tag/rivers",
)  # fmt: skip
_PLAYER = (
    'var ytInitialPlayerResponse = {"playabilityStatus":{"status":"ERROR","reason":'
    '"Video unavailable"}};',
    'var ytInitialPlayerResponse = {"playabilityStatus":{"status":"OK"}};',
    '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">{"__DEFAULT_SCOPE__":'
    '{"webapp.video-detail":{"statusCode":10216,"statusMsg":"private"}}}</script>',
    "<h2>This content isn't available right now</h2>",
)
_ENCODINGS = ("utf-8", "windows-1252", "shift_jis", "iso-8859-1", "euc-jp")


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.choice((0, 1, 2, 3, 5, 9, 14, 30))))


def _attributes(rng: random.Random) -> str:
    out = []
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
        kind = rng.randrange(7)
        if kind == 0:
            out.append(f'class="{rng.choice(_CLASSES)} {rng.choice(_CLASSES)}"')
        elif kind == 1:
            out.append(f"id='{rng.choice(_CLASSES)}'")
        elif kind == 2:
            out.append(f'role="{rng.choice(_ROLES)}"')
        elif kind == 3:
            out.append(f'aria-hidden="{rng.choice(("true", " TRUE ", "false"))}"')
        elif kind == 4:
            out.append("hidden")
        elif kind == 5:
            out.append(f'class="{rng.choice(_CLASSES)}"')
        else:
            out.append(f"data-x={rng.randrange(100)}")
    return (" " + " ".join(out)) if out else ""


def _element(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth > 5 or roll < 0.35:
        tag = rng.choice(_LEAVES)
        close = "" if rng.random() < 0.05 else f"</{tag}>"
        return f"<{tag}{_attributes(rng)}>{_text(rng)}{close}{_text(rng) if roll < 0.1 else ''}"
    if roll < 0.4:
        return rng.choice(("<br>", "<hr/>", "<!-- a comment -->", "</div>", "<![CDATA[x]]>",
                           "<img alt='a'>", "<meta property='og:title' content='OG title'>",
                           "<?php x ?>"))  # fmt: skip
    if roll < 0.41:
        return rng.choice(_MARKERS)
    tag = rng.choice(_CONTAINERS)
    inner = "".join(_element(rng, depth + 1) for _ in range(rng.choice((0, 1, 2, 3, 4))))
    tail = _text(rng) if rng.random() < 0.3 else ""
    return f"<{tag}{_attributes(rng)}>{_text(rng)}{inner}</{tag}>{tail}"


def _head(rng: random.Random, encoding: str) -> str:
    parts = []
    if rng.random() < 0.3:
        parts.append(f'<meta charset="{encoding}">')
    if rng.random() < 0.1:
        parts.append(f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">')
    if rng.random() < 0.8:
        parts.append(f"<title>{_text(rng)}</title>")
    if rng.random() < 0.3:
        name = rng.choice(("og:title", "twitter:title", "OG:Title "))
        key = rng.choice(("property", "name"))
        parts.append(f"<meta {key}='{name}' content='{_text(rng)}'>")
    if rng.random() < 0.3:
        parts.append("<script>var x = '<title>no</title>';</script><style>p{}</style>")
    if rng.random() < 0.05:
        parts.append("<script>" + "var y = 1;" * 120 + "</script><meta charset='euc-jp'>")
    return "".join(parts)


def page(rng: random.Random) -> tuple[bytes, dict[str, str], bool]:
    """A random HTML body, its headers and whether it was cut off."""
    encoding = rng.choice(_ENCODINGS)
    body = "".join(_element(rng, 0) for _ in range(rng.choice((1, 2, 3, 5, 8))))
    if rng.random() < 0.02:
        body += ("<p>" + " ".join(rng.choice(_WORDS) for _ in range(400)) + "</p>") * 10
    if rng.random() < 0.1:
        body += rng.choice(_PLAYER)
    html = f"<html><head>{_head(rng, encoding)}</head><body{_attributes(rng)}>{body}</body></html>"
    if rng.random() < 0.2:
        html = html.replace(
            "<html><head>",
            rng.choice(("<!DOCTYPE html><html lang=en><head>", "", "<head>", "\ufeff<html><head>")),
        )
    data = html.encode(encoding, "xmlcharrefreplace")
    if rng.random() < 0.05:
        data = b"\xef\xbb\xbf" + html.encode("utf-8")
    truncated = rng.random() < 0.1
    if truncated:
        data = data[: rng.randrange(1, len(data) + 1)]
    content_type = rng.choice(
        (
            "text/html",
            "text/html; charset=utf-8",
            "text/html; charset=" + encoding,
            None,
            "application/octet-stream",
            "text/plain",
        )
    )
    headers = {"content-type": content_type} if content_type else {}
    if rng.random() < 0.05:
        headers["cf-mitigated"] = "challenge"
    return data, headers, truncated


def outcome(rng: random.Random) -> FetchOutcome:
    body, headers, truncated = page(rng)
    url = rng.choice(_URLS)
    final = rng.choice(_FINALS) if rng.random() < 0.3 else url
    hops = (Hop(url, rng.choice((301, 302, 308)), final),) if final != url else ()
    status = rng.choice((200, 200, 200, 200, 203, 404, 403, 500, 503, 410, 401, 429, 999))
    return FetchOutcome(url, final, status, headers, hops, body, truncated)


def digest(out: FetchOutcome, sibling: FetchOutcome) -> str:
    """A digest of everything judged of ``out`` (``sibling`` as its probe)."""
    page = page_info(out.body, out.headers, truncated=out.body_truncated)
    sibling_page = page_info(sibling.body, sibling.headers)
    known = KnownContent(titles=(page.title or "a title",), fingerprint=page.text_fingerprint)
    generic = classify(out, page)
    probed = classify(out, page, sibling=(sibling, sibling_page), ever_ok=True)
    judged = [
        page,
        html_text(out.body, out.headers),
        consent_wall(out),
        needs_sibling_probe(out, page),
        generic,
        probed,
        site_verdict(out, page, generic, lambda: known),
        site_verdict(out, page, probed, lambda: KnownContent()),
    ]
    return hashlib.sha256(repr(judged).encode()).hexdigest()[:16]


def digests() -> list[str]:
    rng = random.Random(SEED)
    outcomes = [outcome(rng) for _ in range(PAGES)]
    return [
        digest(out, replace(out, url=out.url + "x", final_url=out.final_url + "x") if n % 3 else
               outcomes[n - 1])
        for n, out in enumerate(outcomes)
    ]  # fmt: skip


if __name__ == "__main__":
    print("\n".join(digests()))
