"""What a check and the scheduled job did (:class:`CheckSummary`, :class:`RunSummary`),
and what the CLI says about a job, as text: the -v line per link, the summary lines of
a check and of an archive run, the archive's progress line. Pure functions of the
pipeline's summaries, so the wording is tested with plain values and cli/ only
chooses where each line goes (standard output, or standard error for warnings).

The summaries live here, not in pipeline.py, because a check builds its summary at
its end: creating their two dataclasses (~1.5 ms each) before the first request
was start-up that a check does not need (issue 11)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .interrupt import exit_code_for
from .models import CHANGE_KINDS, STATUS_ORDER, CheckResult, LinkState, Reason, Status

if TYPE_CHECKING:  # a check's lines need not import the archive (start-up, issue 11)
    from .archive import ArchiveProgress, ArchiveSummary
    from .config import ArchiveSettings

#: Wide enough for the longest "status (reason)", so that -v's columns line up (the
#: longest status and the longest reason, " (" and ")", and a space).
_VERDICT_WIDTH = max(map(len, Status)) + max(map(len, Reason)) + 4

CHANGE_TITLES = {
    "newly_broken": "Newly broken",
    "newly_failing": "Newly failing (re-checked daily until confirmed or recovered)",
    "recovered": "Recovered",
    "newly_drifted": "Newly drifted (the page changed since it was cited)",
}


@dataclass(frozen=True)
class CheckSummary:
    """What one check run did. ``counts`` are all cited links by status after the run;
    ``changes`` maps each of CHANGE_KINDS to the URLs it concerns."""

    run_id: int
    checked: int
    counts: dict[str, int]
    elapsed_s: float
    offline: bool = False
    offline_detail: str | None = None
    due_only: bool = False  # only the links the schedule said were due were checked
    changes: dict[str, list[str]] = field(default_factory=dict)
    first_run: bool = False  # no check run reached its end before this one
    interrupted_by: int | None = None  # the signal that stopped the run, if one did

    @property
    def broken(self) -> int:
        return self.counts.get(Status.BROKEN.value, 0)

    @property
    def changed(self) -> bool:
        return any(self.changes.get(kind) for kind in CHANGE_KINDS)

    @property
    def exit_code(self) -> int:
        """0 no broken link; 1 broken links present; 3 the network looks offline;
        128 + the signal's number when a signal stopped the run."""
        if self.interrupted_by is not None:
            return exit_code_for(self.interrupted_by)
        if self.offline:
            return 3
        return 1 if self.broken else 0


@dataclass(frozen=True)
class RunSummary:
    """What the scheduled job did: its check, its archive step (None when it was
    skipped: the network was down, or the check was interrupted), the reports written."""

    check: CheckSummary
    archive: ArchiveSummary | None
    reports: list[Path]

    @property
    def exit_code(self) -> int:
        """The check's, or 128 + the signal's number if the archive step was stopped."""
        if self.archive is not None and self.archive.interrupted_by is not None:
            return exit_code_for(self.archive.interrupted_by)
        return self.check.exit_code


def result_line(result: CheckResult, state: LinkState) -> str:
    """One checked link for -v: verdict, HTTP status (the 301/308 of a permanent
    redirect, not the target's 200), URL."""
    verdict = state.status.value
    if state.reason is not None:
        verdict += f" ({state.reason.value})"
    status = result.http_status
    if state.status is Status.REDIRECTED and result.redirects:
        status = result.redirects[0].status_code
    code = f"{status}" if status is not None else "-"
    return f"{verdict:<{_VERDICT_WIDTH}}{code:>4}  {result.url}"


def _stopped(signum: int) -> str:
    return f"citecheck: stopped by {signal.Signals(signum).name}:"


def check_warnings(summary: CheckSummary) -> list[str]:
    """What went wrong with the run itself (for standard error)."""
    lines = []
    if summary.offline:
        lines.append(
            "citecheck: the network looks unreachable: "
            f"{summary.offline_detail}. Nothing was marked broken; the run is recorded "
            "as offline."
        )
    if summary.interrupted_by is not None:
        lines.append(
            f"{_stopped(summary.interrupted_by)} {summary.checked}"
            f" check{'s' if summary.checked != 1 else ''} recorded and kept;"
            " the run is recorded as interrupted, the next run checks the rest."
        )
    return lines


