"""Reports built from a small archive.db, pinned byte for byte.

The digests were taken from the reports as citecheck wrote them before the report
path was made fast (history read as light rows, Markdown without history, JSON
history formatted in bulk), with the ``drift`` extra field added since; a change to
any output format must change them here on purpose. On a mismatch, write the report
of ``fill_fixture_store`` with the previous commit and diff the two. The HTML is
pinned on its rows only: the chart above them comes from the runs and has its own
tests.
"""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from report_fixtures import HOSTILE_DETAIL, NOW, fill_fixture_store

from citecheck.report import FORMATS, write_report
from citecheck.report.build import build_report
from citecheck.store import Store

PINNED_SHA256 = {
    "json": "21d892278a72fa566095a33e93acd1d80b644c48a4726cf44f0670ea389947f8",  # + archived pages
    "md": "12bf3fef7c09825c189ea54d61dfc0c1ad8bdffb0426573a3df27a6b7af66e8a",
    "csv": "30152fed01d4397d9e75e8d402b5bc9ec539e0fd9055d9df7ae359ac4b9c1066",
    "html": "323bd3b0c9f529a4412744deec71ca92a38ec706263229019de9f9ca7d0b7c8c",
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("pinned") / "archive.db"
    fill_fixture_store(path)
    written = {}
    with Store.open(path, create=False) as store:
        report = build_report(store, now=NOW)
        for fmt in FORMATS:
            out = io.StringIO()
            write_report(report, fmt, out)
            written[fmt] = out.getvalue()
    return written


def _pinned_part(fmt: str, text: str) -> str:
    if fmt != "html":
        return text
    table = text.index('<table id="links">')
    return text[text.index("<tbody>", table) : text.index("</tbody>", table)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_byte_identical_to_the_pinned_one(outputs: dict[str, str], fmt: str) -> None:
    digest = hashlib.sha256(_pinned_part(fmt, outputs[fmt]).encode("utf-8")).hexdigest()
    assert digest == PINNED_SHA256[fmt]


def test_json_contract_of_the_first_link(outputs: dict[str, str]) -> None:
    report = json.loads(outputs["json"])
    assert report["summary"] == {
        "broken": 1, "failing": 1, "blocked": 1, "redirected": 1, "ok": 1, "skipped": 1,
        "unchecked": 2,
    }  # fmt: skip
    first = report["links"][0]
    assert first["url"] == "https://example.org/gone"
    assert first["archive_timestamp"] == "20231120101010"
    assert first["detail"] == HOSTILE_DETAIL
    assert first["history"][0] == {
        "checked_at": "2024-05-24T06:24:00+00:00",
        "status": "ok",
        "reason": None,
        "http_status": 200,
    }
    assert [check["status"] for check in first["history"]] == ["ok"] * 2 + ["failing"] * 3 + [
        "broken"
    ] * 3


def test_json_history_times_given_in_another_zone_are_utc(outputs: dict[str, str]) -> None:
    links = json.loads(outputs["json"])["links"]
    times = [check["checked_at"] for link in links for check in link["history"]]
    assert times and all(when.endswith("+00:00") for when in times)
    assert "2024-05-27T06:25:00.003003+00:00" in times


def test_links_no_longer_cited_and_title_only_citations_are_left_out(
    outputs: dict[str, str],
) -> None:
    urls = [link["url"] for link in json.loads(outputs["json"])["links"]]
    assert "https://dropped.example/" not in urls
    assert len(urls) == 8
