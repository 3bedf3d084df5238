"""Tests for citecheck.sources: reading, merging and writing sources.csv."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from citecheck.errors import InputError
from citecheck.models import Citation
from citecheck.sourcerows import row_to_citation
from citecheck.sources import (
    SOURCE_COLUMNS,
    MergeSummary,
    citation_to_row,
    iter_sources,
    merge_citations,
    read_sources,
    validate_sources,
    write_sources,
)

HEADER = "url,title,cited_in,context,accessed,page\n"


def _write(tmp_path: Path, content: str | bytes, name: str = "sources.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_reads_bom_crlf_quoted_cells_and_blank_lines(tmp_path: Path) -> None:
    content = (
        "\ufeffURL , Title,cited_in,context,accessed,page,Notes\r\n"
        "\r\n"
        ' https://example.org/a ,"Report, 2021",doc.txt:12,'
        '"two\r\nlines",2024-01-31,67,kept as is \r\n'
        ",,,,,,\r\n"
        "https://example.org/b,,C:\\docs\\a.md,,2024-01-31T10:00:00+00:00,,\r\n"
    )
    sources = read_sources(_write(tmp_path, content))
    assert sources.fieldnames == [
        "URL",
        "Title",
        "cited_in",
        "context",
        "accessed",
        "page",
        "Notes",
    ]
    assert sources.warnings == []
    first, second = sources.citations
    assert first == Citation(
        url="https://example.org/a",
        document="doc.txt",
        line=12,
        title="Report, 2021",
        context="two\r\nlines",
        page="67",
        accessed="2024-01-31",
        extra={"Notes": "kept as is "},
    )
    assert (second.document, second.line, second.title) == ("C:\\docs\\a.md", None, None)
    assert second.accessed == "2024-01-31T10:00:00+00:00"


def test_only_a_url_column_is_required_and_bad_urls_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "url\nhtp:/x\nhttp://exa mple.com\n")
    assert [c.url for c in read_sources(path).citations] == ["htp:/x", "http://exa mple.com"]


def test_cited_in_with_colons_splits_on_the_last_one_only_before_digits() -> None:
    citation = row_to_citation({"url": "https://e.org/", "cited_in": "notes:2024:7"})
    assert (citation.document, citation.line) == ("notes:2024", 7)
    citation = row_to_citation({"url": "https://e.org/", "cited_in": "a:b.md"})
    assert (citation.document, citation.line) == ("a:b.md", None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,page\nx,1\n", r"sources.csv: no 'url' column in the header \(found: title, page\)"),
        ("", r"no 'url' column in the header \(found: nothing"),
        ("url,URL\nhttps://a.org/,x\n", r"line 1: the header repeats 'url'"),
        (
            HEADER + "https://a.org/,t,d:1,c,2024-01-01,1,extra\n",
            r"line 2: 7 fields, but the header has 6 \(an unquoted comma\?\)",
        ),
        (HEADER + "\nhttps://a.org/,t,d:1\n", r"line 3: 3 fields, but the header has 6$"),
        (HEADER + ",title only,d:1,,,\n", r"line 2: the url cell is empty"),
        (HEADER + "   ,title only,d:1,,,\n", r"line 2: the url cell is empty"),
        (
            HEADER + "https://a.org/,t,d:1,c,31/01/2024,1\n",
            r"line 2: accessed '31/01/2024' is not an ISO date",
        ),
        (
            HEADER + "https://a.org/,t,d:1,c,2024-02-30,1\n",
            r"line 2: accessed '2024-02-30' is not an ISO date",
        ),
        (
            HEADER + 'https://a.org/,"multi\nline",d:1,,,\nhttps://b.org/,t,d:1,c,yesterday,\n',
            r"line 4: accessed 'yesterday'",
        ),
        (HEADER + 'https://a.org/,"never closed,d:1,,,\n', r"line 2: not valid CSV"),
        # both wrong: the URL is named first, by the validating pass too
        (
            HEADER + "https://a.org/,t,d:1,,,\n ,t,d:1,c,yesterday,\n",
            r"line 3: the url cell is empty",
        ),
    ],
)
def test_bad_csv_is_an_input_error_naming_file_and_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError, match=message) as error:
        read_sources(path)
    assert str(error.value).startswith(str(path))
    with pytest.raises(InputError, match=message):
        list(iter_sources(path))
    with pytest.raises(InputError, match=message):
        validate_sources(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER.encode() + b"https://a.org/,t\x00,d:1,,,\n", "line 2: contains a NUL byte"),
        (HEADER.encode() + b"https://a.org/,caf\xe9,d:1,,,\n", r"line 2: not UTF-8 \(byte 0xe9\)"),
    ],
)
def test_nul_and_undecodable_bytes_name_the_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError, match=message):
        read_sources(path)
    with pytest.raises(InputError, match=message):
        validate_sources(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_sources(tmp_path / "missing.csv")


def test_duplicates_are_merged_with_a_warning_naming_both_lines(tmp_path: Path) -> None:
    content = (
        HEADER
        + "https://example.org/a,Title,doc.txt:3,,,\n"
        + "https://other.org/,,doc.txt:4,,,\n"
        + " https://example.org/a ,,doc.txt:3,The claim,2024-01-01,\n"
    )
    path = _write(tmp_path, content)
    sources = read_sources(path)
    assert [c.url for c in sources.citations] == ["https://example.org/a", "https://other.org/"]
    first = sources.citations[0]
    assert (first.title, first.context, first.accessed) == ("Title", "The claim", "2024-01-01")
    assert sources.warnings == [f"{path}: line 4 repeats line 2; merged"]


def test_conflicting_duplicates_are_both_kept(tmp_path: Path) -> None:
    content = (
        HEADER
        + "https://example.org/a,First title,doc.txt:3,,,\n"
        + "https://example.org/a,Second title,doc.txt:3,,,\n"
    )
    path = _write(tmp_path, content)
    sources = read_sources(path)
    assert [c.title for c in sources.citations] == ["First title", "Second title"]
    assert sources.warnings == [
        f"{path}: lines 2 and 3 cite the same URL at the same place with different values; "
        "both kept"
    ]
    warnings: list[str] = []
    assert len(list(iter_sources(path, warnings=warnings))) == 2
    assert warnings == sources.warnings


def test_iter_sources_streams_and_skips_exact_repeats(tmp_path: Path) -> None:
    rows = "".join(f"https://example.org/{n},,doc.txt:{n},,,\n" for n in range(100_000))
    path = _write(tmp_path, HEADER + rows + "https://example.org/7,,doc.txt:7,,,\n")
    warnings: list[str] = []
    stream = iter_sources(path, warnings=warnings)
    assert next(stream).url == "https://example.org/0"
    assert sum(1 for _ in stream) == 99_999
    assert warnings == [f"{path}: line 100002 repeats line 9; skipped"]


def test_iter_sources_tells_a_repeat_from_a_row_differing_in_any_value(tmp_path: Path) -> None:
    # The duplicate check digests a citation's fields, not its repr (issue 11): rows
    # that differ only in an unknown column, in the page or in the access date are
    # both kept; a row equal once its cells are read (spaces, "07" for 7) repeats.
    header = "url,cited_in,title,context,accessed,page,note\n"
    rows = (
        "https://a.org/x,d.md:7,T,C,2024-01-02,3,first\n"
        "https://a.org/x,d.md:7,T,C,2024-01-02,3,second\n"
        "https://a.org/x, d.md:07 , T ,C,2024-01-02,3,first\n"
        "https://a.org/x,d.md:7,T,C,2024-01-03,3,first\n"
        "https://a.org/x,d.md:7,T,C2,2024-01-02,3,first\n"
    )
    path = _write(tmp_path, header + rows)
    warnings: list[str] = []
    found = list(iter_sources(path, warnings=warnings))
    assert [(c.extra["note"], c.accessed, c.context) for c in found] == [
        ("first", "2024-01-02", "C"),
        ("second", "2024-01-02", "C"),
        ("first", "2024-01-03", "C"),
        ("first", "2024-01-02", "C2"),
    ]
    assert f"{path}: line 4 repeats line 2; skipped" in warnings


def test_the_duplicate_check_compares_every_field_of_a_citation() -> None:
    from dataclasses import fields

    from citecheck.sources import _content

    citation = Citation(
        url="u",
        document="d",
        line=1,
        column=2,
        title="t",
        context="c",
        page="p",
        accessed="2024-01-01",
        extra={"note": "n"},
    )
    assert _content(citation) == tuple(getattr(citation, f.name) for f in fields(Citation))


def test_citations_read_with_any_columns_equal_row_to_citation(tmp_path: Path) -> None:
    # The reader reads only the columns a header has; a missing one is the default.
    for header in ("url", "url,cited_in", "title,url,page", "url,accessed,note", HEADER[:-1]):
        names = header.split(",")
        values = {
            "url": " https://a.org/ ",
            "cited_in": "d.md:3",
            "title": " T ",
            "context": "",
            "accessed": "2024-05-06",
            "page": "9",
            "note": "x",
        }
        row = ",".join(values[name] for name in names)
        path = _write(tmp_path, header + "\n" + row + "\n")
        (citation,) = list(iter_sources(path))
        assert citation == row_to_citation({name: values[name] for name in names})
        assert citation == Citation(
            url="https://a.org/",
            document="d.md" if "cited_in" in names else None,
            line=3 if "cited_in" in names else None,
            title="T" if "title" in names else None,
            page="9" if "page" in names else None,
            accessed="2024-05-06" if "accessed" in names else None,
            extra={"note": "x"} if "note" in names else {},
        )


@pytest.mark.parametrize(
    "cited_in",
    [
        "doc.md:12",
        "C:\\notes.md:3",
        "a:1:2",
        "a:",
        ":12",
        "doc.md",
        "doc.md:1x",
        "doc.md:x1",
        "doc:\u0661\u0662",
        "doc:\u00b2",
        "doc:\uff11",
        "d\nx:4",
        "  doc.md:07  ",
        "doc.md: 7",
        "::",
        "a::1",
        "",
        "   ",
        "doc.md:-1",
        "doc.md:+1",
        "doc.md:1.5",
        "doc.md:1_000",
    ],
)
def test_cited_in_is_read_as_the_document_line_pattern_reads_it(cited_in: str) -> None:
    # The split that replaced ^(.+):(\d+)$ (DOTALL) reads what the pattern read.
    import re

    from citecheck.sourcerows import _parse_cited_in

    value = cited_in.strip()
    match = re.match(r"^(?P<document>.+):(?P<line>\d+)$", value, re.DOTALL)
    expected = (
        (value or None, None)
        if match is None
        else (match.group("document"), int(match.group("line")))
    )
    assert _parse_cited_in(cited_in) == expected


def test_validate_sources_counts_every_row_repeats_included(tmp_path: Path) -> None:
    rows = "https://a.org/,,d:1,,,\n\nhttps://a.org/,,d:1,,,\nhttps://b.org/,t,d:2,,,\n"
    path = _write(tmp_path, HEADER + rows)
    assert validate_sources(path) == 3
    with pytest.raises(InputError, match="cannot read"):
        validate_sources(tmp_path / "missing.csv")


def test_round_trip_is_identical_and_keeps_unknown_columns(tmp_path: Path) -> None:
    content = (
        "Notes,url,title,Reviewer,cited_in,page\r\n"
        'first,https://example.org/a,"Quote ""this"", please",ana,doc.md:1,67\r\n'
        ',https://example.org/b,,,"doc.md",\r\n'
    )
    path = _write(tmp_path, content)
    before = read_sources(path)
    write_sources(path, before.citations, before.fieldnames)
    after = read_sources(path)
    assert after.citations == before.citations
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.splitlines()[0] == b"url,title,cited_in,context,accessed,page,Notes,Reviewer"
    assert after.citations[0].extra == {"Notes": "first", "Reviewer": "ana"}


def test_write_without_fieldnames_uses_the_citations_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    citations = [
        Citation(url="https://a.org/", extra={"tag": "x"}),
        Citation(url="https://b.org/", document="d.txt", line=4, extra={"owner": "y"}),
    ]
    write_sources(path, iter(citations))
    assert path.read_text(encoding="utf-8") == (
        "url,title,cited_in,context,accessed,page,tag,owner\n"
        "https://a.org/,,,,,,x,\n"
        "https://b.org/,,d.txt:4,,,,,y\n"
    )
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "https://a.org/,,,,,\n")
    os.chmod(path, 0o600)
    before = path.read_bytes()
    citations = [Citation(url="https://b.org/"), Citation(url="https://c.org/", extra={"x": "1"})]
    with pytest.raises(ValueError, match="no column for x"):
        write_sources(path, citations, fieldnames=list(SOURCE_COLUMNS))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sources.csv"]
    write_sources(path, citations[:1], fieldnames=list(SOURCE_COLUMNS))
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_citation_to_row_refuses_a_citation_without_url() -> None:
    with pytest.raises(ValueError, match="without URL"):
        citation_to_row(Citation(url=None, title="A title"))


def test_merge_never_drops_or_overwrites_a_users_edit() -> None:
    existing = [
        Citation(
            url="https://example.org/a",
            document="doc.txt",
            line=3,
            title="My own title",
            context=None,
            extra={"Notes": "checked by hand", "Owner": ""},
        ),
        Citation(url="https://only-in-sources.org/", title="Added by hand"),
    ]
    new = [
        Citation(
            url="https://example.org/a#intro",
            document="doc.txt",
            line=3,
            column=7,
            title="Extracted title",
            context="The claim",
            extra={"Notes": "machine", "Owner": "bot"},
        ),
        Citation(url="https://example.org/a", document="doc.txt", line=3, page="5"),
        Citation(url=None, document="doc.txt", line=9, title="Title only", page="88"),
        Citation(url="https://new.org/", document="doc.txt", line=10),
        Citation(url="https://new.org/", document="doc.txt", line=10, context="Later claim"),
    ]
    merged, summary = merge_citations(existing, new)
    assert summary == MergeSummary(added=2, kept=2, filled=1, skipped=1)
    mine = merged[0]
    assert (mine.url, mine.title, mine.context, mine.column) == (
        "https://example.org/a",
        "My own title",
        "The claim",
        7,
    )
    assert mine.extra == {"Notes": "checked by hand", "Owner": "bot"}
    assert merged[1] == existing[1]
    assert [(c.url, c.page) for c in merged[2:]] == [
        ("https://example.org/a", "5"),
        ("https://new.org/", None),
    ]
    assert merged[3].context == "Later claim"


def test_merge_with_nothing_new_changes_nothing() -> None:
    existing = [Citation(url="https://a.org/", title="t", document="d", line=1)]
    merged, summary = merge_citations(existing, list(existing))
    assert merged == existing
    assert summary == MergeSummary(added=0, kept=1, filled=0, skipped=0)


def test_stale_citations_are_rows_a_document_no_longer_has_at_their_place() -> None:
    from citecheck.sources import stale_citations

    existing = [
        Citation("https://a.example/old", document="doc.md", line=3),
        Citation("https://a.example/kept", document="doc.md", line=4),
        Citation("https://a.example/elsewhere", document="other.md", line=3),
    ]
    found = [
        Citation("https://a.example/new", document="doc.md", line=3),
        Citation("https://a.example/kept", document="doc.md", line=4),
    ]
    assert stale_citations(existing, found, ["doc.md"]) == [0]


_SAME_KEY_CITATIONS = [
    Citation(url="http://a.test/p", document="d.md", line=3),
    Citation(url="http://a.test/p", document="d.md", line=3),
    Citation(url="HTTP://A.test/p", document="d.md", line=3),
    Citation(url="http://a.test/p", document="d.md:3"),
    Citation(url="http://a.test/p", document="d.md", line=3, column=4),
    Citation(url="http://a.test/p", document="d.md", line=3, title="T"),
    Citation(url="http://a.test/p", document="d.md", line=3, context="c"),
    Citation(url="http://a.test/p", document="d.md", line=3, accessed="2024-01-01"),
    Citation(url="http://a.test/p", document="d.md", line=3, extra={"note": ""}),
    Citation(url="http://a.test/p", document="d.md", line=3, extra={"note": "n"}),
]


def test_the_content_digest_fast_path_tells_rows_apart_as_the_full_digest_does() -> None:
    from citecheck.sources import _content, _content_digest, _digest, _key

    for first in _SAME_KEY_CITATIONS:
        for second in _SAME_KEY_CITATIONS:
            assert _key(first) == _key(second)
            fast = _content_digest(first, _key(first)) == _content_digest(second, _key(second))
            assert fast == (_digest(_content(first)) == _digest(_content(second)))


def test_repeats_of_plain_rows_and_rows_differing_only_by_the_url_as_written(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "url,cited_in\nhttp://a.test/p,d.md:3\nhttp://a.test/p,d.md:03\nHTTP://A.test/p,d.md:3\n",
    )
    warnings: list[str] = []
    urls = [c.url for c in iter_sources(path, warnings=warnings)]
    assert urls == ["http://a.test/p", "HTTP://A.test/p"]
    assert warnings == [
        f"{path}: line 3 repeats line 2; skipped",
        f"{path}: lines 2 and 4 cite the same URL at the same place with different values;"
        " both kept",
    ]
