"""landings.py: a target several cited URLs of a site are sent to is a landing page."""

from redirected import ARTICLE, FRONT, redirected

from citecheck.landings import SharedTargets
from citecheck.models import LinkState, Reason, Status
from citecheck.moves import is_landing_candidate


def test_a_target_two_cited_urls_are_sent_to_is_a_landing_page() -> None:
    targets: SharedTargets[str] = SharedTargets()
    first = redirected(ARTICLE, FRONT)
    assert is_landing_candidate(first)
    assert targets.add(first, "a") == []  # held: alone so far
    second = redirected(
        "https://edition.cnn.com/2020/02/26/tech/clearview-ai-hack/index.html", FRONT
    )
    ready = targets.add(second, "b")
    assert [payload for _, payload in ready] == ["a", "b"]
    assert all(r.status is Status.BROKEN and r.reason is Reason.SOFT_404 for r, _ in ready)
    assert all("rule landing-shared-target" in (r.detail or "") for r, _ in ready)
    assert all(r.title is None for r, _ in ready)
    assert targets.flush() == []


def test_a_target_only_one_url_is_sent_to_is_released_as_it_was() -> None:
    targets: SharedTargets[str] = SharedTargets()
    first = redirected(ARTICLE, FRONT)
    assert targets.add(first, "a") == []
    assert targets.flush() == [(first, "a")]


def test_links_remembered_from_the_store_count_as_senders() -> None:
    targets: SharedTargets[None] = SharedTargets()
    targets.remember(
        LinkState(url="https://edition.cnn.com/old/one/x", status=Status.BROKEN,
                  reason=Reason.SOFT_404, final_url=FRONT)
    )  # fmt: skip
    ((ready, _),) = targets.add(redirected(ARTICLE, FRONT), None)
    assert ready.reason is Reason.SOFT_404
