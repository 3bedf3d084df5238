"""The JSON report: the contract, and the fast history path writing what json.dumps would."""

from __future__ import annotations

import io
import json

import pytest
from report_fixtures import HOSTILE_DETAIL, NOW, fixture_links, fixture_report

from citecheck.models import LinkState, Status
from citecheck.report import LinkReport, Report
from citecheck.report.json import history_json, link_json, link_to_dict, write_json


def _link(history: list, extra: dict[str, object] | None = None) -> LinkReport:
    return LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK),
        citations=[],
        history=history,
        extra=extra or {},
    )


def test_each_link_is_what_json_dumps_writes_of_its_dict() -> None:
    for link in fixture_links():
        assert link_json(link) == json.dumps(link_to_dict(link), ensure_ascii=False)


def test_document_shape_and_order() -> None:
    out = io.StringIO()
    write_json(fixture_report(), out)
    lines = out.getvalue().split("\n")
    assert lines[0] == "{" and lines[-2:] == ["}", ""]
    assert lines[1] == '  "generated_at": "2024-06-01T06:00:00+00:00",'
    document = json.loads(out.getvalue())
    assert [link["url"] for link in document["links"]] == [
        link.state.url for link in fixture_links()
    ]
    first = document["links"][0]
    assert list(first)[-1] == "history"
    assert first["detail"] == HOSTILE_DETAIL
    assert first["history"][-1] == {
        "checked_at": "2024-05-31T06:00:00+00:00",
        "status": "broken",
        "reason": "not_found",
        "http_status": 404,
    }


def test_an_empty_report_is_valid_json() -> None:
    out = io.StringIO()
    write_json(Report(generated_at=NOW, summary={}, links=lambda: iter(())), out)
    assert json.loads(out.getvalue())["links"] == []
    assert out.getvalue().endswith('"links": []\n}\n')


@pytest.mark.parametrize(
    "checked_at",
    [
        '2024-05-01T00:00:00+00:00", "status": "ok',  # would close the string early
        "2024-05-01T00:00:00\\+00:00",
        "2024-05-01\nT00:00:00+00:00",
        "2024-05-01T00:00:00+02:00",
        "2024-05-01 00:00:00 ünïcode\u2028",
    ],
)
def test_history_times_are_escaped_as_json_dumps_would(checked_at: str) -> None:
    history = [(checked_at, "ok", None, 200), ("2024-05-02T00:00:00+00:00", "broken", "gone", 410)]
    text = history_json(history)
    assert text == json.dumps(link_to_dict(_link(history))["history"], ensure_ascii=False)
    assert json.loads(text)[0]["checked_at"] == checked_at


def test_absent_values_are_null_and_every_combination_is_cached_correctly() -> None:
    history = [
        ("2024-05-01T00:00:00+00:00", "failing", "timeout", None),
        ("2024-05-02T00:00:00+00:00", "ok", None, 200),
        ("2024-05-03T00:00:00+00:00", "failing", "timeout", None),
        ("2024-05-04T00:00:00+00:00", "failing", "server_error", 503),
        ("2024-05-05T00:00:00+00:00", "ok", None, 200),
    ]
    assert json.loads(history_json(history)) == [
        {"checked_at": at, "status": status, "reason": reason, "http_status": code}
        for at, status, reason, code in history
    ]
    assert history_json(history) == json.dumps(
        link_to_dict(_link(history))["history"], ensure_ascii=False
    )
    assert history_json([]) == "[]"


@pytest.mark.parametrize(
    "entry",
    [
        ("2024-05-01T00:00:00+00:00", "haunted", None, 200),
        ("2024-05-01T00:00:00+00:00", "ok", "a_reason_citecheck_never_gave", 200),
    ],
)
def test_unknown_statuses_and_reasons_are_refused_not_written(entry: tuple) -> None:
    with pytest.raises(ValueError):
        history_json([entry])


def test_an_extra_field_named_history_does_not_replace_the_history() -> None:
    history = [("2024-05-01T00:00:00+00:00", "ok", None, 200)]
    link = _link(history, {"history": "not this", "drift": None})
    written = json.loads(link_json(link))
    assert written["history"] == [
        {"checked_at": history[0][0], "status": "ok", "reason": None, "http_status": 200}
    ]
    assert list(written)[-2:] == ["drift", "history"]
    assert link_json(link) == json.dumps(link_to_dict(link), ensure_ascii=False)
