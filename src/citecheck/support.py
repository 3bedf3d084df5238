"""Claim support: how much of a claim's wording a page carries, by term overlap.

Pure. A claim (the sentence ``extract`` keeps as a citation's ``context``) becomes
its *terms*: words of three letters or more that are not stop words, folded to
lower case without accents and with a plural ``s`` dropped, plus numbers of two
digits or more written without separators ("180,000" → ``180000``). A page (or a
range of pages) supports a claim by the share of the claim's terms found on it,
each term weighted by its inverse document frequency over the document's pages, so
that "biometric" found counts for more than "people" found. The score runs from 0
(no term found) to 1 (every term found).

Term overlap, not a model: it needs no download, and what it measures can be
shown whole (the terms found). It is evidence for a human, never a verdict.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: How much better another page must support a claim than the cited one before the
#: report says "best match: p.N": a page that merely ties is no news.
BEST_MATCH_MARGIN = 0.15
#: Terms kept from a claim (the longest claims ``extract`` keeps have about 30).
MAX_CLAIM_TERMS = 40

_WORD = re.compile(r"\d[\d,.\u202f\u00a0]*\d|[^\W\d_]+", re.UNICODE)
_SEPARATORS = re.compile(r"[,.\u202f\u00a0]")
_STOP_WORDS = frozenset(
    (
        "about", "above", "after", "again", "against", "all", "also", "among", "and", "any", "are",
        "around", "because", "been", "before", "being", "below", "between", "both", "but", "can",
        "could", "did", "does", "doing", "down", "during", "each", "even", "ever", "every", "few",
        "for", "from", "further", "had", "has", "have", "having", "her", "here", "hers", "herself",
        "him", "himself", "his", "how", "however", "into", "its", "itself", "just", "least", "less",
        "many", "may", "might", "more", "most", "much", "must", "nor", "not", "now", "off", "once",
        "only", "other", "others", "our", "ours", "ourselves", "out", "over", "own", "per", "same",
        "shall", "she", "should", "since", "some", "such", "than", "that", "the", "their", "theirs",
        "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "thus",
        "too", "under", "until", "upon", "very", "was", "were", "what", "when", "where", "whether",
        "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without",
        "would", "yet", "you", "your", "yours", "yourself", "yourselves", "one", "two", "three",
        "new", "like", "well", "see", "use", "used", "using", "made", "make", "makes", "say",
        "says", "said", "people"
    )
)  # fmt: skip


def normalise(word: str) -> str:
    """``word`` as a term: lower case, accents dropped, a plural ``s`` dropped."""
    folded = unicodedata.normalize("NFKD", word.lower())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    if folded[:1].isdigit():
        return _SEPARATORS.sub("", folded)
    if folded.endswith("ies") and len(folded) > 4:
        return folded[:-3] + "y"
    if folded.endswith("s") and not folded.endswith(("ss", "us", "is")) and len(folded) > 3:
        return folded[:-1]
    return folded


def terms_of(text: str) -> list[str]:
    """Every term of ``text`` in order, repeats kept (for counting)."""
    terms = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word[0].isdigit():
            term = normalise(word)
            if len(term) >= 2:
                terms.append(term)
        elif len(word) >= 3:
            term = normalise(word)
            if term not in _STOP_WORDS and len(term) >= 3:
                terms.append(term)
    return terms


def claim_terms(claim: str | None) -> tuple[str, ...]:
    """The distinct terms of a claim, in the claim's order."""
    if not claim:
        return ()
    return tuple(dict.fromkeys(terms_of(claim)))[:MAX_CLAIM_TERMS]


def idf_weights(
    terms: Iterable[str], document_frequency: Mapping[str, int], pages: int
) -> dict[str, float]:
    """Each term's inverse document frequency over ``pages`` pages (BM25's form,
    kept positive): rarer terms weigh more; a term found on no page weighs most."""
    return {
        term: math.log(1 + (pages - document_frequency.get(term, 0) + 0.5)
                       / (document_frequency.get(term, 0) + 0.5))
        for term in terms
    }  # fmt: skip


@dataclass(frozen=True)
class Support:
    """How well one page (or range) supports a claim: ``score`` 0–1, the terms found."""

    score: float
    found: tuple[str, ...]
    of_terms: int


def support(terms: Sequence[str], present: Iterable[str], weights: Mapping[str, float]) -> Support:
    """The idf-weighted share of ``terms`` that are in ``present``."""
    present_set = set(present)
    found = tuple(term for term in terms if term in present_set)
    total = sum(weights.get(term, 1.0) for term in terms)
    if not terms or total <= 0:
        return Support(0.0, found, len(terms))
    score = sum(weights.get(term, 1.0) for term in found) / total
    return Support(round(score, 3), found, len(terms))


def distinctive_terms(
    counts: Mapping[str, int], document_frequency: Mapping[str, int], pages: int, *, keep: int
) -> tuple[str, ...]:
    """The ``keep`` terms that most set a page apart: frequent on it, rare elsewhere."""
    weights = idf_weights(counts, document_frequency, pages)
    ranked = sorted(counts, key=lambda term: (-counts[term] * weights[term], term))
    return tuple(ranked[:keep])
