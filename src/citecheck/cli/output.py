"""What the commands print while they work and when they are done: progress on a
terminal's standard error, a line per result with -v, the summaries (their text
comes from summaries.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from ..config import ArchiveSettings
from .options import Job

if TYPE_CHECKING:
    from ..archive import ArchiveProgress, ArchiveSummary
    from ..models import CheckResult, LinkState
    from ..store import Store
    from ..summaries import CheckSummary


class CheckProgress:
    """A one-line progress count on a terminal's standard error; silent elsewhere."""

    def __init__(self, total: int | None, *, enabled: bool) -> None:
        self.total = total  # None: not known in advance
        self.done = 0
        self.enabled = enabled and total != 0

    def advance(self, result: CheckResult, state: LinkState) -> None:
        self.done += 1
        if self.enabled:
            of = f" of {self.total}" if self.total is not None else ""
            click.echo(f"\rChecked {self.done}{of} links", err=True, nl=False)

    def finish(self) -> None:
        if self.enabled and self.done:
            click.echo("\r\033[K", err=True, nl=False)


def print_check_summary(summary: CheckSummary, store: Store, *, quiet: bool) -> None:
    from ..summaries import check_lines, check_warnings

    for line in check_warnings(summary):
        click.echo(line, err=True)
    if not quiet:  # one write: click.echo flushes, a line at a time was a write each
        click.echo("\n".join(check_lines(summary, store.link_state)))


def print_archive_summary(summary: ArchiveSummary, *, quiet: bool) -> None:
    from ..summaries import archive_line, archive_warnings

    for line in archive_warnings(summary):
        click.echo(line, err=True)
    if not quiet and not summary.unreachable:
        click.echo(archive_line(summary))


class ArchiveProgressDisplay:
    """The archive's progress on standard error: on a terminal one line rewritten in
    place; elsewhere, with -v, a line per step; otherwise nothing (cron gets the
    summary line)."""

    def __init__(self, settings: ArchiveSettings, *, terminal: bool, verbose: bool) -> None:
        self.settings = settings
        self.terminal = terminal
        self.verbose = verbose
        self.shown = False

    def __call__(self, progress: ArchiveProgress) -> None:
        from ..summaries import archive_progress_line

        line = archive_progress_line(progress, self.settings)
        if self.terminal:
            click.echo("\r\033[K" + line, err=True, nl=False)
            self.shown = True
        elif self.verbose:
            click.echo(line, err=True)

    def finish(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)


def result_printer(job: Job, total: int | None) -> tuple[CheckProgress, Callable[..., None]]:
    """The progress line, and what each result does: advance it, and with -v print the
    result's line (summaries.py is imported only then: without -v a check's start
    needs none of it, issue 11)."""
    progress = CheckProgress(
        total, enabled=sys.stderr.isatty() and not job.verbose and not job.quiet
    )
    if not job.verbose or job.quiet:
        return progress, progress.advance
    from ..summaries import result_line

    def on_result(result: CheckResult, state: LinkState) -> None:
        progress.advance(result, state)
        click.echo(result_line(result, state))

    return progress, on_result
