"""Issue 15 end to end: page citations checked in the cited PDF, through the real CLI.

The PDFs are written by tests/pdfs.py (reportlab) and served by the fake web
(tests/servers.py, "issue 15" block); no request leaves 127.0.0.1.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clirunner import CLI
from pdfs import filler_page, make_pdf
from servers import RISE_PATH, FakeWayback, rise_report, serve_pdf

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"
LATER = "2025-06-09T12:00:00+00:00"
HOST = "ngo.test"
CLAIM = (
    "The Dutch police database holds the facial images of 180,000 people falsely"
    " included, used for facial recognition"
)


def _checks(cli: CLI, url: str) -> dict[tuple[str | None, str | None], dict]:
    """The link's citations' page checks, by (page, claim)."""
    link = cli.links()[url]
    return {(c["page"], c["context"]): c["page_check"] for c in link["citations"]}


def _page_check(cli: CLI, url: str, page: str) -> dict:
    found = [check for (cited, _), check in _checks(cli, url).items() if cited == page]
    assert len(found) == 1, _checks(cli, url)
    return found[0]


def _document(cli: CLI, lines: list[str], name: str = "campaign.md") -> None:
    (cli.cwd / name).write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    extracted = cli("extract", name)
    assert extracted.returncode == 0, extracted.stderr


def _rise(cli: CLI) -> str:
    serve_pdf(cli.web, RISE_PATH, rise_report(), host=HOST)
    return cli.web.url(RISE_PATH, host=HOST)


def test_pages_inside_and_beyond_the_end_and_support_on_the_cited_page(cli: CLI) -> None:
    url = _rise(cli)
    _document(
        cli,
        [
            f"{CLAIM}: {url} [p.67]",
            f"Children as young as 12 give their fingerprints to the Polish government: {url}"
            " pp.118-119",
            f"The report has an annex on page 400 about biometric oranges: {url} [p.400]",
            f"{CLAIM}, again, with the wrong page: {url} [p.12]",
        ],
    )
    checked = cli("check", "--timeout", "10", now=NOW)
    assert checked.returncode == 0, checked.stderr

    link = cli.links()[url]
    assert link["status"] == "ok" and link["page_count"] == 140  # findings never touch it
    inside = _page_check(cli, url, "67")
    assert inside["finding"] is None
    assert (inside["pdf_page"], inside["numbering"]) == (69, "labels")  # cover + contents
    assert inside["support"] >= 0.8
    assert {"180000", "facial", "database"} <= set(inside["terms_found"])
    assert inside["best_page"] is None

    span = _page_check(cli, url, "118-119")
    assert span["finding"] is None and span["pdf_page"] == 120
    assert span["support"] >= 0.6 and "fingerprint" in span["terms_found"]

    beyond = _page_check(cli, url, "400")
    assert beyond["finding"] == "page_missing"
    assert "no page labelled p.400 (140 pages)" in beyond["detail"]

    wrong = _page_check(cli, url, "12")
    assert wrong["support"] < inside["support"] - 0.5  # an unrelated page supports little
    assert wrong["best_page"] == "67" and wrong["best_support"] >= 0.6
    assert "best match: p.67" in wrong["summary"]

    markdown = cli("report", "--format", "md").stdout.replace("\\", "")  # unescaped
    assert "page_missing: the PDF has no page labelled p.400" in markdown
    assert "p.67 is PDF page 69 of 140 (page labels)" in markdown
    html = cli("report", "--format", "html").stdout
    assert "best match: p.67" in html
    assert "page_missing" in cli("report", "--format", "csv").stdout


def test_printed_page_numbers_give_the_offset_when_the_pdf_has_no_labels(cli: CLI) -> None:
    pages = ["Cover", "Foreword", "Contents"] + [filler_page(n) for n in range(1, 30)]
    pages[3 + 9] = CLAIM + ".\n" + filler_page(500, words=60)  # printed page 10
    serve_pdf(cli.web, "/unlabelled.pdf", make_pdf(pages, printed_from=1, front_matter=3),
              host=HOST)  # fmt: skip
    serve_pdf(cli.web, "/unnumbered.pdf", make_pdf(pages), host=HOST)
    printed = cli.web.url("/unlabelled.pdf", host=HOST)
    bare = cli.web.url("/unnumbered.pdf", host=HOST)
    _document(cli, [f"{CLAIM}: {printed} [p.10]", f"{CLAIM}: {bare} [p.13]"])
    assert cli("check", "--timeout", "10", now=NOW).returncode == 0

    found = _page_check(cli, printed, "10")
    assert (found["numbering"], found["pdf_page"], found["finding"]) == ("printed", 13, None)
    assert found["support"] >= 0.8
    assert "(printed page numbers, PDF page = printed + 3)" in found["summary"]
    unnumbered = _page_check(cli, bare, "13")
    assert (unnumbered["numbering"], unnumbered["pdf_page"]) == ("index", 13)
    assert "(PDF page order)" in unnumbered["summary"]


def test_a_new_edition_is_followed_and_a_removed_passage_is_page_drift(cli: CLI) -> None:
    url = _rise(cli)
    _document(
        cli,
        [
            f"{CLAIM}: {url} [p.67]",
            f"Smart devices spray the scent of oranges at people: {url} [p.92]",
        ],
    )
    assert cli("check", "--timeout", "10", now=NOW).returncode == 0
    assert _page_check(cli, url, "67")["finding"] is None

    # A second edition: two pages inserted before page 50, every later page two on.
    serve_pdf(cli.web, RISE_PATH, rise_report(inserted_before=50), host=HOST)
    assert cli("check", "--timeout", "10", now=LATER).returncode == 0
    moved = _page_check(cli, url, "67")
    assert moved["finding"] == "page_moved"
    assert moved["detail"] == "p.67 is now p.69 (PDF page 71)"
    assert moved["pdf_page"] == 71 and moved["fix_page"] == 69  # first seen on 69
    assert moved["support"] >= 0.8  # scored where the passage is now
    assert cli.links()[url]["status"] == "ok"

    # A third: the passage of page 92 cut.
    serve_pdf(cli.web, RISE_PATH, rise_report(removed=92), host=HOST)
    assert cli("check", "--timeout", "10", now=LATER).returncode == 0
    gone = _page_check(cli, url, "92")
    assert gone["finding"] == "page_drift"
    assert gone["detail"] == "the passage of p.92 is no longer found in the PDF"
    assert _page_check(cli, url, "67")["finding"] is None  # back where it was first seen
    assert cli.links()[url]["status"] == "ok"  # evidence for a human, not a broken link
    markdown = cli("report", "--format", "md").stdout.replace("\\", "")
    assert "page_drift: the passage of p.92 is no longer found" in markdown


def test_fix_keeps_the_cited_page_of_an_archived_pdf(cli: CLI, wayback: FakeWayback) -> None:
    wayback.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    url = _rise(cli)
    _document(cli, [f"{CLAIM}: {url} [p.67]", f"And undated: {url}"])
    (cli.cwd / "post.html").write_text(f'<p>{CLAIM}: <a href="{url}">RISE</a> [p.67]</p>\n')
    assert cli("extract", "campaign.md", "post.html").returncode == 0
    assert cli("check", "--timeout", "10", now=NOW).returncode == 0
    cli.web.page(RISE_PATH, status=404, body="gone", host=HOST)
    wayback.add_capture(url, "20210714093000", mimetype="application/pdf")
    assert cli("check", "--timeout", "10", now=NOW).returncode == 1
    assert cli("archive", "--no-save", now=NOW).returncode == 0

    capture = f"{wayback.base}/web/20210714093000/{url}"
    robust = cli("fix", "post.html", "--style", "robust")
    assert robust.returncode == 0, robust.stderr
    assert f'data-versionurl="{capture}#page=69"' in robust.stdout

    wrote = cli("fix", "campaign.md", "--write")
    assert wrote.returncode == 0, wrote.stderr
    text = (cli.cwd / "campaign.md").read_text()
    assert f"{capture}#page=69 [p.67]" in text  # printed p.67 is the PDF's 69th page
    assert f"And undated: {capture}\n" in text  # no page cited, none written


SEED = Path(__file__).parent.parent / "data" / "000_48056259ef750032.txt"
_SEED_HOST = re.compile(r"https://([a-z0-9.-]+)")


def test_the_seeds_rise_citations_are_reported_with_their_pages_and_support(cli: CLI) -> None:
    """The seed as written, its hosts served by the fake web (the RISE report by its
    stand-in): the four page citations of the report, the title-only one included
    once the PDF's title is known, are reported with their pages and support."""
    text = SEED.read_text(encoding="utf-8")
    hosts = sorted(set(_SEED_HOST.findall(text)))
    seed = _SEED_HOST.sub(lambda m: cli.web.url("", host=m.group(1)), text)
    (cli.cwd / "seed.txt").write_text(seed, encoding="utf-8")
    serve_pdf(cli.web, RISE_PATH, rise_report(), host="edri.org")
    url = cli.web.url(RISE_PATH, host="edri.org")
    resolve = [arg for host in hosts for arg in ("--resolve", f"{host}:127.0.0.1")]

    assert cli("extract", "seed.txt").returncode == 0
    assert cli("check", "--timeout", "10", *resolve, now=NOW).returncode in (0, 1)
    assert cli("extract", "seed.txt").returncode == 0  # [p.88] now matched by the PDF's title
    assert cli("check", "--timeout", "10", *resolve, now=NOW).returncode in (0, 1)

    checks = {page: check for (page, _), check in _checks(cli, url).items()}
    assert set(checks) == {"67", "92", "118-122", "88", None}
    for page, pdf_page in (("67", 69), ("92", 94), ("118-122", 120), ("88", 90)):
        found = checks[page]
        assert (found["finding"], found["pdf_page"], found["numbering"]) == (
            None,
            pdf_page,
            "labels",
        )
        assert found["support"] >= 0.4, (page, found)
        assert found["best_page"] is None, (page, found)
    assert checks[None]["best_page"] == "67"  # the claim cited without a page
    json_report = cli("report", "--format", "json").stdout
    assert '"page": "118-122"' in json_report and '"support": ' in json_report
    markdown = cli("report", "--format", "md").stdout.replace("\\", "")
    assert "p.67 is PDF page 69 of 140 (page labels) · support" in markdown
    assert "pp.118-122" in markdown or "(p. 118-122)" in markdown
