"""The CSV report: the JSON fields, one row per link, no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from report_fixtures import (
    DRIFT_SINCE,
    FORMULA_TITLES,
    MD_BREAKER,
    NEXT_DUE,
    NOW,
    drift,
    fill_fixture_store,
    fixture_links,
    fixture_report,
    scheduled_links,
    scheduled_report,
)

from citecheck.config import Schedule
from citecheck.models import LinkState, Status
from citecheck.report import FORMATS, LinkReport, Report, write_report
from citecheck.report.build import build_report
from citecheck.report.csv import FIELDS, HISTORY_IN_CSV, drift_text, neutralise, write_csv
from citecheck.report.json import link_to_dict
from citecheck.store import Store


def _write(report: Report) -> str:
    out = io.StringIO()
    write_csv(report, out)
    return out.getvalue()


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return _read(_write(fixture_report()))


def test_registered_as_a_format() -> None:
    assert "csv" in FORMATS
    out = io.StringIO()
    write_report(fixture_report(), "csv", out)
    assert out.getvalue() == _write(fixture_report())


def test_header_has_the_json_fields(rows: list[dict[str, str]]) -> None:
    json_fields = set(link_to_dict(fixture_links()[0])) - {"history"}
    assert json_fields <= set(FIELDS)
    assert list(rows[0]) == list(FIELDS)


def test_one_row_per_link_in_report_order(rows: list[dict[str, str]]) -> None:
    links = fixture_links()
    assert len(rows) == len(links)
    assert [row["status"] for row in rows] == [link.state.status.value for link in links]


def test_lists_are_joined(rows: list[dict[str, str]]) -> None:
    first = rows[0]
    assert first["cited_in"].startswith("docs/report.md:12; ")
    assert first["citations"].count("; ") >= 1
    assert first["citations"].startswith("docs/report.md:12 (p. 12<i>13</i>), cited as “Pipes")


def test_values_and_empty_cells(rows: list[dict[str, str]]) -> None:
    first = rows[0]
    assert first["http_status"] == "404"
    assert first["consecutive_failures"] == "10"
    assert first["first_failure_at"] == "2024-05-22T06:00:00+00:00"
    assert first["archive_timestamp"] == "20240101000000"
    unchecked = rows[-1]
    assert unchecked["checked_at"] == "" and unchecked["reason"] == ""
    assert unchecked["history_count"] == "0" and unchecked["history_recent"] == ""


def test_history_is_a_count_and_the_last_checks(rows: list[dict[str, str]]) -> None:
    first = rows[0]
    assert first["history_count"] == "100"
    recent = first["history_recent"].split("; ")
    assert len(recent) == HISTORY_IN_CSV
    assert recent[0] == "2024-05-22T06:00:00+00:00 failing 503 server_error"
    assert recent[-1] == "2024-05-31T06:00:00+00:00 broken 404 not_found"


def test_newlines_in_titles_stay_inside_their_cell(rows: list[dict[str, str]]) -> None:
    assert MD_BREAKER in rows[0]["citations"]


def test_extra_fields_are_kept() -> None:
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK),
        citations=[],
        history=[],
        extra={"drift": None, "next_due": None, "score": 3, "owner": "=team"},
    )
    row = _read(_write(fixture_report([link])))[0]
    assert row["extra"] == "score=3; owner==team"
    assert row["drift"] == "" and row["next_due"] == ""


def test_drift_and_next_due_columns_follow_the_json_fields() -> None:
    assert FIELDS.index("page_count") < FIELDS.index("drift") < FIELDS.index("next_due")
    assert FIELDS.index("next_due") < FIELDS.index("extra")
    json_fields = list(link_to_dict(scheduled_links()[0]))
    assert json_fields.index("drift") < json_fields.index("next_due")


def test_drift_is_its_kind_and_since_when_and_next_due_its_time() -> None:
    rows = {row["url"]: row for row in _read(_write(scheduled_report()))}
    assert rows["https://ok.example.com/"]["drift"] == f"title+text since {DRIFT_SINCE}"
    assert rows["https://old.example.com/page"]["drift"] == f"text since {DRIFT_SINCE}"
    assert rows["https://example.org/gone"]["drift"] == ""
    assert rows["https://example.org/gone"]["next_due"] == NEXT_DUE
    assert rows["https://new.example.com/unchecked"]["next_due"] == ""
    assert all(row["extra"] == "" for row in rows.values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ({}, ""),
        (
            drift("title", "A", "B", since="2024-05-20T06:00:00+00:00"),
            "title since 2024-05-20T06:00:00+00:00",
        ),
        ({"kind": "text"}, "text"),
        ({"since": "2024-05-20"}, "drift since 2024-05-20"),
        ("title changed", "title changed"),
    ],
)
def test_drift_text(value: object, expected: str) -> None:
    assert drift_text(value) == expected


@pytest.mark.parametrize("trigger", sorted(FORMULA_TITLES))
def test_drift_and_next_due_cells_are_neutralised(trigger: str) -> None:
    hostile = FORMULA_TITLES[trigger]
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK),
        citations=[],
        history=[],
        extra={"drift": {"kind": hostile, "since": "x"}, "next_due": hostile},
    )
    row = _read(_write(fixture_report([link])))[0]
    assert row["drift"] == f"'{hostile} since x"
    assert row["next_due"] == "'" + hostile


def test_next_due_from_a_store_with_a_schedule(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    fill_fixture_store(path)
    with Store.open(path, create=False) as store:
        out = io.StringIO()
        write_csv(build_report(store, now=NOW, schedule=Schedule()), out)
    rows = {row["url"]: row for row in _read(out.getvalue())}
    assert rows["https://new.example.com/unchecked"]["next_due"] == ""
    for url in ("https://example.org/gone", "https://ok.example.com/"):
        due = datetime.fromisoformat(rows[url]["next_due"])
        checked = datetime.fromisoformat(rows[url]["checked_at"])
        assert checked < due <= checked + timedelta(days=30)
    assert all(row["drift"] == "" and row["extra"] == "" for row in rows.values())


@pytest.mark.parametrize("trigger", sorted(FORMULA_TITLES))
def test_formula_cells_are_neutralised(trigger: str) -> None:
    title = FORMULA_TITLES[trigger]
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK, title=title),
        citations=[],
        history=[],
    )
    text = _write(Report(generated_at=NOW, summary={"ok": 1}, links=lambda: iter([link])))
    row = _read(text)[0]
    assert row["title"] == "'" + title


@pytest.mark.parametrize("trigger", sorted(FORMULA_TITLES))
def test_neutralise_each_trigger(trigger: str) -> None:
    assert neutralise(trigger + "1") == "'" + trigger + "1"


def test_neutralise_leaves_plain_text_and_numbers() -> None:
    assert neutralise("Annual report 2023") == "Annual report 2023"
    assert neutralise("a=b") == "a=b"
    assert neutralise(-3) == -3
    assert neutralise(None) is None


def test_no_cell_in_the_fixture_starts_a_formula(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    titles = [row["title"] for row in rows]
    assert "'" + FORMULA_TITLES["="] in titles and "'" + FORMULA_TITLES["\r"] in titles


def test_streams_the_links_once() -> None:
    opened = []

    def links():
        opened.append(1)
        return iter(fixture_links())

    out = io.StringIO()
    write_csv(Report(generated_at=NOW, summary={}, links=links), out)
    assert len(opened) == 1
