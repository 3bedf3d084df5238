import pytest
from redirected import ARTICLE, FRONT, redirected

from citecheck.classify import Classification
from citecheck.models import FetchOutcome, Hop, PageInfo, Reason, Status
from citecheck.moves import (
    KnownContent,
    is_landing_candidate,
    judge_move,
    near_titles,
)


def _moved(url: str, final: str, code: int = 301) -> tuple[FetchOutcome, Classification]:
    outcome = FetchOutcome(url=url, final_url=final, status_code=200, hops=(Hop(url, code, final),))
    if code in (301, 308):
        generic = Classification(
            Status.REDIRECTED, Reason.PERMANENT_REDIRECT, f"permanently redirected to {final}"
        )
    else:
        generic = Classification(Status.OK, None, f"200 OK after redirecting to {final}")
    return outcome, generic


NOTHING_KNOWN = KnownContent()


def _judge(url, final, page, known=NOTHING_KNOWN, code=301) -> Classification:
    outcome, generic = _moved(url, final, code)
    return judge_move(outcome, page, generic, lambda: known)


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("Tech News - CNN", "Tech News", True),
        ("EU border database explained - CNN", "EU border database explained", True),
        ("PimEyes: a facial recognition site anyone can use", "Tech News - CNN", False),
        ("Home", "Home | Example", False),  # one word proves nothing
        ("CNN", "Tech News - CNN", False),  # the site's name is no match
        ("", "Tech", False),
        ("Something else - CNN", "Tech News - CNN", False),
        ("The RISE report", "The RISE report (PDF) | EDRi", True),
    ],
)
def test_near_titles(a: str, b: str, near: bool) -> None:
    assert near_titles(a, b) is near


def test_removed_article_sent_to_its_section_front_is_a_landing_page() -> None:
    known = KnownContent(titles=("PimEyes: a facial recognition site that anyone can use",))
    verdict = _judge(ARTICLE, FRONT, PageInfo(title="Tech News - CNN"), known)
    assert (verdict.status, verdict.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert verdict.detail.startswith("redirected to a landing page")
    assert "rule landing-shallower" in verdict.detail


def test_link_texts_prove_nothing_either_way() -> None:
    moved = "https://ngo.org/report-2019"
    for text in ("here", "CNN", "the source"):
        page = PageInfo(title="Report 2019 - NGO")
        verdict = _judge(
            "https://ngo.org/news/2019/report.html", moved, page, KnownContent((text,))
        )
        assert verdict.reason is Reason.REDIRECT_UNVERIFIED, text


def test_an_archive_path_is_no_category_page() -> None:
    verdict = _judge(ARTICLE, "https://edition.cnn.com/archive/2021/other", PageInfo(title="x"))
    assert verdict.reason is Reason.REDIRECT_UNVERIFIED


def test_a_temporary_redirect_to_a_landing_page_is_one_too() -> None:
    known = KnownContent(titles=("PimEyes facial search",))
    verdict = _judge(ARTICLE, FRONT, PageInfo(title="Tech News - CNN"), known, code=302)
    assert verdict.reason is Reason.SOFT_404


@pytest.mark.parametrize(
    ("final", "rule"),
    [
        ("https://edition.cnn.com/search?q=pimeyes", "landing-search"),
        ("https://edition.cnn.com/category/tech", "landing-category"),
    ],
)
def test_search_and_category_pages_are_landing_pages_without_known_titles(final, rule) -> None:
    verdict = _judge(ARTICLE, final, PageInfo(title="Search - CNN"))
    assert verdict.reason is Reason.SOFT_404 and f"rule {rule}" in verdict.detail


@pytest.mark.parametrize(
    ("url", "final", "page", "known", "rule"),
    [
        (ARTICLE, "https://edition.cnn.com/tech/pimeyes",
         PageInfo(title="PimEyes: a facial recognition site that anyone can use - CNN"),
         KnownContent(titles=("PimEyes: a facial recognition site that anyone can use",)),
         "moved-same-title"),
        (ARTICLE, "https://edition.cnn.com/x",
         PageInfo(title="?", text_fingerprint="00000000000000ff"),
         KnownContent(fingerprint="00000000000000fe"), "moved-same-text"),
        ("http://edri.org/our-work/a", "https://www.edri.org/our-work/a/", PageInfo(),
         KnownContent(), "moved-same-url"),
        ("https://ngo.org/2019/05/river-report-nitrates-fall.html",
         "https://ngo.org/reports/river-report-nitrates-fall", PageInfo(), KnownContent(),
         "moved-same-url"),
    ],
)  # fmt: skip
def test_moves_to_the_same_content_stay_redirected(url, final, page, known, rule) -> None:
    verdict = _judge(url, final, page, known)
    assert (verdict.status, verdict.reason) == (Status.REDIRECTED, Reason.PERMANENT_REDIRECT)
    assert f"rule {rule}" in verdict.detail


def test_a_move_not_shown_to_be_the_same_is_unverified() -> None:
    verdict = _judge(
        "https://ngo.org/a/b/c",
        "https://ngo.org/x/y/z",
        PageInfo(title="Something"),
        KnownContent(titles=("Our report",)),
    )
    assert (verdict.status, verdict.reason) == (Status.REDIRECTED, Reason.REDIRECT_UNVERIFIED)
    assert "rule moved-unverified" in verdict.detail


def test_a_temporary_move_not_shown_to_be_the_same_stays_ok() -> None:
    outcome, generic = _moved("https://ngo.org/a/b/c", "https://ngo.org/x/y/z", 302)
    assert judge_move(outcome, PageInfo(title="S"), generic, KnownContent) == generic


def test_a_shallower_page_without_known_titles_is_no_landing_page_alone() -> None:
    verdict = _judge(ARTICLE, FRONT, PageInfo(title="Tech News - CNN"))
    assert verdict.reason is Reason.REDIRECT_UNVERIFIED


def test_verified_moves_and_other_sites_are_no_candidates() -> None:
    assert not is_landing_candidate(redirected(ARTICLE, FRONT, reason=Reason.PERMANENT_REDIRECT))
    assert not is_landing_candidate(redirected(ARTICLE, "https://other.org/"))
    assert not is_landing_candidate(redirected(ARTICLE, ARTICLE.replace("/index.html", "/a/b/c")))
