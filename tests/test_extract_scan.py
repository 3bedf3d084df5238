"""extract/_scan.py and the linear scanners of markdown.py: the same answers as the
plain regular expressions and loops they replace, without their quadratic time.

The references below are those plain versions, kept here to compare against.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.extract import extract_html, extract_markdown, extract_text
from citecheck.extract._scan import NextOccurrence, closed_elements, opening_tags, tag_spans
from citecheck.extract.markdown import _MAX_LINK_TEXT_CHARS, _Destinations, _link_text_starts

_REFERENCE_HIDDEN = re.compile(
    r"<!--.*?-->|<(script|style|template)\b.*?</\1\s*>|<!\[CDATA\[.*?\]\]>",
    re.IGNORECASE | re.DOTALL,
)
_HIDDEN_OPENING = re.compile(r"<!--|<(script|style|template)\b|<!\[CDATA\[", re.IGNORECASE)
_REFERENCE_TAG = re.compile(r"</?[A-Za-z][^\s/>]*(?:\"[^\"]*\"|'[^']*'|[^'\">])*>|<[!?][^>]*>")
_REFERENCE_ANCHOR = re.compile(r"<a\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>", re.IGNORECASE)

#: Pieces that make tags, comments, quotes and links collide in small texts.
_HTML_PIECES = st.sampled_from(
    ["<", ">", "</", "<a", "<A ", "<b", "<!--", "-->", "<!x", "<?", "<script>", "</script>",
     "</SCRIPT >", "<style", "</style>", "<![CDATA[", "]]>", '"', "'", " ", "\n", "=", "x",
     "href=", "</a>", "/"]
)  # fmt: skip
_MARKDOWN_PIECES = st.sampled_from(
    ["[", "]", "(", ")", "](", "\\", " ", "\t", "\n", "<", ">", "x", "http://a.example/",
     "\\(", "\\)", "\\\\", "\u2003"]
)  # fmt: skip


def _texts(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(pieces, max_size=40).map("".join)


def _closing(opening: re.Match[str]) -> re.Pattern[str]:
    if opening.group(1):
        return re.compile(rf"</{opening.group(1)}\s*>", re.IGNORECASE)
    return re.compile("-->" if opening.group().startswith("<!--") else r"\]\]>")


@settings(max_examples=400, deadline=None)
@given(_texts(_HTML_PIECES))
def test_closed_elements_are_the_lazy_patterns_spans(text: str) -> None:
    expected = [match.span() for match in _REFERENCE_HIDDEN.finditer(text)]
    assert list(closed_elements(text, _HIDDEN_OPENING, _closing)) == expected


@settings(max_examples=400, deadline=None)
@given(_texts(_HTML_PIECES))
def test_tag_spans_are_the_tag_patterns_spans(text: str) -> None:
    # The pattern may backtrack into a tag name holding a quote (<a"b …, </x"…):
    # the scanner reads such a name greedily, so those texts are left out.
    if re.search(r"</?[A-Za-z][^\s/>]*[\"']", text):
        return
    assert list(tag_spans(text)) == [match.span() for match in _REFERENCE_TAG.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(_texts(_HTML_PIECES))
def test_opening_tags_are_the_anchor_patterns_spans(text: str) -> None:
    expected = [match.span() for match in _REFERENCE_ANCHOR.finditer(text)]
    assert list(opening_tags(text, re.compile(r"<a\b", re.IGNORECASE))) == expected


def _reference_link_text_start(scan: str, close_bracket: int) -> int | None:
    depth = 0
    floor = max(0, close_bracket - _MAX_LINK_TEXT_CHARS)
    for position in range(close_bracket - 1, floor - 1, -1):
        char = scan[position]
        if position > 0 and scan[position - 1] == "\\":
            continue
        if char == "]":
            depth += 1
        elif char == "[":
            if depth == 0:
                return position
            depth -= 1
    return None


def _reference_destination_end(scan: str, position: int) -> int:
    depth = 0
    while position < len(scan):
        char = scan[position]
        if char == "\\" and position + 1 < len(scan):
            position += 2
            continue
        if char.isspace():
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        position += 1
    return position


@settings(max_examples=400, deadline=None)
@given(_texts(_MARKDOWN_PIECES))
def test_link_text_starts_pair_brackets_as_the_backward_walk_did(text: str) -> None:
    starts = _link_text_starts(text)
    for match in re.finditer(r"\]", text):
        if match.start() > 0 and text[match.start() - 1] == "\\":
            continue
        assert starts.get(match.start()) == _reference_link_text_start(text, match.start())


@settings(max_examples=400, deadline=None)
@given(_texts(_MARKDOWN_PIECES))
def test_destinations_end_where_the_char_walk_ended(text: str) -> None:
    destinations = _Destinations(text)
    for match in re.finditer(r"\]\([ \t]*", text):
        assert destinations.end(match.end()) == _reference_destination_end(text, match.end())


def test_a_link_text_further_back_than_the_limit_is_no_link_text() -> None:
    text = "[" + "x" * _MAX_LINK_TEXT_CHARS + "](http://a.example/)"
    assert _link_text_starts(text) == {}
    assert _link_text_starts(text[:1] + text[2:]) == {_MAX_LINK_TEXT_CHARS: 0}


def test_next_occurrence_answers_increasing_offsets() -> None:
    finder = NextOccurrence("a>b>>c", ">")
    assert [finder.at_or_after(offset) for offset in range(7)] == [1, 1, 3, 3, 4, -1, -1]


#: Texts that made a reader scan to the end of the text from every opening (or
#: measure a run of blanks at every link): a few hundred kilobytes took minutes to
#: hours. Each is about 200 KB here; read in linear time it takes well under a
#: second, so the bound only catches a return of the quadratic (or cubic) time.
_HOSTILE = {
    "html": (
        extract_html,
        ["<a ", '<a href="', "<!-- ", "<script>", "<b x='", "<x ", "<a<a", "<pre>x ",
         "<a href=http://a.example/>", "<a href='http://a.example/", "<!x"],
    ),
    "markdown": (
        extract_markdown,
        ["](http://a.example/", "[x](", "<!-- ", "[](<", "(http://a.example/"],
    ),
    "text": (extract_text, ["(http://a.example/", "](http://a.example/"]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("reader", "piece"),
    [(reader, piece) for reader, pieces in _HOSTILE.values() for piece in pieces],
    ids=[f"{kind}:{piece}" for kind, (_, pieces) in _HOSTILE.items() for piece in pieces],
)
def test_hostile_documents_are_read_in_linear_time(reader, piece: str) -> None:
    import time

    text = piece * (200_000 // len(piece)) + "\nsee https://example.org/cited\n"
    started = time.monotonic()
    extraction = reader(text, "hostile")
    elapsed = time.monotonic() - started
    assert "https://example.org/cited" in [citation.url for citation in extraction.citations]
    assert elapsed < 30, f"{elapsed:.1f} s: quadratic again?"


def test_a_long_url_is_read_and_an_overlong_run_is_not() -> None:
    from citecheck.extract import find_url_spans
    from citecheck.extract._spans import MAX_URL_CHARS

    long_url = "https://a.example/" + "x" * (MAX_URL_CHARS - 18)
    overlong = "https://b.example/" + "(https://b.example/" * 1000
    text = f"see {long_url} and {overlong} and https://c.example/\n"
    assert [span.url for span in find_url_spans(text)] == [long_url, "https://c.example/"]
    first = next(find_url_spans(text))
    assert text[first.start : first.end] == long_url
