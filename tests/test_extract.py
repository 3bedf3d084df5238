"""Tests for citecheck.extract: documents → citations with exact positions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.errors import InputError
from citecheck.extract import (
    MAX_CONTEXT_CHARS,
    extract_file,
    extract_html,
    extract_markdown,
    extract_text,
    find_url_spans,
    match_titles,
)
from citecheck.models import Citation

DATA = Path(__file__).parent / "data"
SEED = DATA / "000_48056259ef750032.txt"
RISE = "https://edri.org/wp-content/uploads/2021/07/EDRI_RISE_REPORT.pdf"


def _urls(extraction) -> list[str]:
    return [citation.url for citation in extraction.citations]


def _at(text: str, citation: Citation) -> str:
    """The text from the citation's position to the end of its line."""
    line = text.split("\n")[citation.line - 1]
    return line[citation.column - 1 :]


# --- plain text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("See https://example.org/a.", "https://example.org/a"),
        ("See https://example.org/a, then more", "https://example.org/a"),
        ("Is it https://example.org/a?", "https://example.org/a"),
        ("Wow https://example.org/a!", "https://example.org/a"),
        ("List: https://example.org/a; next", "https://example.org/a"),
        ("(see https://example.org/a)", "https://example.org/a"),
        ("[https://example.org/a]", "https://example.org/a"),
        ("“https://example.org/a”", "https://example.org/a"),
        ("‘https://example.org/a’", "https://example.org/a"),
        ("«https://example.org/a»", "https://example.org/a"),
        ('"https://example.org/a"', "https://example.org/a"),
        ("'https://example.org/a'", "https://example.org/a"),
        ("**https://example.org/a**", "https://example.org/a"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar)).",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("ftp://ftp.example.org/file.txt.", "ftp://ftp.example.org/file.txt"),
        ("write to mailto:team@example.org.", "mailto:team@example.org"),
    ],
)
def test_text_trims_what_is_not_part_of_the_url(text: str, url: str) -> None:
    extraction = extract_text(text, "doc.txt")
    assert _urls(extraction) == [url]
    citation = extraction.citations[0]
    assert (citation.line, citation.column) == (1, text.index(url) + 1)


def test_text_ignores_schemeless_links_and_bare_emails() -> None:
    text = "Visit example.com or www.example.org, mail me@example.org, or //cdn.example.org/x."
    assert extract_text(text, "doc.txt").citations == []


def test_text_two_urls_joined_by_and_share_the_claim() -> None:
    text = (
        "They only sell it abroad: https://a.example/story/ and https://b.example/watch?v=1&x=y\n"
    )
    first, second = extract_text(text, "doc.txt").citations
    assert (first.url, second.url) == (
        "https://a.example/story/",
        "https://b.example/watch?v=1&x=y",
    )
    assert first.context == second.context == "They only sell it abroad"
    assert _at(text, second).startswith("https://b.example/watch?v=1&x=y")


def test_text_a_url_that_is_a_prefix_of_another_gets_its_own_span() -> None:
    text = "Long https://example.org/a/b first, short https://example.org/a after."
    spans = list(find_url_spans(text))
    assert [(text[s.start : s.end], s.url) for s in spans] == [
        ("https://example.org/a/b", "https://example.org/a/b"),
        ("https://example.org/a", "https://example.org/a"),
    ]
    assert spans[1].start == text.rindex("https://example.org/a")


def test_text_positions_count_characters_not_bytes_on_the_right_line() -> None:
    text = "first line\nÉté €€€ “quoted”: https://example.org/x\n"
    (citation,) = extract_text(text, "doc.txt").citations
    assert (citation.line, citation.column) == (2, 19)
    assert _at(text, citation) == "https://example.org/x"


def test_text_crlf_does_not_leak_into_urls_or_positions() -> None:
    text = "Claim one: https://example.org/one\r\nClaim two: https://example.org/two\r\n"
    one, two = extract_text(text, "doc.txt").citations
    assert (one.url, one.line, one.column) == ("https://example.org/one", 1, 12)
    assert (two.url, two.line, two.column) == ("https://example.org/two", 2, 12)
    assert two.context == "Claim two"


