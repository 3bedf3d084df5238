"""Drift detection, calibrated on real HTML run through titles.page_info."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from citecheck.drift import (
    TEXT_DRIFT_SIMILARITY,
    Drift,
    PageSnapshot,
    detect_drift,
    drift_from_json,
    drift_to_json,
    normalise_title,
    snapshot_of,
)
from citecheck.models import PageInfo
from citecheck.titles import html_text, page_info

FIRST_SEEN = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
TITLE = "EU proposes rules on recommendation algorithms for minors | The Daily Courier"

ARTICLE = [
    "The European Commission on Tuesday proposed new rules that would require online "
    "platforms to assess the risks their recommendation systems pose to minors, a move "
    "campaigners have sought for years.",
    "Under the draft, companies with more than 45 million users in the bloc would have to "
    "publish yearly reports on how their algorithms rank content, and open their data to "
    "vetted researchers.",
    "Officials said the measures build on the Digital Services Act, which came into force "
    "last year, but go further by setting binding deadlines and fines of up to six percent "
    "of global turnover.",
    "Consumer groups welcomed the proposal but warned that enforcement would depend on "
    "whether national regulators receive enough staff and money to audit some of the "
    "largest companies in the world.",
    "Industry associations said the rules risked duplicating existing obligations and "
    "called for a longer transition period, arguing that smaller firms could not afford the "
    "compliance costs.",
    "The proposal now goes to the European Parliament and the Council, where negotiations "
    "are expected to take at least eighteen months before a final text can be adopted.",
    "A spokesperson for the Commission said the aim was not to ban recommendation systems "
    "but to make sure that their design takes the wellbeing of young users into account "
    "from the start.",
    "Several member states, including France and Denmark, have already announced national "
    "measures on age verification, which the Commission hopes to harmonise through the new "
    "regulation.",
    "Researchers who study online harms said the reporting duties could finally show how "
    "often teenagers are steered towards content about dieting, self-harm or gambling.",
    "Platforms would also have to offer a feed that is not based on profiling, and make it "
    "the default setting for every account that belongs to a user under eighteen.",
    "The draft leaves open how companies should establish a user's age, a question that "
    "privacy regulators have warned could lead to the collection of even more personal data.",
    "A public consultation on the technical standards will open in the autumn, the "
    "Commission said, and the first reports would be due two years after the rules apply.",
]
REWRITTEN = [
    "A court in Luxembourg ruled on Thursday that a national data retention law breached "
    "fundamental rights, ordering the government to repeal provisions that allowed police "
    "to access phone records.",
    "The judges found that the blanket collection of traffic and location data of all "
    "subscribers was disproportionate and could not be justified by the general fight "
    "against crime.",
    "Lawyers for the applicants, a coalition of journalists and civil liberties "
    "organisations, said the judgment confirmed a decade of case law that governments had "
    "repeatedly ignored.",
    "The interior ministry said it would study the decision carefully and propose a targeted "
    "regime that would comply with the ruling while preserving tools needed for serious "
    "investigations.",
    "Privacy advocates urged other countries with similar laws to review them, noting that "
    "at least nine member states still require operators to keep data on all their "
    "customers.",
    "The ruling cannot be appealed. Parliament has six months to adopt new legislation, "
    "after which the contested provisions will cease to apply automatically.",
    "Telecom operators said they had not been consulted and asked for clear guidance on "
    "which records they may still keep for billing and for the prevention of fraud.",
    "Prosecutors warned that investigations into organised crime could be slowed while a new "
    "law is drafted, and called for an interim arrangement under judicial supervision.",
    "Civil society groups plan to monitor the drafting closely and have asked to be heard "
    "by the parliamentary committee before any new text is put to a vote.",
    "The case began eight years ago when a journalist discovered that his call records had "
    "been handed to investigators looking for the source of a leaked report.",
]
RELATED = (
    "Ten things to know about the new AI rules",
    "Why your phone battery drains faster in winter",
    "Opinion: the case for a four-day week",
    "Markets close higher as inflation eases",
)
OTHER_RELATED = (
    "Police arrest two after a night of protests in the capital",
    "Recipe: a quick spring risotto with peas and mint",
    "Football: a late goal sinks the champions at home",
    "How to choose a heat pump for an old house",
    "Weather: storm warning for the coast this weekend",
)


DATE = "Published 12 March 2024, 09:14"
AD = "Advertisement: Save 20% on your next flight with SkyFly. Book now."
#: Every piece of boilerplate the templates show, changed at once.
ALL_BOILERPLATE_CHANGED = {
    "date": "Updated 2 June 2025, 06:05",
    "ad": "Sponsored: the best noise-cancelling headphones of the year, tested.",
    "related": OTHER_RELATED,
    "comments": 4_381,
}


def _news(paragraphs: list[str], title: str, date: str, ad: str, related, comments: int) -> str:
    """A news site with semantic markup: <header>/<nav>, <main><article>, a byline, a
    date line, an ad slot, a comment count, a "related stories" rail, a <footer>."""
    rail = "".join(f'<li><a href="/story/{i}">{text}</a></li>' for i, text in enumerate(related))
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}">
<script>window.dataLayer = [{{"page": "article"}}];</script>
<style>.ad-slot {{ min-height: 90px; }}</style></head>
<body>
<header><a href="/">The Daily Courier</a>
<nav><a href="/world">World</a> <a href="/tech">Tech</a> <a href="/sport">Sport</a></nav></header>
<main><article>
<h1>EU proposes rules on recommendation algorithms for minors</h1>
<div class="byline">By Anna Example, Brussels correspondent</div>
<div class="dateline"><time datetime="2024-03-12">{date}</time></div>
<div class="ad-slot">{ad}</div>
{body}
<div class="comments-count">{comments} comments</div>
</article>
<div class="related"><h2>Related stories</h2><ul>{rail}</ul></div>
</main>
<footer>© 2024 The Daily Courier. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""


def _wordpress(
    paragraphs: list[str], title: str, date: str, ad: str, related, comments: int
) -> str:
    """A WordPress blog: <div>s with theme classes, the post's tag slugs in its classes
    ("tag-social-media"), a share bar inside the post, comments after it, a widget
    sidebar with recent posts."""
    share = f'<div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3> X {comments}</div>'
    content = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs[:2]) + share
    content += "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs[2:])
    recent = "".join(f"<li><a href='/p/{i}'>{text}</a></li>" for i, text in enumerate(related))
    replies = "".join(f"<li class='comment'>{text}</li>" for text in related[: comments % 5 + 1])
    return f"""<!DOCTYPE html><html><head><title>{title}</title></head>
