"""What the commands print: progress, summaries, what a run changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..atomic import atomic_output
from ..models import CHANGE_KINDS, STATUS_ORDER, CheckResult, LinkState
from ..store import Store

if TYPE_CHECKING:
    from ..archive import ArchiveSummary
    from ..pipeline import CheckSummary


def _result_line(result: CheckResult, state: LinkState) -> str:
    verdict = state.status.value
    if state.reason is not None:
        verdict += f" ({state.reason.value})"
    code = f" {result.http_status}" if result.http_status is not None else ""
    return f"{verdict:<28}{code:>4}  {result.url}"


class _Progress:
    """A one-line progress count on a terminal's standard error; silent elsewhere."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0

    def advance(self, result: CheckResult, state: LinkState) -> None:
        self.done += 1
        if self.enabled:
            click.echo(f"\rChecked {self.done} of {self.total} links", err=True, nl=False)

    def finish(self) -> None:
        if self.enabled and self.done:
            click.echo("\r\033[K", err=True, nl=False)


_CHANGE_TITLES = {
    "newly_broken": "Newly broken",
    "recovered": "Recovered",
    "newly_drifted": "Newly drifted (the page changed since it was cited)",
}


def _print_summary(summary: CheckSummary, store: Store, *, quiet: bool) -> None:
    if summary.offline:
        click.echo(
            "citecheck: the network looks unreachable: "
            f"{summary.offline_detail}. Nothing was marked broken; the run is recorded "
            "as offline.",
            err=True,
        )
    if quiet:
        return
    parts = [
        f"{summary.counts.get(s.value, 0)} {s.value}"
        for s in STATUS_ORDER
        if summary.counts.get(s.value, 0)
    ]
    checked = f"{summary.checked} links"
    if summary.due_only:
        checked = f"{summary.checked} of {sum(summary.counts.values())} links (those due)"
    quiet_run = not summary.changed and not summary.offline
    changes = "; no change since the last run" if quiet_run else ""
    click.echo(
        f"Checked {checked} in {summary.elapsed_s:.1f}s: "
        + (", ".join(parts) if parts else "no links")
        + f"{changes}."
    )
    for kind in CHANGE_KINDS:
        urls = summary.changes.get(kind) or []
        if urls:
            click.echo(f"{_CHANGE_TITLES[kind]} ({len(urls)}):")
        for url in urls:
            click.echo("  " + _change_line(store, url))


def _change_line(store: Store, url: str) -> str:
    state = store.link_state(url)
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


def _print_archive_summary(summary: ArchiveSummary, *, quiet: bool) -> None:
    if summary.unreachable:
        click.echo(
            f"citecheck: the Wayback Machine is unreachable: {summary.unreachable_detail}."
            " Nothing was recorded because of it; the next run tries again.",
            err=True,
        )
        return
    if quiet:
        return
    line = (
        f"Archive: {summary.with_copy} of {summary.links} links have a copy"
        f" ({summary.looked_up} looked up, {summary.cached} from earlier runs)"
    )
    if summary.saves_requested or summary.saves_left or summary.saves_pending:
        line += (
            f"; {summary.saves_requested} captures requested, {summary.saves_verified}"
            f" verified, {summary.saves_pending} pending, {summary.saves_left} left for"
            " the next run"
        )
    click.echo(line + ".")


def _write_file_atomically(path: Path, write: Callable[[Any], None]) -> None:
    """Write a report through a temporary file beside ``path``, then rename it over."""
    with atomic_output(path, text=True, newline="\n") as out:
        write(out)