@pytest.mark.parametrize(
    ("after", "page"),
    [
        (" [p.67]", "67"),
        (" [p. 67]", "67"),
        (" p.67", "67"),
        (" pp.118-122", "118-122"),
        (" pp. 118–122", "118-122"),
        (" pp. 118 — 122", "118-122"),
        (" (p. 5)", "5"),
        (" page 12", "12"),
        (" Pages 3-4", "3-4"),
        (", p. 9", "9"),
        ("", None),
        (" pp.", None),
        (" page twelve", None),
        (" p.67x", None),
    ],
)
def test_text_page_marker_after_the_url(after: str, page: str | None) -> None:
    text = f"The claim: https://example.org/report.pdf{after}\n"
    (citation,) = extract_text(text, "doc.txt").citations
    assert citation.url == "https://example.org/report.pdf"
    assert citation.page == page


def test_text_page_marker_on_the_next_line_is_not_the_urls() -> None:
    (citation,) = extract_text("See https://example.org/r\np. 5 of it", "doc.txt").citations
    assert citation.page is None


def test_text_context_is_the_last_sentence_trimmed() -> None:
    text = (
        "Old news. The safety of this data was compromised, e.g. leaked: "
        "https://example.org/hack and\n"
    )
    (citation,) = extract_text(text, "doc.txt").citations
    assert citation.context == "The safety of this data was compromised, e.g. leaked"


def test_text_context_keeps_the_sentence_before_a_too_short_one() -> None:
    text = "Police used face recognition at the border. See: https://example.org/x\n"
    (citation,) = extract_text(text, "doc.txt").citations
    assert citation.context == "Police used face recognition at the border."


def test_text_context_stops_at_an_earlier_citation_with_words_between() -> None:
    text = "Claim A: https://example.org/a Claim B is different: https://example.org/b\n"
    first, second = extract_text(text, "doc.txt").citations
    assert (first.context, second.context) == ("Claim A", "Claim B is different")


def test_text_context_of_a_url_at_line_start_is_none() -> None:
    (citation,) = extract_text("https://example.org/x\n", "doc.txt").citations
    assert citation.context is None


def test_text_context_is_cut_at_a_word_boundary() -> None:
    claim = " ".join(f"word{number}" for number in range(80))
    (citation,) = extract_text(f"{claim}: https://example.org/x", "doc.txt").citations
    assert citation.context is not None
    assert len(citation.context) <= MAX_CONTEXT_CHARS
    assert citation.context.endswith("…")
    assert claim.startswith(citation.context[:-1])
    assert citation.context[:-1].split()[-1] in claim.split()


# --- title-only citations -------------------------------------------------------------


def test_title_only_citation_with_only_a_closing_curly_quote() -> None:
    text = (
        "Living labs combine monitoring of their social media interactions and other data: "
        "The rise and rise of biometric mass surveillance in the EU” [p.88]\n"
    )
    extraction = extract_text(text, "doc.txt")
    assert extraction.citations == []
    (citation,) = extraction.unresolved
    assert citation.url is None
    assert citation.title == "The rise and rise of biometric mass surveillance in the EU"
    assert citation.page == "88"
    assert (citation.document, citation.line) == ("doc.txt", 1)
    assert _at(text, citation).startswith("The rise and rise")
    assert citation.context == (
        "Living labs combine monitoring of their social media interactions and other data"
    )


@pytest.mark.parametrize(
    ("quoted", "title"),
    [
        ("“Facial recognition in Europe” (p. 5)", "Facial recognition in Europe"),
        ('"Facial recognition in Europe" p. 5', "Facial recognition in Europe"),
        ("«Facial recognition in Europe» [p.5]", "Facial recognition in Europe"),
        ("‘Facial recognition in Europe’ page 5", "Facial recognition in Europe"),
        ("'Facial recognition in Europe' page 5", "Facial recognition in Europe"),
    ],
)
def test_title_only_citation_quote_styles(quoted: str, title: str) -> None:
    extraction = extract_text(f"As reported in {quoted}.\n", "doc.txt")
    assert [(c.title, c.page) for c in extraction.unresolved] == [(title, "5")]


