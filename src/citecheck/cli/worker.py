"""``run --worker``: the options and the run of one worker (workers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from .options import Job, command_clock
from .output import (
    ArchiveProgressDisplay,
    print_archive_summary,
    print_check_summary,
    result_printer,
)

#: ``--lease-seconds`` unless given (workers.DEFAULT_LEASE_S, without importing it).
_DEFAULT_LEASE_S = 120.0


def worker_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--worker`` and ``--lease-seconds``."""
    command = click.option(
        "--lease-seconds",
        type=click.FloatRange(min=1, max=86400),
        default=_DEFAULT_LEASE_S,
        show_default=True,
        help="With --worker: how long a worker's claim on a host lasts unless renewed "
        "(renewed every third of it); a killed worker's hosts are taken over after it.",
    )(command)
    return click.option(
        "--worker",
        is_flag=True,
        help="Run as one of many workers sharing the database (best on PostgreSQL, on "
        "several machines): hosts are claimed one at a time with a lease, no writer lock "
        "is held; the archive step claims its links the same way and shares the "
        "archive's rate limits with the other workers.",
    )(command)


def refuse_check_all(check_all: bool) -> None:
    if check_all:
        raise click.UsageError("--worker checks the links that are due; it cannot take --all")


def run_as_worker(job: Job, sources: Path, lease_seconds: float) -> NoReturn:
    """Run one worker and exit with the run's exit code."""
    from ..store import Store
    from ..workers import run_worker_job

    archive_progress = ArchiveProgressDisplay(
        job.archive, terminal=sys.stderr.isatty() and not job.quiet, verbose=False
    )
    with Store.open(job.db) as store:
        progress, on_result = result_printer(job, None)
        try:
            summary = run_worker_job(
                store,
                sources,
                job.settings,
                clock=command_clock(),
                lease_s=lease_seconds,
                on_result=on_result,
                archive_settings=job.archive,
                on_archive_progress=archive_progress,
            )
        finally:
            progress.finish()
            archive_progress.finish()
        print_check_summary(summary.check, store, quiet=job.quiet)
    if summary.archive is not None:
        print_archive_summary(summary.archive, quiet=job.quiet or not job.verbose)
    sys.exit(summary.exit_code)
