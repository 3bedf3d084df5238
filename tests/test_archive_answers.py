"""archive/answers.py: what the Wayback Machine says, validated before it is stored."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citecheck.archive.answers import (
    MAX_JSON_DEPTH,
    capture_problem,
    is_job_id,
    is_timestamp,
    lookup_problem,
    parse_cdx,
    parse_json,
    same_page,
)
from citecheck.captures import Snapshot
from citecheck.errors import ArchiveError

URL = "https://ngo.example/report?id=7"
HEADER = ["timestamp", "original", "statuscode", "mimetype", "digest"]
GOOD = ["20240101000000", URL, "200", "text/html", "SHA1ABC"]


def _cdx(*rows: list) -> bytes:
    return json.dumps([HEADER, *rows]).encode()


def test_well_formed_rows_are_kept() -> None:
    revisit = ["20240102000000", "http://www.ngo.example/report?id=7", "-", "warc/revisit", "-"]
    assert parse_cdx(_cdx(GOOD, revisit), URL) == [
        Snapshot("20240101000000", URL, 200, "text/html", "SHA1ABC"),
        Snapshot("20240102000000", "http://www.ngo.example/report?id=7", None, "warc/revisit"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        ["٢٠٢٤٠١٠١٠٠٠٠٠٠", URL, "200", "text/html", "D"],  # Arabic-Indic digits
        ["20241399000000", URL, "200", "text/html", "D"],  # no 13th month
        ["20240101000000", URL, "²", "text/html", "D"],
        ["20240101000000", URL, "2000", "text/html", "D"],
        ["20240101000000", URL, "200", 7, "D"],  # an integer mimetype
        ["20240101000000", URL, "200", "text/html; x=<script>", "D"],
        ["20240101000000", URL, "200", "text/html", {"a": 1}],  # a dict digest
        ["20240101000000", URL, "200", "text/html", "x" * 500],
        ["20240101000000", URL + ")[click](javascript:alert(1))", "200", "text/html", "D"],
        ["20240101000000", "javascript:alert(1)", "200", "text/html", "D"],
        ["20240101000000", "https://evil.example/report?id=7", "200", "text/html", "D"],
        ["20240101000000", "None", "200", "text/html", "D"],
        ["20240101000000"],
        "not a row",
    ],
)
def test_malformed_rows_are_dropped(bad: object) -> None:
    assert parse_cdx(_cdx(bad, GOOD), URL) == parse_cdx(_cdx(GOOD), URL)


def test_an_answer_with_no_well_formed_row_is_an_error_not_no_captures() -> None:
    with pytest.raises(ArchiveError, match="none well formed"):
        parse_cdx(_cdx(["20240101000000", "https://evil.example/", "200", "text/html", "D"]), URL)
    assert parse_cdx(b"[]", URL) == [] and parse_cdx(b"", URL) == []


@pytest.mark.parametrize(
    "body",
    [b"<html>down</html>", b'{"a": 1}', b"[1, 2]", b"[[1, 2]]", b"\xff\xfe", b"[" * 100_000],
)
def test_answers_that_are_not_a_cdx_table_are_errors(body: bytes) -> None:
    with pytest.raises(ArchiveError):
        parse_cdx(body, URL)


def test_json_is_read_within_a_depth_limit() -> None:
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, what="x") is not None
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ArchiveError, match="nested"):
        parse_json(deep, what="x")
    brackets_in_a_string = b'["' + b"[" * 40 + b'"]'  # text, not nesting
    assert parse_json(brackets_in_a_string, what="x") == ["[" * 40]


@given(st.binary(max_size=2048))
def test_random_bytes_as_a_cdx_answer_are_snapshots_or_an_archive_error(body: bytes) -> None:
    try:
        found = parse_cdx(body, URL)
    except ArchiveError:
        return
    assert all(is_timestamp(snapshot.timestamp) for snapshot in found)


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=6), max_size=5))
def test_random_json_tables_never_raise_anything_else(rows: list) -> None:
    try:
        found = parse_cdx(_cdx(*rows), URL)
    except ArchiveError:
        return
    assert all(same_page(snapshot.original, URL) for snapshot in found)


def test_job_ids_are_short_tokens() -> None:
    assert is_job_id("spn2-9c1b0d1e2f3a4b5c") and is_job_id("ac58789b-f3ca-48d0-9ea6-1d1225e98695")
    for bad in ("", "spn2-\x01\x1b[2J", "j" * 900_000, "../status", "a b", 7, None):
        assert not is_job_id(bad)


def test_stored_values_of_an_older_version_are_named_as_problems() -> None:
    base = "https://web.archive.org"
    good = f"{base}/web/20240101000000/{URL}"
    assert lookup_problem(URL, "20240101000000", good, base) is None
    assert lookup_problem(URL, None, None, base) is None
    assert lookup_problem(URL, "٢٠٢٤٠١٠١٠٠٠٠٠٠", good, base) is not None
    hostile = f"{base}/web/20240101000000/{URL})[click](javascript:alert(1))"
    assert lookup_problem(URL, "20240101000000", hostile, base) is not None
    assert lookup_problem(URL, "20240101000000", f"{base}/web/20240101000000/None", base)
    assert capture_problem("spn2-abc", "20240101000000") is None
    assert capture_problem("bad\x00" + "x" * 900_000, None) is not None
    assert capture_problem(None, "²" * 14) is not None
