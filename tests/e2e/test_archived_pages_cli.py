"""Issue 15 end to end: the cited pages of the chosen archived copy, through the CLI.

The PDFs are written by tests/pdfs.py; the archived ones are served by the fake
Wayback (tests/servers.py, :func:`archive_pdf`) raw at their ``id_`` URL, as the
Wayback Machine serves a capture's own bytes. No request leaves 127.0.0.1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from clirunner import CLI
from pdfs import filler_page, make_pdf
from servers import RISE_PASSAGES, RISE_PATH, FakeWayback, archive_pdf, rise_report, serve_pdf

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"
LATER = "2025-06-09T12:00:00+00:00"
HOST = "ngo.test"
CAPTURED = "20210714093000"
CLAIM = (
    "The Dutch police database holds the facial images of 180,000 people falsely"
    " included, used for facial recognition"
)


def _edition(front_matter: int, printed_pages: int) -> bytes:
    """The RISE report as another printing: ``front_matter`` unnumbered pages (so
    printed page p is PDF page p + front_matter) and ``printed_pages`` numbered ones,
    labelled; the seed's passages on their printed pages."""
    pages = [f"Front matter {n}" for n in range(front_matter)]
    for printed in range(1, printed_pages + 1):
        passage = RISE_PASSAGES.get(printed)
        page = filler_page(printed)
        pages.append(page if passage is None else passage + "\n" + filler_page(printed, words=60))
    return make_pdf(pages, printed_from=1, front_matter=front_matter, labels=True)


def _document(cli: CLI, lines: list[str]) -> None:
    (cli.cwd / "campaign.md").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    extracted = cli("extract", "campaign.md")
    assert extracted.returncode == 0, extracted.stderr


def _citations(cli: CLI, url: str) -> dict[str | None, dict]:
    return {c["page"]: c for c in cli.links()[url]["citations"]}


def test_a_pdf_dead_before_first_seen_is_checked_and_fixed_from_its_archived_copy(
    cli: CLI, wayback: FakeWayback
) -> None:
    wayback.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    cli.web.page(RISE_PATH, status=404, body="gone", host=HOST)  # dead from the start
    url = cli.web.url(RISE_PATH, host=HOST)
    # The archived printing has four pages before page 1: p.67 is its 71st page.
    archive_pdf(wayback, url, CAPTURED, _edition(front_matter=4, printed_pages=120))
    _document(cli, [f"{CLAIM}: {url} [p.67]", f"An annex on biometric oranges: {url} [p.400]"])
    assert cli("check", "--timeout", "10", now=NOW).returncode == 1
    assert cli("check", "--timeout", "10", now=LATER).returncode == 1
    assert cli.links()[url]["status"] == "broken"
    assert all(c["page_check"] is None for c in _citations(cli, url).values())  # never live

    assert cli("archive", "--no-save", now=LATER).returncode == 0
    capture = f"{wayback.base}/web/{CAPTURED}/{url}"
    raw = [r.path for r in wayback.requests if "id_/" in r.path]
    assert raw == [f"/web/{CAPTURED}id_/{url}"]  # the capture's bytes, not the replay page
    cited = _citations(cli, url)
    found = cited["67"]["archived_page_check"]
    assert (found["finding"], found["pdf_page"], found["numbering"]) == (None, 71, "labels")
    assert found["page_count"] == 124 and found["baseline_taken"] is True
    assert found["support"] >= 0.8 and "facial" in found["terms_found"]
    assert (found["archive_url"], found["archive_timestamp"]) == (capture, CAPTURED)
    beyond = cited["400"]["archived_page_check"]
    assert beyond["finding"] == "page_missing"
    assert "no page labelled p.400 (124 pages)" in beyond["detail"]
    assert cli.links()[url]["status"] == "broken"  # findings never touch the status

    markdown = cli("report", "--format", "md").stdout.replace("\\", "")
    assert "archived copy of 2021-07-14: p.67 is PDF page 71 of 124 (page labels)" in markdown
    assert "remembered from this copy (the PDF was not seen live)" in markdown
    assert "archived copy of 2021-07-14: page_missing" in markdown
    assert "archived copy of 2021-07-14" in cli("report", "--format", "html").stdout

    # A second archive run reads the same copy no more.
    wayback.clear_log()
    assert cli("archive", "--no-save", now=LATER).returncode == 0
    assert not [r for r in wayback.requests if "id_/" in r.path]

    wrote = cli("fix", "campaign.md", "--write")
    assert wrote.returncode == 0, wrote.stderr
    text = (cli.cwd / "campaign.md").read_text()
    assert f"{capture}#page=71 [p.67]" in text  # the archived printing's own labels
    assert f"{capture} [p.400]" in text  # a page the copy lacks: no #page= at all

    # The PDF comes back, printed with two pages of front matter: the passage
    # remembered from the archived copy is found on its p.67, where it belongs.
    serve_pdf(cli.web, RISE_PATH, rise_report(), host=HOST)
    _document(cli, [f"{CLAIM}: {url} [p.67]"])
    assert cli("check", "--timeout", "10", now=LATER).returncode == 0
    live = _citations(cli, url)["67"]["page_check"]
    assert (live["finding"], live["pdf_page"]) == (None, 69)


def test_the_archived_copy_is_checked_beside_the_live_pdf_and_its_failures_stay_there(
    cli: CLI, wayback: FakeWayback
) -> None:
    wayback.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    serve_pdf(cli.web, RISE_PATH, rise_report(), host=HOST)  # 140 pages, live
    url = cli.web.url(RISE_PATH, host=HOST)
    archive_pdf(wayback, url, CAPTURED, _edition(front_matter=2, printed_pages=98))
    # A second report whose capture the archive lists but cannot replay (a 404).
    serve_pdf(cli.web, "/other.pdf", rise_report(), host=HOST)
    other = cli.web.url("/other.pdf", host=HOST)
    wayback.add_capture(other, CAPTURED, mimetype="application/pdf")
    _document(
        cli,
        [
            f"{CLAIM}: {url} [p.67]",
            f"Children as young as 12 give their fingerprints: {url} [p.118]",
            f"{CLAIM}: {other} [p.67]",
        ],
    )
    assert cli("check", "--timeout", "10", now=NOW).returncode == 0
    assert cli("archive", "--no-save", now=NOW).returncode == 0

    cited = _citations(cli, url)
    assert cited["118"]["page_check"]["finding"] is None  # live: 140 pages
    archived = cited["118"]["archived_page_check"]
    assert archived["finding"] == "page_missing"  # the capture has 100
    assert "no page labelled p.118 (100 pages)" in archived["detail"]
    assert archived["baseline_taken"] is False  # seen live: its pages were remembered there
    assert cited["67"]["archived_page_check"]["finding"] is None
    assert cited["67"]["archived_page_check"]["pdf_page"] == 69

    unread = _citations(cli, other)["67"]["archived_page_check"]
    assert unread["finding"] == "pages_unread"
    assert unread["detail"] == "the archive answered 404 for the archived copy"
    assert {cli.links()[u]["status"] for u in (url, other)} == {"ok"}

    markdown = cli("report", "--format", "md").stdout.replace("\\", "")
    assert "archived copy of 2021-07-14: page_missing: the PDF has no page labelled p.118" in (
        markdown
    )
    assert "page_missing" in cli("report", "--format", "csv").stdout
