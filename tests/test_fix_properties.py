"""Properties of citecheck.fix over generated documents (hypothesis).

- with nothing to swap, a fix is the identity;
- bytes outside the replaced spans never change, and a replaced span held exactly
  the cited URL;
- extracting the fixed document finds each new URL on the line of the old one;
- undoing a fix gives back the original bytes.
"""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citecheck.extract import extract_html, extract_markdown, extract_text
from citecheck.fix import Decision, FixPlan, plan_fix, plan_undo
from citecheck.urls import normalize_url

# Generated HTML is sometimes a lone URL, which makes beautifulsoup4 warn.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")

WAYBACK = "https://web.archive.org/web/20210714000000/"
URLS = (
    "https://example.org/a",
    "https://example.org/a/b",
    "https://example.org/ab",
    "https://en.wikipedia.org/wiki/Foo_(bar)",
    "http://example.com/q?x=1&y=2",
    "https://example.net/path.html#part",
    "https://web.archive.org/web/2020/https://example.org/a",
)
WORDS = ("see", "the report", "Déjà", "café", "—", "“", "”", "'", '"', "é")
PUNCTUATION = (" ", " ", ".", ",", ";", ":", "!", "?", "(", ")", "*", "\n", "\r\n", "\n\n")
READERS = {"txt": extract_text, "md": extract_markdown, "html": extract_html}
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _url_token(url: str, kind: str) -> st.SearchStrategy[str]:
    if kind == "txt":
        forms = [url, f"({url})", f"{url}.", f'"{url}"']
    elif kind == "md":
        forms = [
            url,
            f"[a link]({url})",
            f'[t]({url} "title")',
            f"<{url}>",
            f"`{url}`",
            f"\n```\n{url}\n```\n",
            f"\n[1]: {url}\n",
        ]
    else:
        escaped = html.escape(url, quote=True)
        forms = [
            f'<a href="{escaped}">link</a>',
            f"<a href='{escaped}' class=x>link</a>",
            escaped,
            f"<pre>{escaped}</pre>",
            f"<!-- {escaped} -->",
        ]
    return st.sampled_from(forms)


def _documents(kind: str) -> st.SearchStrategy[str]:
    url = st.sampled_from(URLS).flatmap(lambda url: _url_token(url, kind))
    spaced_url = url.map(lambda token: f" {token} ")
    token = st.one_of(
        st.sampled_from(WORDS), st.sampled_from(PUNCTUATION), url, spaced_url, spaced_url
    )
    return st.lists(token, max_size=30).map("".join)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """(format, encoding, document bytes)."""
    kind = draw(st.sampled_from(sorted(READERS)))
    text = draw(_documents(kind))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    if encoding == "latin-1":
        text = text.encode("latin-1", errors="replace").decode("latin-1")
        # Keep it non-UTF-8 so that the latin-1 path is the one taken.
        text = "\xe9\xe9 " + text
    return kind, encoding, text.encode(encoding)


def _swaps(urls: set[str]) -> dict[str, Decision]:
    return {
        normalize_url(url): Decision(normalize_url(url), "swap", WAYBACK + url, "2021-07-14", "")
        for url in urls
    }


def _decode(plan: FixPlan, data: bytes) -> str:
    return data.decode("utf-8-sig") if plan.encoding == "utf-8" else data.decode("latin-1")


@PROPERTY_SETTINGS
@given(
    case=_cases(),
    left=st.sets(st.sampled_from(URLS)),
    style=st.sampled_from(["replace", "robust"]),
)
def test_nothing_to_swap_is_the_identity(
    case: tuple[str, str, bytes], left: set[str], style: str
) -> None:
    kind, _, data = case
    decisions = {
        normalize_url(url): Decision(normalize_url(url), "leave", None, None, "failing")
        for url in left
    }
    plan = plan_fix(f"doc.{kind}", data, decisions, style=style)  # type: ignore[arg-type]
    assert plan.replacements == []
    assert plan.apply() == data


@PROPERTY_SETTINGS
@given(case=_cases(), dead=st.sets(st.sampled_from(URLS), min_size=1))
def test_bytes_outside_replaced_spans_never_change(
    case: tuple[str, str, bytes], dead: set[str]
) -> None:
    kind, _, data = case
    plan = plan_fix(f"doc.{kind}", data, _swaps(dead))
    result = plan.apply()
    old_cursor = new_cursor = 0
    for item in plan.replacements:
        unchanged = item.start - old_cursor
        assert result[new_cursor : new_cursor + unchanged] == data[old_cursor : item.start]
        new_cursor += unchanged
        assert result[new_cursor : new_cursor + len(item.new_text)] == item.new_text
        new_cursor += len(item.new_text)
        old_cursor = item.end
        # Only the URL's own characters were replaced.
        assert data[item.start : item.end] == item.old_text
        assert html.unescape(item.old_text.decode(plan.encoding)) == item.old_url
        assert normalize_url(item.old_url) in _swaps(dead)
    assert result[new_cursor:] == data[old_cursor:]
    assert result.count(b"\n") == data.count(b"\n")


@PROPERTY_SETTINGS
@given(case=_cases(), dead=st.sets(st.sampled_from(URLS), min_size=1))
def test_extract_finds_the_new_urls_where_the_old_ones_were(
    case: tuple[str, str, bytes], dead: set[str]
) -> None:
    kind, _, data = case
    plan = plan_fix(f"doc.{kind}", data, _swaps(dead))
    reader = READERS[kind]
    before = reader(_decode(plan, data), "doc").citations
    after = reader(_decode(plan, plan.apply()), "doc").citations
    assert len(after) == len(before)
    found = {(citation.line, citation.url) for citation in after}
    for item in plan.replacements:
        assert (item.line, item.new_url) in found
    swapped = {(item.line, item.column) for item in plan.replacements}
    for old, new in zip(before, after, strict=True):
        assert old.line == new.line
        if (old.line, old.column) not in swapped:
            assert new.url == old.url


@PROPERTY_SETTINGS
@given(
    case=_cases(),
    dead=st.sets(st.sampled_from(URLS), min_size=1),
    style=st.sampled_from(["replace", "robust"]),
)
def test_undo_gives_back_the_original(
    case: tuple[str, str, bytes], dead: set[str], style: str
) -> None:
    kind, _, data = case
    plan = plan_fix(f"doc.{kind}", data, _swaps(dead), style=style)  # type: ignore[arg-type]
    assert plan_undo(f"doc.{kind}", plan.apply(), plan.replacements).apply() == data
