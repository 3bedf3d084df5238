"""summaries.py: what the CLI says, from plain values."""

from __future__ import annotations

import signal
from datetime import UTC, datetime

from citecheck.archive import ArchiveProgress, ArchiveSummary
from citecheck.config import ArchiveSettings
from citecheck.models import CheckResult, Hop, LinkState, Reason, Status
from citecheck.summaries import (
    CheckSummary,
    archive_line,
    archive_progress_line,
    archive_warnings,
    check_lines,
    check_warnings,
    result_line,
)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def _result(url: str, status: Status, http_status: int, hops: tuple[Hop, ...] = ()) -> CheckResult:
    return CheckResult(
        url=url, status=status, checked_at=NOW, http_status=http_status, redirects=hops
    )


def test_verbose_lines_align_and_a_redirect_shows_its_301() -> None:
    moved = (Hop("https://a.example/old", 301, "https://a.example/new"),)
    lines = [
        result_line(
            _result("https://a.example/old", Status.OK, 200, moved),
            LinkState("https://a.example/old", Status.REDIRECTED, Reason.PERMANENT_REDIRECT),
        ),
        result_line(
            _result("https://a.example/", Status.OK, 200),
            LinkState("https://a.example/", Status.OK),
        ),
    ]
    assert len({line.index("https://") for line in lines}) == 1
    assert lines[0].split()[2] == "301"


def test_a_first_run_is_not_no_change() -> None:
    summary = CheckSummary(run_id=1, checked=2, counts={"ok": 2}, elapsed_s=1.0, first_run=True)
    (line,) = check_lines(summary, lambda url: None)
    assert line == "Checked 2 links in 1.0s: 2 ok; the first complete check of this database."


def test_an_interrupted_check_says_what_was_kept() -> None:
    summary = CheckSummary(
        run_id=1, checked=7, counts={}, elapsed_s=1.0, interrupted_by=signal.SIGINT
    )
    (warning,) = check_warnings(summary)
    assert warning.startswith("citecheck: stopped by SIGINT: 7 checks recorded and kept;")
    assert summary.exit_code == 130


def test_the_archive_line_counts_look_ups_left() -> None:
    line = archive_line(ArchiveSummary(links=5, looked_up=2, lookups_left=3, with_copy=1))
    assert "(2 looked up, 0 from earlier runs, 3 left for the next run)" in line
    assert archive_warnings(ArchiveSummary(interrupted_by=signal.SIGTERM))[0].startswith(
        "citecheck: stopped by SIGTERM: 0 look-ups"
    )


def test_the_progress_line_names_the_save_page_now_wait() -> None:
    counts = dict.fromkeys(ArchiveSummary().counts(), 0)
    line = archive_progress_line(ArchiveProgress(counts, waiting_s=25.2), ArchiveSettings())
    assert line.endswith(
        "waiting 25 s for the Save Page Now limit (3/min anonymous; set IA_ACCESS_KEY for 7/min)"
    )
    assert "waiting" not in archive_progress_line(ArchiveProgress(counts), ArchiveSettings())


def test_the_summaries_are_still_named_by_the_pipeline() -> None:
    """A script that took CheckSummary or RunSummary from pipeline.py before they
    moved to summaries.py gets the same classes."""
    import citecheck.pipeline as pipeline
    from citecheck import summaries

    assert pipeline.CheckSummary is summaries.CheckSummary
    assert pipeline.RunSummary is summaries.RunSummary
