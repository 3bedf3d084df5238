"""The Markdown report: hostile titles cannot break its table, its lists or its links.

The output is parsed back with markdown-it-py (GFM-like, as GitHub renders issues)
and checked token by token: each link points where it should and reads as the
title, no HTML gets through, and every table row has its two cells.
"""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from report_fixtures import (
    BACKSLASH_URL,
    ENTITY_TITLE,
    HOSTILE_DETAIL,
    HOSTILE_DOCUMENT,
    JAVASCRIPT_URL,
    MD_BREAKER,
    NOW,
    XSS_IMG,
    fixture_links,
    fixture_report,
)

from citecheck.models import LinkState, Status
from citecheck.report import LinkReport, Report
from citecheck.report.markdown import escape, link_target, write_markdown

_MD = MarkdownIt("gfm-like")


def _write(report: Report) -> str:
    out = io.StringIO()
    write_markdown(report, out)
    return out.getvalue()


def _one_link_report(title: str, url: str = "https://example.org/a", **state: object) -> str:
    link = LinkReport(
        state=LinkState(url=url, title=title, **state),  # type: ignore[arg-type]
        citations=[],
        history=[],
    )
    return _write(Report(generated_at=NOW, summary={}, links=lambda: iter([link])))


def _links(tokens: list[Token]) -> list[tuple[str, str]]:
    """(href, text) of every link, in document order."""
    found = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        href, text = None, []
        for child in token.children:
            if child.type == "link_open":
                href, text = str(child.attrs["href"]), []
            elif child.type == "link_close" and href is not None:
                found.append((href, "".join(text)))
                href = None
            elif href is not None and child.type in ("text", "code_inline"):
                text.append(child.content)
    return found


def _cells(row: str) -> list[str]:
    """The cells of a GFM table row, split on pipes that are not escaped."""
    inner = row.strip()[1:-1]
    return re.split(r"(?<!\\)\|", inner)


@pytest.fixture(scope="module")
def markdown() -> str:
    return _write(fixture_report())


@pytest.fixture(scope="module")
def tokens(markdown: str) -> list[Token]:
    return _MD.parse(markdown)


def test_every_table_row_has_two_cells(markdown: str, tokens: list[Token]) -> None:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 7  # header, delimiter, one per status
    assert all(len(_cells(row)) == 2 for row in rows)
    cells = [t for t in tokens if t.type in ("th_open", "td_open")]
    assert len(cells) == 2 * 8
    assert sum(1 for t in tokens if t.type == "tr_open") == 8


def test_no_html_gets_through(tokens: list[Token]) -> None:
    kinds = {t.type for t in tokens} | {
        child.type for t in tokens if t.children for child in t.children
    }
    assert "html_inline" not in kinds and "html_block" not in kinds


def test_each_link_reads_as_its_title_and_points_at_its_url(tokens: list[Token]) -> None:
    links = dict(_links(tokens))
    expected_titles = {
        "https://example.org/gone": XSS_IMG,
        "https://slow.example.com/": "<script>window.pwned=1</script>",
        "https://ok.example.com/": "=1+1",
    }
    by_url = {unquote(href): text for href, text in links.items()}
    for url, title in expected_titles.items():
        assert by_url[url] == title
    assert by_url["https://example.net/path\\"] == '=HYPERLINK("https://evil.example/","click")'


def test_one_top_level_item_per_link(tokens: list[Token]) -> None:
    items = [t for t in tokens if t.type == "list_item_open" and t.level == 1]
    assert len(items) == len(fixture_links())


def test_hostile_urls_stay_one_link(tokens: list[Token]) -> None:
    hrefs = [unquote(href) for href, _text in _links(tokens)]
    assert BACKSLASH_URL in hrefs
    assert any(href.startswith("https://hostile.example.com/?q=") for href in hrefs)
    assert not [href for href in hrefs if "javascript" in href.lower()]


def test_javascript_url_is_text_not_a_link(markdown: str, tokens: list[Token]) -> None:
    assert f"- {escape(JAVASCRIPT_URL)}\n" in markdown
    assert not [href for href, _ in _links(tokens) if href.lower().startswith("javascript")]


def test_entities_stay_literal(tokens: list[Token]) -> None:
    texts = [text for _href, text in _links(tokens)]
    assert ENTITY_TITLE in texts


def test_document_names_and_details_are_escaped(markdown: str) -> None:
    html = _MD.render(markdown)
    assert "&lt;docs&gt;/a&amp;b&quot;c'.md:3" in html
    assert "&lt;b onmouseover=&quot;window.pwned=1&quot;&gt;bold&lt;/b&gt;" in html
    assert HOSTILE_DETAIL not in html


@pytest.mark.parametrize(
    "title",
    [
        MD_BREAKER,
        "A | B | C",
        "[not a link](https://evil.example/)",
        "closing ]] brackets [[",
        "first line\nsecond line\r\nthird\u2028fourth",
        "ends with a backslash \\",
        "- looks like a list item",
        "1. looks like an ordered list",
        "`code` and *stars* and _underscores_",
    ],
)
def test_a_hostile_title_is_one_link_with_that_text(title: str) -> None:
    markdown = _one_link_report(title, status=Status.BROKEN)
    tokens = _MD.parse(markdown)
    assert _links(tokens) == [("https://example.org/a", " ".join(title.split()))]
    entry = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(entry) == 1


@pytest.mark.parametrize(
    "title", ["Pipes | in a table", "a\nnew | line", "[x] | [y]", "trailing \\"]
)
def test_escaped_titles_do_not_break_a_table_cell(title: str) -> None:
    row = f"| {escape(title)} | 1 |"
    table = f"| Title | Links |\n|---|---:|\n{row}\n"
    tokens = _MD.parse(table)
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    inline = [t for t in tokens if t.type == "inline"][2]
    assert inline.content.replace("\\", "") == " ".join(title.split()).replace("\\", "")


def test_link_target_encodes_what_would_end_it() -> None:
    assert link_target("https://example.org/a b>c<d\\e\tf") == (
        "<https://example.org/a%20b%3Ec%3Cd%5Ce%09f>"
    )


def test_ok_links_are_listed_as_links(tokens: list[Token]) -> None:
    hrefs = {unquote(href) for href, _ in _links(tokens)}
    for link in fixture_links():
        if link.state.status is Status.OK:
            assert link.state.url in hrefs


def test_archive_and_redirect_targets(markdown: str, tokens: list[Token]) -> None:
    hrefs = {unquote(href) for href, _ in _links(tokens)}
    assert "https://new.example.com/page" in hrefs
    assert fixture_links()[0].archive_url in hrefs
    assert "Cited in \\<docs\\>/a\\&b\"c'.md:9" in markdown
    assert HOSTILE_DOCUMENT not in markdown