def test_no_title_only_citation_when_the_sentence_has_a_url() -> None:
    text = "In “The report” https://example.org/r.pdf [p.5] they say “More” [p.6]\n"
    extraction = extract_text(text, "doc.txt")
    assert [(c.url, c.page) for c in extraction.citations] == [("https://example.org/r.pdf", "5")]
    assert extraction.unresolved == []


def test_no_title_only_citation_from_an_apostrophe() -> None:
    extraction = extract_text("The users’ p. 5 rights were ignored.\n", "doc.txt")
    assert extraction.unresolved == []


# --- Markdown ----------------------------------------------------------------------------

MARKDOWN = (
    "# Sources https://heading.example/h\n"
    "\n"
    'Clearview was hacked ([CNN](https://cnn.example/a_(b) "CNN story")) and '
    "[the report](<https://x.example/a b>) [p. 5].\n"
    "Wiki: https://en.wikipedia.org/wiki/Foo_(bar). "
    "Not `https://code-span.example/x` but <https://auto.example/y>.\n"
    "\n"
    "```\n"
    "https://fenced.example/\n"
    "```\n"
    "\n"
    "    https://indented.example/\n"
    "\n"
    "[![logo](https://img.example/logo.png)](https://outer.example/)\n"
    "![alt](https://img2.example/) [relative](../notes.md) <!-- https://comment.example/ -->\n"
    "\n"
    '[ref]: https://ref.example/r "Ref title"\n'
)


def test_markdown_finds_links_and_skips_code() -> None:
    extraction = extract_markdown(MARKDOWN, "doc.md")
    assert _urls(extraction) == [
        "https://heading.example/h",
        "https://cnn.example/a_(b)",
        "https://x.example/a b",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://auto.example/y",
        "https://outer.example/",
        "https://ref.example/r",
    ]
    for citation in extraction.citations:
        assert _at(MARKDOWN, citation).startswith(citation.url)


def test_markdown_link_details() -> None:
    by_url = {c.url: c for c in extract_markdown(MARKDOWN, "doc.md").citations}
    cnn = by_url["https://cnn.example/a_(b)"]
    assert (cnn.title, cnn.context, cnn.line, cnn.column) == (
        "CNN story",
        "Clearview was hacked",
        3,
        29,
    )
    report = by_url["https://x.example/a b"]
    assert report.page == "5"
    assert report.title is None
    assert by_url["https://ref.example/r"].title == "Ref title"
    assert by_url["https://outer.example/"].context == "logo"


def test_markdown_link_text_is_the_context_when_nothing_precedes() -> None:
    (citation,) = extract_markdown(
        "[Police misuse of face data](https://e.example/x)\n", "d.md"
    ).citations
    assert citation.context == "Police misuse of face data"
    assert citation.title is None


def test_markdown_crlf_and_unclosed_code_span() -> None:
    text = "Claim `one: https://a.example/x\r\n\r\nOther: https://b.example/y\r\n"
    extraction = extract_markdown(text, "d.md")
    assert _urls(extraction) == ["https://a.example/x", "https://b.example/y"]
    assert [(c.line, c.column) for c in extraction.citations] == [(1, 13), (3, 8)]


def test_markdown_title_only_citation() -> None:
    text = "Combined with other data: The rise and rise of biometric mass surveillance” [p.88]\n"
    (citation,) = extract_markdown(text, "d.md").unresolved
    assert (citation.title, citation.page) == (
        "The rise and rise of biometric mass surveillance",
        "88",
    )


# --- HTML --------------------------------------------------------------------------------