def check_lines(summary: CheckSummary, link_state: Callable[[str], LinkState | None]) -> list[str]:
    """The summary line, then each change with its URLs (``link_state`` says why)."""
    parts = [
        f"{summary.counts.get(s.value, 0)} {s.value}"
        for s in STATUS_ORDER
        if summary.counts.get(s.value, 0)
    ]
    checked = f"{summary.checked} links"
    if summary.due_only:
        checked = f"{summary.checked} of {sum(summary.counts.values())} links (those due)"
    quiet_run = not summary.changed and not summary.offline and not summary.interrupted_by
    changes = "; no change since the last run" if quiet_run else ""
    if summary.first_run and not summary.offline and summary.interrupted_by is None:
        changes = "; the first complete check of this database"
    lines = [
        f"Checked {checked} in {summary.elapsed_s:.1f}s: "
        + (", ".join(parts) if parts else "no links")
        + f"{changes}."
    ]
    for kind in CHANGE_KINDS:
        urls = summary.changes.get(kind) or []
        if urls:
            lines.append(f"{CHANGE_TITLES[kind]} ({len(urls)}):")
        lines += ["  " + _change_line(url, link_state(url)) for url in urls]
    return lines


def _change_line(url: str, state: LinkState | None) -> str:
    if state is None:
        return url
    line = url
    if state.reason is not None:
        line += f" ({state.reason.value}"
        line += f", HTTP {state.http_status})" if state.http_status else ")"
    if state.drift:
        line += (
            f" ({state.drift.get('kind')} changed: “{state.drift.get('before_title')}”"
            f" → “{state.drift.get('after_title')}”)"
        )
    return line


def archive_warnings(summary: ArchiveSummary) -> list[str]:
    """What went wrong with the archive run itself (for standard error)."""
    if summary.unreachable:
        return [
            f"citecheck: the Wayback Machine is unreachable: {summary.unreachable_detail}."
            " Nothing was recorded because of it; the next run tries again."
        ]
    if summary.interrupted_by is not None:
        return [
            f"{_stopped(summary.interrupted_by)} {summary.looked_up} look-ups,"
            f" {summary.saves_requested} captures requested and {summary.saves_verified}"
            " verified are recorded and kept; the run is recorded as interrupted, the next"
            " run does the rest."
        ]
    return [f"citecheck: {line}; the next run asks it again." for line in summary.archives_skipped]


def archive_line(summary: ArchiveSummary) -> str:
    """The summary line, counting what was left for the next run."""
    line = (
        f"Archive: {summary.with_copy} of {summary.links} links have a copy"
        f" ({summary.looked_up} looked up, {summary.cached} from earlier runs"
    )
    if summary.lookups_left:
        line += f", {summary.lookups_left} left for the next run"
    if summary.from_other_archives:
        line += f", {summary.from_other_archives} from other archives than the Wayback Machine"
    line += ")"
    if summary.saves_requested or summary.saves_left or summary.saves_pending:
        line += (
            f"; {summary.saves_requested} captures requested, {summary.saves_verified}"
            f" verified, {summary.saves_pending} pending, {summary.saves_left} left for"
            " the next run"
        )
    return line + "."


def archive_progress_line(progress: ArchiveProgress, settings: ArchiveSettings) -> str:
    """Where an archive run stands, and what it waits for."""
    counts = progress.counts
    line = (
        f"Archive: {counts['looked_up']} looked up, {counts['lookups_left']} left;"
        f" {counts['saves_requested']} captures requested, {counts['saves_verified']}"
        " verified"
    )
    if progress.waiting_s >= 1:
        line += f"; {save_wait(progress.waiting_s, settings)}"
    return line


def save_wait(seconds: float, settings: ArchiveSettings) -> str:
    """The archive's published limits: its own figures, not our 80% of them."""
    if settings.authenticated:
        return f"waiting {seconds:.0f} s for the Save Page Now limit (7/min with IA_ACCESS_KEY)"
    return (
        f"waiting {seconds:.0f} s for the Save Page Now limit (3/min anonymous;"
        " set IA_ACCESS_KEY for 7/min)"
    )
