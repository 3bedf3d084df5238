"""support.py: claim terms and their overlap with a page, weighted by rarity."""

from __future__ import annotations

from collections import Counter

from citecheck.support import (
    claim_terms,
    distinctive_terms,
    idf_weights,
    normalise,
    support,
    terms_of,
)


def test_terms_are_folded_plurals_dropped_and_stop_words_left_out() -> None:
    assert terms_of("The Databases of the Netherlands hold ÉTUDES and policies") == [
        "database", "netherland", "hold", "etude", "policy",
    ]  # fmt: skip
    assert normalise("process") == "process" and normalise("status") == "status"


def test_numbers_are_terms_written_without_separators() -> None:
    terms = terms_of("180,000 people, 7 million, 2021 and 1.5")
    assert terms == ["180000", "million", "2021", "15"]


def test_claim_terms_are_distinct_in_order_and_none_for_no_claim() -> None:
    assert claim_terms("biometric data, biometric surveillance") == (
        "biometric", "data", "surveillance",
    )  # fmt: skip
    assert claim_terms(None) == () and claim_terms("the of and") == ()


def test_support_weighs_rare_terms_more() -> None:
    terms = ("biometric", "report")
    weights = idf_weights(terms, {"biometric": 1, "report": 99}, 100)
    rare = support(terms, {"biometric"}, weights)
    common = support(terms, {"report"}, weights)
    assert rare.score > 0.8 > 0.2 > common.score
    assert rare.found == ("biometric",) and rare.of_terms == 2
    assert support(terms, {"biometric", "report"}, weights).score == 1.0
    assert support((), {"x"}, weights).score == 0.0


def test_distinctive_terms_are_frequent_here_and_rare_elsewhere() -> None:
    counts = Counter({"report": 9, "oranges": 3, "scent": 2})
    frequency = {"report": 50, "oranges": 1, "scent": 1}
    assert distinctive_terms(counts, frequency, 50, keep=2) == ("oranges", "scent")