HTML = (
    '<html><head><script>var u = "https://script.example/";</script></head>\n'
    "<body>\n"
    '<p>Clearview was hacked: <a class="x" href="https://cnn.example/?a=1&amp;b=2" '
    "title=\"CNN &amp; co\">CNN</a> [p.67] and <a href='/relative'>here</a>.</p>\n"
    "<p>Bare https://bare.example/x, and <code>https://code.example/</code> "
    "<!-- https://comment.example/ --></p>\n"
    '<ul><li><A HREF = " https://upper.example/ ">https://upper.example/</A></li></ul>\n'
    "</body></html>\n"
)


def test_html_anchors_and_bare_urls() -> None:
    extraction = extract_html(HTML, "doc.html")
    assert _urls(extraction) == [
        "https://cnn.example/?a=1&b=2",
        "https://bare.example/x",
        "https://upper.example/",
    ]


def test_html_raw_span_is_exact_and_entities_are_decoded() -> None:
    cnn, bare, upper = extract_html(HTML, "doc.html").citations
    assert _at(HTML, cnn).startswith('https://cnn.example/?a=1&amp;b=2"')
    assert (cnn.line, cnn.page, cnn.title, cnn.context) == (
        3,
        "67",
        "CNN & co",
        "Clearview was hacked",
    )
    assert (bare.line, bare.column) == (4, 9)
    assert _at(HTML, upper).startswith("https://upper.example/ ")
    assert upper.context is None


def test_html_crlf_and_bom_free_positions() -> None:
    text = '<p>\r\nSee <a href="https://a.example/">A</a>\r\n</p>\r\n'
    (citation,) = extract_html(text, "doc.html").citations
    assert (citation.line, citation.column) == (2, 14)


# --- files -------------------------------------------------------------------------------