<body class="post-template-default single single-post has-sidebar">
<div id="page" class="site"><div id="masthead" class="site-header">
<p class="site-title">Notes from Brussels</p>
<div class="menu"><a href="/">Home</a> <a href="/about">About</a></div></div>
<div id="content" class="site-content"><div id="primary" class="content-area">
<article id="post-42" class="post-42 post type-post tag-social-media category-advertising">
<h1 class="entry-title">EU proposes rules on recommendation algorithms for minors</h1>
<div class="entry-meta"><span class="posted-on">Posted on <time>{date}</time></span>
<span class="byline">by Anna</span></div>
<div class="entry-content">{content}
<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3>{related[0]}</div></div>
</article>
<div id="comments" class="comments-area"><h2>{comments} thoughts</h2><ol>{replies}</ol></div>
</div>
<div id="secondary" class="widget-area" role="complementary"><h2>Recent posts</h2>
<ul>{recent}</ul><p>{ad}</p></div></div>
<div id="colophon" class="site-footer" role="contentinfo">Proudly powered by WordPress</div>
</div></body></html>"""


def _app(paragraphs: list[str], title: str, date: str, ad: str, related, comments: int) -> str:
    """A single-page-app news site: ARIA roles on <div>s, camelCase classes, an
    aria-hidden ad between paragraphs, a newsletter box and a "most read" list inside
    <main>, recommendations and a cookie notice outside it."""
    half = len(paragraphs) // 2
    first = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs[:half])
    rest = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs[half:])
    most_read = "".join(f"<li>{text}</li>" for text in related)
    return f"""<!doctype html><html><head><title>{title}</title></head><body><div id="app">
<div class="siteHeader" role="banner"><span>COURIER</span><div role="search">Search</div></div>
<main id="main-content"><h1>EU proposes rules on recommendation algorithms for minors</h1>
<p class="byline">By Staff Reporter</p><span class="date">Updated <time>{date}</time></span>
<ul class="shareTools"><li>Share on X</li><li>Share by email ({comments})</li></ul>
{first}<div class="adContainer" aria-hidden="true">{ad}</div>
<div class="newsletterSignup">Get the morning briefing in your inbox</div>{rest}
<section class="mostRead"><h2>Most read</h2><ol>{most_read}</ol></section></main>
<div class="recommendations">{" ".join(related)}</div>
<div id="cookie-consent">We and our {comments} partners use cookies.</div></div></body></html>"""


def _table(paragraphs: list[str], title: str, date: str, ad: str, related, comments: int) -> str:
    """An old site laid out with a table: no semantic elements at all, only ids and
    classes, paragraphs separated by <br>."""
    return f"""<html><head><title>{title}</title></head><body><table><tr>
