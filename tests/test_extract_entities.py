"""URLs as a reader of the rendered page sees them: character references decoded in
HTML and Markdown text (HTML Standard, "character reference state"; CommonMark
"Entity and numeric character references"), CommonMark/GFM precedence of autolinks
and raw HTML over link brackets, and raw HTML code elements as verbatim.

Cases written from those rules; the fix round trip checks that each URL found is
also found again where ``fix`` rewrites it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.extract import extract_html, extract_markdown, find_decoded_url_spans
from citecheck.extract._entities import decode_references
from citecheck.extract._verbatim import verbatim_elements
from citecheck.fix.html import locate_html
from citecheck.fix.markdown import locate_markdown


def _urls(extraction) -> list[str]:
    return [citation.url for citation in extraction.citations]


def _offset(text: str, line: int, column: int) -> int:
    return sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + column - 1


# --- character references in HTML text ---------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>&lt;http://domain.com/foo&gt;</p>", ["http://domain.com/foo"]),
        ("<p>&quot;http://example.com/q&quot;</p>", ["http://example.com/q"]),
        ("<p>&#60;http://example.com/n&#62;</p>", ["http://example.com/n"]),  # decimal
        ("<p>&#x3C;http://example.com/h&#x3e;</p>", ["http://example.com/h"]),  # hex
        ("<p>&lthttp://example.com/legacy&gt</p>", ["http://example.com/legacy"]),  # no ";"
        ("<p>http://example.com/?a=1&amp;b=2&amp;c=3</p>", ["http://example.com/?a=1&b=2&c=3"]),
        ("<p>http://example.com/a&nbsp;then text</p>", ["http://example.com/a"]),
        ("<p>(see http://example.com/b&#41;.</p>", ["http://example.com/b"]),
        ("<p>http://example.com/c&#46; Next</p>", ["http://example.com/c"]),
        ("<p>&lsquo;http://example.com/d&rsquo;</p>", ["http://example.com/d"]),
        ("<p>http://example.com/e&amp;</p>", ["http://example.com/e&"]),
        ("<p>http://example.com/f&unknown;g</p>", ["http://example.com/f&unknown;g"]),
        ("<p>&amp;lt;http://example.com/g&amp;gt;</p>", ["http://example.com/g&gt"]),
    ],
)
def test_character_references_are_decoded_before_urls_are_found(html, expected):
    assert _urls(extract_html(html, "d.html")) == expected


def test_decoded_urls_keep_their_source_position_and_fix_finds_them():
    text = "<p>One\n  two &lt;http://domain.com/foo&gt; and http://a.example/?x=1&amp;y=2.</p>"
    citations = extract_html(text, "d.html").citations
    assert [(c.url, c.line, c.column) for c in citations] == [
        ("http://domain.com/foo", 2, 11),
        ("http://a.example/?x=1&y=2", 2, 41),
    ]
    for citation in citations:
        start = _offset(text, citation.line, citation.column)
        site = locate_html(text, start, citation.url, citation.line, citation.column)
        assert site is not None and site.url == citation.url
    second = locate_html(text, _offset(text, 2, 41), "http://a.example/?x=1&y=2", 2, 41)
    assert second is not None and second.raw == "http://a.example/?x=1&amp;y=2"


def test_href_values_and_script_text_are_unchanged():
    text = (
        '<p><a href="http://a.example/?q=1&amp;r=2">a</a>'
        "<script>var u = '&lt;http://script.example/&gt;';</script>"
        "<style>/* http://style.example/ */</style>"
        "<textarea>&lt;http://textarea.example/&gt;</textarea></p>"
    )
    assert _urls(extract_html(text, "d.html")) == ["http://a.example/?q=1&r=2"]


def test_decode_references_maps_offsets_back():
    source = "a&lt;b&amp;c"
    decoded = decode_references(source)
    assert decoded.text == "a<b&c"
    assert decoded.source_span(0, 5) == (0, len(source))
    assert decoded.source_span(2, 3) == (5, 6)  # "b"
    assert decoded.source_span(1, 2) == (1, 5)  # "<" is "&lt;"
    assert decode_references("no references") == decode_references("no references")


def test_find_decoded_url_spans_offsets_are_the_sources():
    text = "x &quot;http://a.example/?b=1&amp;c=2&quot; y"
    [span] = find_decoded_url_spans(text)
    assert span.url == "http://a.example/?b=1&c=2"
    assert text[span.start : span.end] == "http://a.example/?b=1&amp;c=2"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&#41;", "&nbsp;", "&", "http://",
                         "a.example", "/p", "?q=", " ", ".", "é", "&#x1F600;", "<b>", "\n"]),
        max_size=30,
    ).map("".join)
)  # fmt: skip
def test_every_decoded_span_decodes_to_its_url(text):
    for span in find_decoded_url_spans(text):
        assert decode_references(text[span.start : span.end]).text == span.url


# --- Markdown: autolinks and raw HTML bind tighter than link brackets -------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[foo<http://example.com/?search=](uri)>", ["http://example.com/?search=](uri)"]),
        ("[x <http://a.example/[y]> z](http://b.example/)", ["http://b.example/"]),
        # The "](" in the attribute closes nothing; the link is the outer one.
        (
            '[see <span title="](x)">http://in.example/</span>](http://out.example/)',
            ["http://out.example/"],
        ),
        # No "[" outside the autolink opens a link: the rest is text, its URL a bare one.
        ("<http://a.example/[x>](http://b.example/)", ["http://a.example/[x", "http://b.example/"]),
        ("[text](http://plain.example/)", ["http://plain.example/"]),
    ],
)
def test_markdown_autolinks_and_html_bind_tighter_than_brackets(markdown, expected):
    assert _urls(extract_markdown(markdown, "d.md")) == expected


# --- Markdown: raw HTML code is verbatim ----------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "<pre>\nhttp://pre.example/\n</pre>",
        "<PRE class=x>\n\nhttp://pre.example/ after a blank line\n</PRE>",
        "<script>\nvar u = 'http://script.example/';\n</script>",
        "<style>\n/* http://style.example/ */\n</style>",
        "<textarea>\nhttp://textarea.example/\n</textarea>",
        "Run <code>curl http://code.example/</code> to see.",
        "<div>\n<code>\nhttp://code.example/\n</code>\n</div>",
        "<div><pre>http://pre.example/</pre></div>",
    ],
)
def test_markdown_raw_html_code_is_verbatim(markdown):
    document = markdown + "\n\nCited: http://cited.example/"
    assert _urls(extract_markdown(document, "d.md")) == ["http://cited.example/"]


def test_a_stray_code_tag_hides_no_more_than_its_paragraph():
    document = "Use the <code> element for http://x.example/\n\nthen http://y.example/"
    assert _urls(extract_markdown(document, "d.md")) == ["http://y.example/"]


def test_verbatim_elements_is_linear_on_unclosed_tags():
    text = "<code>" * 50_000
    assert list(verbatim_elements(text)) == [(0, len(text))]
    spans = list(verbatim_elements("a <code>x</code> b <pre>\n\ny</pre>", within_paragraph=True))
    assert spans == [(2, 16), (19, 24)]


# --- Markdown: character references ---------------------------------------------------------


def test_markdown_character_references_in_text_and_destinations_not_in_autolinks():
    document = (
        "See &lt;http://domain.com/foo&gt; and [a](http://x.example/?a=1&amp;b=2).\n\n"
        "[r]: http://ref.example/?q=1&amp;r=2\n\n"
        "<http://auto.example/?a&amp;b>\n\n"
        "`http://code.example/?a&amp;b` http://bare.example/?a=1&amp;b=2."
    )
    citations = extract_markdown(document, "d.md").citations
    assert [c.url for c in citations] == [
        "http://domain.com/foo",
        "http://x.example/?a=1&b=2",
        "http://ref.example/?q=1&r=2",
        "http://auto.example/?a&amp;b",  # CommonMark: autolinks are taken as written
        "http://bare.example/?a=1&b=2",
    ]
    for citation in citations:
        start = _offset(document, citation.line, citation.column)
        site = locate_markdown(document, start, citation.url, citation.line, citation.column)
        assert site is not None and site.url == citation.url