def test_extract_file_dispatches_by_suffix_and_strips_bom(tmp_path: Path) -> None:
    markdown = tmp_path / "a.MD"
    markdown.write_bytes("\ufeffSee `https://code.example/` and https://a.example/x\n".encode())
    (citation,) = extract_file(markdown).citations
    assert (citation.url, citation.column, citation.document) == (
        "https://a.example/x",
        33,
        str(markdown),
    )
    page = tmp_path / "b.htm"
    page.write_text('<a href="https://b.example/">b</a>', encoding="utf-8")
    assert _urls(extract_file(page, document="site/b.htm")) == ["https://b.example/"]
    assert extract_file(page, document="site/b.htm").citations[0].document == "site/b.htm"
    unknown = tmp_path / "notes.rst"
    unknown.write_text("Read https://c.example/.\n", encoding="utf-8")
    assert _urls(extract_file(unknown)) == ["https://c.example/"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\x00\x01\x02", "binary"),
        (b"ok line\ncaf\xe9 https://x.example/\n", "line 2: not UTF-8"),
    ],
)
def test_extract_file_refuses_binary_and_undecodable(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as error:
        extract_file(path)
    assert str(path) in str(error.value)


def test_extract_file_refuses_missing_files_and_folders(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.md", tmp_path):
        with pytest.raises(InputError, match="cannot read") as error:
            extract_file(path)
        assert str(path) in str(error.value)


# --- the real seed document ----------------------------------------------------------------


def test_seed_document(tmp_path: Path) -> None:
    copy = tmp_path / "campaign.txt"
    shutil.copy(SEED, copy)
    extraction = extract_file(copy, document="campaign.txt")
    urls = _urls(extraction)
    assert len(set(urls)) == 14
    rise = [c for c in extraction.citations if c.url == RISE]
    assert sorted((c.page or "") for c in rise) == ["", "118-122", "67", "92"]
    (title_only,) = extraction.unresolved
    assert title_only.title == "The rise and rise of biometric mass surveillance in the EU"
    assert (title_only.page, title_only.document, title_only.line) == ("88", "campaign.txt", 60)
    text = SEED.read_text(encoding="utf-8")
    for citation in extraction.citations:
        assert _at(text, citation).startswith(citation.url)
        assert citation.context
        assert len(citation.context) <= MAX_CONTEXT_CHARS
    wired, youtube = (c for c in extraction.citations if c.line == 39)
    assert wired.url == "https://www.wired.com/story/europe-ban-biometric-surveillance/"
    assert youtube.url == "https://www.youtube.com/watch?v=u30vRl70tgM&feature=youtu.be"
    assert wired.context == youtube.context
    assert wired.context.endswith(
        "they would only sell that part of their tech to non-EU countries"
    )


# --- match_titles ----------------------------------------------------------------------------


def _title_only(title: str | None) -> Citation:
    return Citation(url=None, document="doc.txt", line=3, column=5, title=title, page="88")


def test_match_titles_exact_after_normalisation() -> None:
    known = {"THE RISE AND RISE OF BIOMETRIC MASS SURVEILLANCE IN THE EU.": RISE}
    matched, still = match_titles(
        [_title_only("“The rise and rise of biometric mass surveillance in the EU”")], known
    )
    assert still == []
    (citation,) = matched
    assert (citation.url, citation.page, citation.line) == (RISE, "88", 3)


def test_match_titles_fuzzy_and_contained() -> None:
    known = {
        "The rise and rise of biometric mass surveillance in the EU": RISE,
        "Ban biometric mass surveillance: a report": "https://other.example/",
    }
    close = _title_only("The rise and rise of biometric mass surveilance in the EU")
    contained = _title_only("rise and rise of biometric")
    matched, still = match_titles([close, contained], known)
    assert [c.url for c in matched] == [RISE, RISE]
    assert still == []


def test_match_titles_negative_cases() -> None:
    known = {
        "Annual report on policing 2021": "https://a.example/2021",
        "Annual report on policing 2021 (revised)": "https://b.example/2021",
        "Biometric mass surveillance in Europe": "https://c.example/",
        "Biometric Mass Surveillance in Europe!": "https://d.example/",
        "A long title about policing and data": "https://e.example/",
    }
    ambiguous = _title_only("Biometric mass surveillance in Europe")
    too_short = _title_only("policing and data")
    unknown = _title_only("Something else entirely")
    contained_twice = _title_only("The annual report on policing 2021, revised edition")
    no_title = _title_only(None)
    citations = [ambiguous, too_short, unknown, contained_twice, no_title]
    matched, still = match_titles(citations, known)
    assert matched == []
    assert still == citations


def test_match_titles_same_url_spelled_twice_is_not_ambiguous() -> None:
    known = {"The report": "https://A.example/r", "The report!": "https://a.example/r#top"}
    matched, still = match_titles([_title_only("the report")], known)
    assert [c.url for c in matched] == ["https://A.example/r"]
    assert still == []


# --- properties --------------------------------------------------------------------------------

_URLISH = st.sampled_from(
    ["https://", "http://", "ftp://", "mailto:", "example.org", "/", "(", ")", "[", "]", "”", "’",
     "'", '"', ".", ",", ":", "?", "&amp;", " ", "\n", "\r\n", "p. 5", "a", "é", "%20", "#"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_URLISH, st.text(max_size=5)), max_size=30).map("".join))
def test_every_span_is_exact_and_starts_with_a_scheme(text: str) -> None:
    for span in find_url_spans(text):
        assert text[span.start : span.end] == span.url
        assert span.url.lower().startswith(("http://", "https://", "ftp://", "mailto:"))
        assert span.url[-1] not in ".,;:!?"
    for citation in extract_text(text, "doc.txt").citations:
        assert _at(text, citation).startswith(citation.url)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            _URLISH,
            st.text(max_size=3),
            st.sampled_from(["`", "```\n", "    ", "[", "](", "<", ">", "\n\n", "\r", "<!--"]),
        ),
        max_size=30,
    ).map("".join)
)
def test_markdown_spans_are_exact(text: str) -> None:
    for citation in extract_markdown(text, "doc.md").citations:
        assert _at(text, citation).startswith(citation.url)
