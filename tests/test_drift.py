"""Drift detection, calibrated on real HTML run through titles.page_info."""

from __future__ import annotations

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
from citecheck.titles import page_info, similarity

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


def _page(
    paragraphs: list[str],
    *,
    title: str = TITLE,
    date: str = "Published 12 March 2024, 09:14",
    ad: str = "Advertisement: Save 20% on your next flight with SkyFly. Book now.",
    related: tuple[str, ...] = RELATED,
    comments: int = 12,
) -> PageInfo:
    """A news article page as sites serve them: navigation, a date line, an ad slot,
    the article, a "related stories" rail, a comment count and a footer."""
    rail = "".join(f'<li><a href="/story/{i}">{text}</a></li>' for i, text in enumerate(related))
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    html = f"""<!doctype html>
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
    return page_info(html.encode("utf-8"), {"content-type": "text/html; charset=utf-8"})


@pytest.fixture(scope="module")
def baseline() -> PageSnapshot:
    return snapshot_of(_page(ARTICLE), now=FIRST_SEEN)


def test_the_fixture_pages_have_fingerprints(baseline: PageSnapshot) -> None:
    assert baseline.title == TITLE
    assert baseline.text_fingerprint is not None
    assert baseline.seen_at == FIRST_SEEN


def test_the_same_page_has_not_drifted(baseline: PageSnapshot) -> None:
    assert detect_drift(baseline, _page(ARTICLE), now=NOW) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"date": "Updated 14 March 2024, 17:40"},
        {"ad": "Sponsored: the best noise-cancelling headphones of the year, tested."},
        {"related": OTHER_RELATED},
        {"comments": 4_381},
        {
            "date": "Updated 2 June 2025, 06:05",
            "ad": "Sponsored: the best noise-cancelling headphones of the year, tested.",
            "related": OTHER_RELATED,
            "comments": 4_381,
        },
    ],
    ids=["date", "ad", "related", "comments", "all-boilerplate"],
)
def test_boilerplate_changes_are_not_drift(baseline: PageSnapshot, changes: dict) -> None:
    current = _page(ARTICLE, **changes)
    assert current.text_fingerprint is not None
    assert similarity(baseline.text_fingerprint, current.text_fingerprint) >= (
        TEXT_DRIFT_SIMILARITY
    )
    assert detect_drift(baseline, current, now=NOW) is None


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