<td id="leftnav"><a href="/">Home</a><br><a href="/news">News</a></td>
<td id="content"><h1>EU proposes rules on recommendation algorithms for minors</h1>
<p class="dateline">{date}</p><div class="social-share">Tweet Like {comments}</div>
<div class="article-body">{"<br><br>".join(paragraphs)}</div>
<div class="related-links">{" ".join(related)}</div>
<div class="comments"><b>{comments} comments</b> {related[-1]}</div></td>
<td id="sidebar-ads">{ad}</td></tr></table>
<div id="cookie-banner">This site uses cookies ({comments} partners)</div></body></html>"""


HTML_UTF8 = {"content-type": "text/html; charset=utf-8"}
TEMPLATES = {"news": _news, "wordpress": _wordpress, "app": _app, "table": _table}


def _page(
    paragraphs: list[str],
    *,
    template: str = "news",
    title: str = TITLE,
    date: str = DATE,
    ad: str = AD,
    related: tuple[str, ...] = RELATED,
    comments: int = 12,
) -> PageInfo:
    """An article page in one of :data:`TEMPLATES`, read by titles.page_info."""
    html = TEMPLATES[template](paragraphs, title, date, ad, related, comments)
    return page_info(html.encode("utf-8"), HTML_UTF8)


@pytest.fixture(scope="module")
def baseline() -> PageSnapshot:
    return snapshot_of(_page(ARTICLE), now=FIRST_SEEN)


def test_the_fixture_pages_have_fingerprints(baseline: PageSnapshot) -> None:
    assert baseline.title == TITLE
    assert baseline.text_fingerprint is not None
    assert baseline.seen_at == FIRST_SEEN


def test_the_same_page_has_not_drifted(baseline: PageSnapshot) -> None:
    assert detect_drift(baseline, _page(ARTICLE), now=NOW) is None


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(
    "changes",
    [
        {"date": "Updated 14 March 2024, 17:40"},
        {"ad": "Sponsored: the best noise-cancelling headphones of the year, tested."},
        {"related": OTHER_RELATED},
        {"comments": 4_381},
        ALL_BOILERPLATE_CHANGED,
    ],
    ids=["date", "ad", "related", "comments", "all-boilerplate"],
)
def test_boilerplate_changes_leave_the_fingerprint_as_it_was(template: str, changes: dict) -> None:
    before = _page(ARTICLE, template=template)
    current = _page(ARTICLE, template=template, **changes)
    assert current.text_fingerprint is not None
    assert current.text_fingerprint == before.text_fingerprint
    baseline = snapshot_of(before, now=FIRST_SEEN)
    assert detect_drift(baseline, current, now=NOW) is None


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_main_text_is_the_article_with_only_constant_furniture(template: str) -> None:
    html = TEMPLATES[template](ARTICLE, TITLE, DATE, AD, RELATED, 12)
    text = html_text(html.encode("utf-8"), HTML_UTF8)
    assert " ".join(ARTICLE) in text
    for boilerplate in ("12 March", "SkyFly", RELATED[0], "comments", "Share", "cookies", "By "):
        assert boilerplate not in text
    # What is left around the article never changes on its own: a menu, a label.
    assert len(text) - len(" ".join(ARTICLE)) < 100


@pytest.mark.parametrize("template", TEMPLATES)
def test_rewritten_articles_drift_in_every_template(template: str) -> None:
    baseline = snapshot_of(_page(ARTICLE, template=template), now=FIRST_SEEN)
    drift = detect_drift(
        baseline, _page(REWRITTEN, template=template, **ALL_BOILERPLATE_CHANGED), now=NOW
    )
    assert drift is not None and drift.kind == "text"


def test_a_correction_at_the_end_is_not_drift(baseline: PageSnapshot) -> None:
    correction = (
        "Correction: an earlier version of this article misstated the number of users "
        "above which the rules apply."
    )
    assert detect_drift(baseline, _page([*ARTICLE, correction]), now=NOW) is None


def test_a_rewritten_article_drifts(baseline: PageSnapshot) -> None:
    drift = detect_drift(baseline, _page(REWRITTEN), now=NOW)
    assert drift is not None
    assert drift.kind == "text"
    assert drift.before_title == drift.after_title == TITLE
    assert drift.similarity is not None and drift.similarity < TEXT_DRIFT_SIMILARITY
    assert drift.since == NOW


def test_an_article_replaced_by_a_notice_drifts(baseline: PageSnapshot) -> None:
    notice = ["This article has been removed at the request of the publisher."]
    drift = detect_drift(baseline, _page(notice), now=NOW)
    assert drift is not None and drift.kind == "text"


def test_a_new_title_drifts(baseline: PageSnapshot) -> None:
    new_title = "Data retention law struck down by top court | The Daily Courier"
    drift = detect_drift(baseline, _page(ARTICLE, title=new_title), now=NOW)
    assert drift == Drift(
        kind="title",
        before_title=TITLE,
        after_title=new_title,
        similarity=1.0,
        since=NOW,
    )


def test_a_new_title_and_text_drift_together(baseline: PageSnapshot) -> None:
    drift = detect_drift(
        baseline, _page(REWRITTEN, title="Data retention law struck down by top court"), now=NOW
    )
    assert drift is not None and drift.kind == "title+text"


@pytest.mark.parametrize(
    "title",
    [
        "EU proposes rules on recommendation algorithms for minors – Courier Media Group",
        "EU proposes rules on recommendation algorithms for minors",
        "EU  PROPOSES rules on recommendation algorithms for minors | The Daily Courier",
        "EU proposes new rules on recommendation algorithms for minors | The Daily Courier",
        "EU proposes rules on recommendation algorithms for minors (updated) | Daily Courier",
    ],
)
def test_small_title_changes_and_a_new_site_name_are_not_drift(
    baseline: PageSnapshot, title: str
) -> None:
    assert detect_drift(baseline, _page(ARTICLE, title=title), now=NOW) is None


def test_without_a_baseline_there_is_nothing_to_compare() -> None:
    assert detect_drift(None, _page(REWRITTEN), now=NOW) is None


def test_what_is_missing_on_either_side_proves_nothing() -> None:
    baseline = PageSnapshot(title=None, text_fingerprint=None, seen_at=FIRST_SEEN)
    assert detect_drift(baseline, _page(REWRITTEN, title="Something else"), now=NOW) is None
    with_title = PageSnapshot(title=TITLE, text_fingerprint=None, seen_at=FIRST_SEEN)
    assert detect_drift(with_title, PageInfo(), now=NOW) is None


def test_a_pdf_drifts_by_its_title() -> None:
    baseline = snapshot_of(PageInfo(title="Annual report 2023", page_count=84), now=FIRST_SEEN)
    assert (
        detect_drift(baseline, PageInfo(title="Annual report 2023", page_count=86), now=NOW) is None
    )
    drift = detect_drift(baseline, PageInfo(title="Strategy 2030", page_count=12), now=NOW)
    assert drift is not None and drift.kind == "title" and drift.similarity is None


def test_a_lasting_drift_keeps_the_date_it_was_first_seen(baseline: PageSnapshot) -> None:
    first = detect_drift(baseline, _page(REWRITTEN), now=NOW)
    later = detect_drift(baseline, _page(REWRITTEN), now=NOW + timedelta(days=7), previous=first)
    assert first is not None and later is not None
    assert later.since == NOW
    assert detect_drift(baseline, _page(ARTICLE), now=NOW, previous=first) is None


def test_drift_as_json_round_trips(baseline: PageSnapshot) -> None:
    drift = detect_drift(baseline, _page(REWRITTEN, title="Data retention"), now=NOW)
    data = drift_to_json(drift)
    assert data is not None
    assert data["kind"] == "title+text"
    assert data["since"] == "2025-06-02T03:00:00+00:00"
    assert data["before_title"] == TITLE and data["after_title"] == "Data retention"
    assert isinstance(data["similarity"], float)
    assert drift_from_json(data) == drift
    assert drift_to_json(None) is None and drift_from_json(None) is None


def test_an_unknown_drift_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown drift kind 'colour'"):
        drift_from_json({"kind": "colour", "since": "2025-06-02T03:00:00+00:00"})


@pytest.mark.parametrize(
    ("title", "normalised"),
    [
        ("Annual Report  2023 | Example Org", "annual report 2023"),
        ("Annual Report 2023 — Example Org", "annual report 2023"),
        ("A - B - Example Org", "a - b"),
        ("COVID-19: what we know", "covid-19: what we know"),
        ("| Example Org", "| example org"),
    ],
)
def test_normalise_title(title: str, normalised: str) -> None:
    assert normalise_title(title) == normalised


# --- calibration -------------------------------------------------------------------------
#
# TEXT_DRIFT_SIMILARITY is set from these rates, measured on generated articles in every
# template (drift.py records the rates measured on 1,000 pages). Simhash similarities of
# texts that share a given part scatter by several bits, so the rule is judged by how
# often it fires on each kind of change, not on one example.

#: Articles generated per template: enough for rates to within a few percent, fast.
CALIBRATION_ARTICLES = 60
CALIBRATION_WORDS = 240
CALIBRATION_SEED = 20250602
_VOCABULARY = sorted({word.strip(".,") for text in ARTICLE + REWRITTEN for word in text.split()})
CORRECTION = (
    "Correction: an earlier version of this article misstated the number of users above "
    "which the rules apply."
)
#: Kinds of change, from the smallest to a full rewrite.
CHANGES = ("correction", "one-sentence", "one-paragraph", "25%", "50%", "100%")


def _sentence(rng: random.Random, weights: list[float]) -> str:
    """A sentence of 12–25 words drawn with Zipf-like frequencies, as prose has."""
    words = rng.choices(_VOCABULARY, weights, k=rng.randint(12, 25))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, weights: list[float], words: int) -> str:
    sentences: list[str] = []
    while sum(len(sentence.split()) for sentence in sentences) < words:
        sentences.append(_sentence(rng, weights))
    return " ".join(sentences)


def _rewrite(
    rng: random.Random, weights: list[float], paragraphs: list[str], share: float
) -> list[str]:
    """The article with whole paragraphs, about ``share`` of its words, rewritten."""
    total = sum(len(paragraph.split()) for paragraph in paragraphs)
    rewritten = list(paragraphs)
    done = 0
    for index in rng.sample(range(len(paragraphs)), len(paragraphs)):
        if done >= share * total:
            break
        rewritten[index] = _paragraph(rng, weights, len(paragraphs[index].split()))
        done += len(paragraphs[index].split())
    return rewritten


def _changed(
    rng: random.Random, weights: list[float], paragraphs: list[str], change: str
) -> list[str]:
    if change == "correction":
        return [*paragraphs, CORRECTION]
    if change == "one-sentence":
        index = rng.randrange(len(paragraphs))
        sentences = paragraphs[index].split(". ")
        sentences[rng.randrange(len(sentences))] = _sentence(rng, weights).rstrip(".")
        return [*paragraphs[:index], ". ".join(sentences), *paragraphs[index + 1 :]]
    if change == "one-paragraph":
        return _rewrite(rng, weights, paragraphs, share=0.0001)
    return _rewrite(rng, weights, paragraphs, share=int(change.rstrip("%")) / 100)


@pytest.fixture(scope="module")
def drift_rates() -> dict[str, float]:
    """The share of pages that drift, by kind of change: "boilerplate" (every piece of
    boilerplate replaced, article untouched) and each of :data:`CHANGES`."""
    rng = random.Random(CALIBRATION_SEED)
    drifted = dict.fromkeys(("boilerplate", *CHANGES), 0)
    for _ in range(CALIBRATION_ARTICLES):
        vocabulary_order = rng.sample(range(len(_VOCABULARY)), len(_VOCABULARY))
        weights = [1 / (rank + 1) for rank in vocabulary_order]
        paragraphs: list[str] = []
        while sum(len(paragraph.split()) for paragraph in paragraphs) < CALIBRATION_WORDS:
            paragraphs.append(_paragraph(rng, weights, rng.randint(20, 40)))
        versions = {"boilerplate": paragraphs}
        versions.update({change: _changed(rng, weights, paragraphs, change) for change in CHANGES})
        for template in TEMPLATES:
            baseline = snapshot_of(_page(paragraphs, template=template), now=FIRST_SEEN)
            for change, version in versions.items():
                current = _page(version, template=template, **ALL_BOILERPLATE_CHANGED)
                drift = detect_drift(baseline, current, now=NOW)
                drifted[change] += drift is not None and drift.kind == "text"
    pages = CALIBRATION_ARTICLES * len(TEMPLATES)
    return {change: count / pages for change, count in drifted.items()}


def test_boilerplate_and_a_correction_never_drift(drift_rates: dict[str, float]) -> None:
    assert drift_rates["boilerplate"] == 0.0
    assert drift_rates["correction"] == 0.0


def test_a_rewritten_sentence_rarely_drifts(drift_rates: dict[str, float]) -> None:
    assert drift_rates["one-sentence"] <= 0.02


def test_half_and_whole_rewrites_are_caught(drift_rates: dict[str, float]) -> None:
    assert drift_rates["50%"] >= 0.90
    assert drift_rates["100%"] >= 0.98


def test_the_more_is_rewritten_the_more_often_it_drifts(drift_rates: dict[str, float]) -> None:
    rates = [drift_rates[change] for change in ("one-sentence", "one-paragraph", "25%", "50%")]
    assert rates == sorted(rates)
    assert rates[0] < rates[1] < rates[2] < rates[3]
