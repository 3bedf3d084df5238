"""Tests for citecheck.fix: planning and applying link swaps, byte for byte."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from citecheck.errors import FixError
from citecheck.fix import (
    Decision,
    LeftLink,
    is_archive_url,
    plan_fix,
    plan_undo,
    rebase_plan,
    verify_plan,
    write_atomically,
)
from citecheck.urls import normalize_url

WAYBACK = "https://web.archive.org/web/20210714000000/"


def _swap(url: str, *, date: str = "2021-07-14") -> Decision:
    return Decision(
        normalize_url(url), "swap", WAYBACK + url, date, f"broken (not_found); archived {date}"
    )


def _decisions(*items: Decision) -> dict[str, Decision]:
    return {item.url: item for item in items}


def _fixed(name: str, data: bytes, *items: Decision, **options) -> bytes:
    return plan_fix(name, data, _decisions(*items), **options).apply()


A = "https://example.org/a"
ARCHIVED_A = (WAYBACK + A).encode()


# --- plain text ----------------------------------------------------------------------


def test_trailing_punctuation_stays_outside_the_swap() -> None:
    data = b"See https://example.org/a. Also (https://example.org/a), and https://example.org/a!"
    expected = b"See " + ARCHIVED_A + b". Also (" + ARCHIVED_A + b"), and " + ARCHIVED_A + b"!"
    assert _fixed("notes.txt", data, _swap(A)) == expected


def test_parentheses_inside_a_wikipedia_url_are_part_of_it() -> None:
    wiki = "https://en.wikipedia.org/wiki/Foo_(bar)"
    data = b"(see https://en.wikipedia.org/wiki/Foo_(bar))."
    assert _fixed("notes.txt", data, _swap(wiki)) == b"(see " + (WAYBACK + wiki).encode() + b")."


def test_a_url_that_prefixes_a_longer_one_is_not_touched_inside_it() -> None:
    data = b"https://example.org/a/b then https://example.org/a and https://example.org/ab\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert plan.apply() == (
        b"https://example.org/a/b then " + ARCHIVED_A + b" and https://example.org/ab\n"
    )
    assert [(item.line, item.column) for item in plan.replacements] == [(1, 30)]


def test_a_url_cited_twice_is_swapped_at_both_places() -> None:
    data = b"First https://example.org/a\nagain https://example.org/a\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert plan.apply() == b"First " + ARCHIVED_A + b"\nagain " + ARCHIVED_A + b"\n"
    assert [(item.line, item.start, item.end) for item in plan.replacements] == [
        (1, 6, 27),
        (2, 34, 55),
    ]
    assert all(item.old_text == A.encode() for item in plan.replacements)


def test_crlf_and_bom_are_kept_byte_for_byte() -> None:
    data = b"\xef\xbb\xbfLine one\r\nDead: https://example.org/a\r\nLast\r\n"
    expected = b"\xef\xbb\xbfLine one\r\nDead: " + ARCHIVED_A + b"\r\nLast\r\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert plan.apply() == expected
    assert plan.replacements[0].start == 3 + len(b"Line one\r\nDead: ")
    assert (plan.replacements[0].line, plan.replacements[0].column) == (2, 7)


def test_multibyte_text_before_a_url_maps_to_exact_byte_offsets() -> None:
    data = "Déjà vu — “https://example.org/a” ✓\n".encode()
    expected = "Déjà vu — “".encode() + ARCHIVED_A + "” ✓\n".encode()
    assert _fixed("notes.txt", data, _swap(A)) == expected


def test_latin1_text_is_rewritten_in_its_own_encoding() -> None:
    data = b"Caf\xe9 cr\xe8me: https://example.org/a \xe9t\xe9\r\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert plan.encoding == "latin-1"
    assert plan.apply() == b"Caf\xe9 cr\xe8me: " + ARCHIVED_A + b" \xe9t\xe9\r\n"


def test_a_non_ascii_url_in_latin1_text_is_left_for_a_human() -> None:
    iri = "https://example.org/\xe9t\xe9"
    data = b"\xabhttps://example.org/\xe9t\xe9\xbb\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(iri)))
    assert plan.apply() == data
    assert plan.left == [LeftLink(iri, 1, "non-ASCII URL in a document that is not UTF-8")]


def test_a_fragment_is_carried_to_the_archived_copy() -> None:
    data = b"https://example.org/a#section-2\n"
    assert _fixed("notes.txt", data, _swap(A)) == ARCHIVED_A + b"#section-2\n"


def test_nul_bytes_mean_not_a_text_document() -> None:
    with pytest.raises(FixError, match="NUL"):
        plan_fix("notes.txt", "https://example.org/a".encode("utf-16"), {})


def test_unknown_style_is_refused() -> None:
    with pytest.raises(FixError, match="style"):
        plan_fix("notes.txt", b"", {}, style="fancy")  # type: ignore[arg-type]


# --- what changes and what is left --------------------------------------------------


def test_failing_blocked_and_uncaptured_links_are_left_with_reasons() -> None:
    decisions = _decisions(
        Decision("https://failing.org/", "leave", None, None, "failing: not yet confirmed"),
        Decision("https://blocked.org/", "leave", None, None, "blocked (bot_protection)"),
        Decision("https://nocapture.org/", "swap", None, None, "broken (gone); no good capture"),
    )
    data = b"https://failing.org/\nhttps://blocked.org/\nhttps://nocapture.org/\n"
    plan = plan_fix("notes.txt", data, decisions)
    assert plan.apply() == data
    assert plan.replacements == []
    assert plan.left == [
        LeftLink("https://failing.org/", 1, "failing: not yet confirmed"),
        LeftLink("https://blocked.org/", 2, "blocked (bot_protection)"),
        LeftLink(
            "https://nocapture.org/",
            3,
            "broken (gone); no good capture; no URL to put in its place",
        ),
    ]
    assert plan.summary() == (
        "notes.txt: 0 swapped for an archived copy, 0 updated to where they redirect, "
        "3 left for a human\n"
        "  line 1: left https://failing.org/ (failing: not yet confirmed)\n"
        "  line 2: left https://blocked.org/ (blocked (bot_protection))\n"
        "  line 3: left https://nocapture.org/ (broken (gone); no good capture; "
        "no URL to put in its place)\n"
    )


def test_links_without_a_decision_are_untouched_and_unlisted() -> None:
    data = b"Fine: https://ok.example.org/page\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert (plan.apply(), plan.replacements, plan.left) == (data, [], [])


def test_redirects_are_updated_only_with_the_flag() -> None:
    decision = Decision("https://old.org/page", "update", "https://new.org/page", None, "moved")
    data = b"See https://OLD.org/page.\n"
    without = plan_fix("notes.txt", data, _decisions(decision))
    assert without.apply() == data
    assert without.left == [
        LeftLink("https://OLD.org/page", 1, "moved; redirects are updated only when asked")
    ]
    with_flag = plan_fix("notes.txt", data, _decisions(decision), redirects=True)
    assert with_flag.apply() == b"See https://new.org/page.\n"
    assert with_flag.replacements[0].action == "update"
    assert "0 swapped for an archived copy, 1 updated" in with_flag.summary()


def test_a_link_already_pointing_at_an_archive_is_left_alone() -> None:
    archived = WAYBACK + A
    perma = "https://perma.cc/ABC1-DEF2"
    local = "http://127.0.0.1:8999/web/2021/https://example.org/b"
    decisions = _decisions(_swap(archived), _swap(perma), _swap(local))
    data = f"{archived}\n{perma}\n{local}\n".encode()
    plan = plan_fix("notes.txt", data, decisions, archive_prefixes=["http://127.0.0.1:8999/web/"])
    assert plan.apply() == data
    assert [item.why for item in plan.left] == ["already points at an archived copy"] * 3


def test_is_archive_url_knows_the_archives() -> None:
    assert is_archive_url("https://web.archive.org/web/2021/https://x.org/")
    assert is_archive_url("https://archive.ph/AbCd1")
    assert is_archive_url("http://www.webcitation.org/5abc")
    assert not is_archive_url("https://web.archive.org/about/")
    assert not is_archive_url("https://example.org/web.archive.org/web/")
    assert is_archive_url("https://wb.example/web/2021/x", ["https://WB.example/web/"])


def test_an_invalid_url_is_left_with_the_reason() -> None:
    data = b"Broken: [x](http://example.org:99999/x) here\n"
    plan = plan_fix("doc.md", data, {})
    assert plan.apply() == data
    assert plan.left == [
        LeftLink(
            "http://example.org:99999/x",
            1,
            "not a valid URL: 'http://example.org:99999/x' is not a valid URL: "
            "Port out of range 0-65535",
        )
    ]


# --- Markdown ------------------------------------------------------------------------

MARKDOWN = (
    b"# Sources\n"
    b"\n"
    b'Inline [the report](https://example.org/a "Title") and <https://example.org/a>.\n'
    b"Bare: https://example.org/a; reference [r][1].\n"
    b"\n"
    b"```\n"
    b"curl https://example.org/a\n"
    b"```\n"
    b"\n"
    b"    https://example.org/a\n"
    b"\n"
    b"Code `https://example.org/a` stays.\n"
    b"\n"
    b"[1]: https://example.org/a\n"
)


def test_markdown_swaps_every_link_form_and_leaves_code_alone() -> None:
    new = ARCHIVED_A
    expected = (
        b"# Sources\n"
        b"\n"
        b"Inline [the report](" + new + b' "Title") and <' + new + b">.\n"
        b"Bare: " + new + b"; reference [r][1].\n"
        b"\n"
        b"```\n"
        b"curl https://example.org/a\n"
        b"```\n"
        b"\n"
        b"    https://example.org/a\n"
        b"\n"
        b"Code `https://example.org/a` stays.\n"
        b"\n"
        b"[1]: " + new + b"\n"
    )
    plan = plan_fix("doc.md", MARKDOWN, _decisions(_swap(A)))
    assert plan.apply() == expected
    assert [item.line for item in plan.replacements] == [3, 3, 4, 14]


def test_markdown_robust_style_appends_the_archived_copy() -> None:
    new = ARCHIVED_A
    archived = b" ([archived](" + new + b"))"
    plan = plan_fix("doc.md", MARKDOWN, _decisions(_swap(A)), style="robust")
    result = plan.apply()
    assert result.splitlines()[2:4] == [
        b'Inline [the report](https://example.org/a "Title")'
        + archived
        + b" and <https://example.org/a>"
        + archived
        + b".",
        b"Bare: https://example.org/a" + archived + b"; reference [r][1].",
    ]
    # A reference definition has no room for a second URL: it is swapped.
    assert result.splitlines()[13] == b"[1]: " + new
    assert b"curl https://example.org/a\n" in result


def test_markdown_robust_style_is_not_applied_twice() -> None:
    once = plan_fix("doc.md", MARKDOWN, _decisions(_swap(A)), style="robust").apply()
    again = plan_fix("doc.md", once, _decisions(_swap(A)), style="robust")
    assert again.apply() == once
    assert {item.why for item in again.left} == {"already has an archived copy beside it"}


def test_markdown_destination_with_parentheses_and_angle_brackets() -> None:
    wiki = "https://en.wikipedia.org/wiki/Foo_(bar)"
    data = b"[w](https://en.wikipedia.org/wiki/Foo_(bar)) and [x](<https://example.org/a>)\n"
    expected = b"[w](" + (WAYBACK + wiki).encode() + b") and [x](<" + ARCHIVED_A + b">)\n"
    assert _fixed("doc.markdown", data, _swap(wiki), _swap(A)) == expected


def test_markdown_unbalanced_parenthesis_in_the_new_url_is_escaped() -> None:
    decision = Decision(normalize_url(A), "swap", WAYBACK + "https://example.org/a_(b", None, "")
    data = b"[a](https://example.org/a)\n"
    assert _fixed("doc.md", data, decision) == (
        b"[a](" + WAYBACK.encode() + b"https://example.org/a_%28b)\n"
    )


# --- HTML ----------------------------------------------------------------------------

Q = "https://example.org/q?a=1&b=2"
ARCHIVED_Q_ESCAPED = (WAYBACK + "https://example.org/q?a=1&amp;b=2").encode()


def test_html_href_with_ampersand_entities_is_written_back_escaped() -> None:
    data = b'<p><a class="c" href="https://example.org/q?a=1&amp;b=2">r</a></p>\n'
    plan = plan_fix("page.html", data, _decisions(_swap(Q)))
    assert plan.apply() == b'<p><a class="c" href="' + ARCHIVED_Q_ESCAPED + b'">r</a></p>\n'
    assert plan.replacements[0].old_text == b"https://example.org/q?a=1&amp;b=2"
    assert plan.replacements[0].old_url == Q


def test_html_href_with_a_bare_ampersand_keeps_the_authors_spelling() -> None:
    data = b"<a href='https://example.org/q?a=1&b=2'>r</a>\n"
    new = (WAYBACK + Q).encode()
    assert _fixed("page.htm", data, _swap(Q)) == b"<a href='" + new + b"'>r</a>\n"


def test_html_bare_urls_in_text_are_swapped_but_not_in_pre_or_comments() -> None:
    data = (
        b"<p>Text https://example.org/q?a=1&amp;b=2.</p>\n"
        b"<pre>https://example.org/q?a=1&amp;b=2</pre>\n"
        b"<!-- https://example.org/q?a=1&amp;b=2 -->\n"
    )
    expected = b"<p>Text " + ARCHIVED_Q_ESCAPED + b".</p>\n" + data.split(b"\n", 1)[1]
    assert _fixed("page.html", data, _swap(Q)) == expected


def test_html_robust_style_adds_the_robust_links_attributes() -> None:
    data = b'<a href="https://example.org/q?a=1&amp;b=2" title="t">report</a>\n'
    plan = plan_fix("page.html", data, _decisions(_swap(Q)), style="robust")
    assert plan.apply() == (
        b'<a href="https://example.org/q?a=1&amp;b=2" title="t"'
        b' data-originalurl="https://example.org/q?a=1&amp;b=2"'
        b' data-versionurl="' + ARCHIVED_Q_ESCAPED + b'"'
        b' data-versiondate="2021-07-14">report</a>\n'
    )
    again = plan_fix("page.html", plan.apply(), _decisions(_swap(Q)), style="robust")
    assert again.apply() == plan.apply()
    assert again.left[0].why == "already has Robust Links attributes"


def test_html_robust_style_on_a_bare_url_adds_a_link_to_the_copy() -> None:
    data = b"<p>See https://example.org/a.</p>"
    expected = b'<p>See https://example.org/a (<a href="' + ARCHIVED_A + b'">archived</a>).</p>'
    assert _fixed("page.html", data, _swap(A), style="robust") == expected


def test_html_unquoted_href_and_multiline_tag() -> None:
    data = b"<a\r\n  href=https://example.org/a\r\n  rel=nofollow>x</a>\r\n"
    expected = b"<a\r\n  href=" + ARCHIVED_A + b"\r\n  rel=nofollow>x</a>\r\n"
    assert _fixed("page.html", data, _swap(A)) == expected


# --- the diff ------------------------------------------------------------------------


def test_diff_has_one_hunk_per_separate_replacement() -> None:
    lines = [f"line {number}" for number in range(1, 11)]
    lines[1] = "dead https://example.org/a here"
    lines[7] = "again https://example.org/a."
    data = ("\r\n".join(lines) + "\r\n").encode()
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    new = WAYBACK + A
    assert plan.diff() == (
        "--- a/notes.txt\n"
        "+++ b/notes.txt\n"
        "@@ -1,3 +1,3 @@\n"
        " line 1\n"
        f"-dead {A} here\n"
        f"+dead {new} here\n"
        " line 3\n"
        "@@ -7,3 +7,3 @@\n"
        " line 7\n"
        f"-again {A}.\n"
        f"+again {new}.\n"
        " line 9\n"
    )


def test_diff_is_empty_when_nothing_changes() -> None:
    assert plan_fix("notes.txt", b"https://example.org/a\n", {}).diff() == ""


def test_summary_lists_swaps_and_left_links() -> None:
    decisions = _decisions(
        _swap(A), Decision("https://failing.org/", "leave", None, None, "failing")
    )
    plan = plan_fix("notes.txt", b"https://example.org/a https://failing.org/\n", decisions)
    assert plan.summary() == (
        "notes.txt: 1 swapped for an archived copy, 0 updated to where they redirect, "
        "1 left for a human\n"
        f"  line 1: swapped {A} -> {WAYBACK}{A}\n"
        "  line 1: left https://failing.org/ (failing)\n"
    )


# --- safety --------------------------------------------------------------------------


def test_verify_plan_accepts_the_unchanged_document() -> None:
    data = b"a https://example.org/a b\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    assert verify_plan(plan, data) == []


def test_verify_plan_names_the_hunk_that_no_longer_matches() -> None:
    data = b"one https://example.org/a\ntwo\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    edited = b"one https://example.org/changed\ntwo\n"
    problems = verify_plan(plan, edited)
    assert problems == [
        "line 1: https://example.org/a is no longer where the fix planned to change it"
    ]
    with pytest.raises(FixError, match="changed since the fix was planned"):
        rebase_plan(plan, edited)


def test_a_hunk_moved_by_an_edit_above_is_found_nearby() -> None:
    data = b"intro\nsee https://example.org/a\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    edited = b"a new first line\nintro\nsee https://example.org/a\n"
    assert verify_plan(plan, edited) == []
    assert (
        rebase_plan(plan, edited).apply() == b"a new first line\nintro\nsee " + ARCHIVED_A + b"\n"
    )


def test_a_moved_hunk_is_not_matched_inside_a_longer_url() -> None:
    data = b"see https://example.org/a\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    edited = b"see https://example.org/a/longer\n"
    assert verify_plan(plan, edited) != []


def test_a_hunk_found_twice_nearby_is_ambiguous() -> None:
    data = b"x https://example.org/a\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    edited = b"yy https://example.org/a\nyy https://example.org/a\n"
    assert len(verify_plan(plan, edited)) == 1


def test_write_atomically_keeps_the_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_bytes(b"old")
    document.chmod(0o640)
    write_atomically(document, b"new content")
    assert document.read_bytes() == b"new content"
    assert stat.S_IMODE(document.stat().st_mode) == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["doc.md"]


def test_write_atomically_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomically(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_a_failed_write_leaves_the_document_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "doc.txt"
    document.write_bytes(b"original")

    def refuse(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(FixError, match="No space left"):
        write_atomically(document, b"new")
    assert document.read_bytes() == b"original"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["doc.txt"]


# --- undo -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["replace", "robust"])
@pytest.mark.parametrize(("name", "data"), [("doc.md", MARKDOWN), ("page.html", b"")])
def test_undo_restores_the_original_bytes(name: str, data: bytes, style: str) -> None:
    if not data:
        data = (
            b'<p><a href="https://example.org/q?a=1&amp;b=2">r</a>\r\n'
            b"https://example.org/a and https://example.org/a</p>\r\n"
        )
    plan = plan_fix(name, data, _decisions(_swap(A), _swap(Q)), style=style)  # type: ignore[arg-type]
    fixed = plan.apply()
    assert fixed != data
    edited = b"A line added above.\n" + fixed
    shifted = [dataclasses.replace(item, line=item.line + 1) for item in plan.replacements]
    undo = plan_undo(name, edited, shifted)
    assert undo.apply() == b"A line added above.\n" + data
    assert {item.action for item in undo.replacements} == {"undo"}
    assert undo.summary().startswith(f"{name}: {len(plan.replacements)} restored, 0 left")


def test_undo_names_a_swap_that_is_no_longer_there() -> None:
    data = b"see https://example.org/a\n"
    plan = plan_fix("notes.txt", data, _decisions(_swap(A)))
    with pytest.raises(FixError, match=f"line 1: {WAYBACK}{A} is no longer there"):
        plan_undo("notes.txt", b"see something else\n", plan.replacements)
