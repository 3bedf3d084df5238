"""The command line: a thin click layer over the library.

Each command turns options into library objects, makes one library call, and
prints. Library errors become exit codes here and nowhere else:
0 no broken link; 1 broken links present; 2 usage or input error (bad CSV,
unusable database, busy database); 3 the network looks offline.

The jobs (pipeline.py and what it pulls in: httpx, lxml, pypdf) are imported by
the commands that run them, not at start-up: `citecheck report` over a million
history rows should not spend a third of its time importing an HTTP client.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..config import (
    DEFAULT_RUN_ARCHIVE_MINUTES,
)
from ..errors import InputError
from ..models import CheckResult, Citation, LinkState
from ..report import FORMATS, write_report
from ..report.build import build_report
from ..store import Store

if TYPE_CHECKING:
    from ..archive import ArchiveSummary
    from ..pipeline import CheckSummary
from .options import (
    _clock,
    _existing_db,
    _Job,
    _job,
    _library_errors,
    archive_options,
    check_options,
    config_option,
    db_option,
    sources_option,
)
from .output import (
    _print_archive_summary,
    _print_summary,
    _Progress,
    _result_line,
    _write_file_atomically,
)


@click.group()
@click.version_option(__version__, prog_name="citecheck")
def cli() -> None:
    """Check, archive and repair the links that campaign texts cite as evidence."""


@cli.command()
@click.argument(
    "documents",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="sources.csv",
    show_default=True,
    help="The sources.csv to merge the citations into.",
)
@db_option
@_library_errors
def extract(documents: tuple[Path, ...], output: Path, db_path: Path) -> None:
    """Find the URLs cited in documents and merge them into sources.csv.

    Reads .txt, .md, .html and .docx documents and PDFs' link annotations. New
    URLs and citations are added; rows already in sources.csv, and every edit made
    to them, are kept. Citations that give a title but no URL are reported, and
    matched to a known source when the title matches one: a title given in
    sources.csv, or the title a cited page was last seen with (in the database).

    Example:

        citecheck extract campaign.txt -o sources.csv
    """
    from ..pipeline import extract_to_sources

    if db_path.exists():
        with Store.open(db_path, create=False) as store:
            found, summary = extract_to_sources(documents, output, store=store)
    else:
        found, summary = extract_to_sources(documents, output)
    for document in found:
        urls = {c.url for c in document.citations}
        click.echo(f"{document.document}: {len(document.citations)} citations of {len(urls)} URLs")
        for citation in document.matched:
            click.echo(f"  {_title_only(citation)} has no URL; matched by title to {citation.url}")
        for citation in document.unresolved:
            click.echo(
                f"  {_title_only(citation)} has no URL and matches no known source;"
                f" add its URL to {output} by hand"
            )
    click.echo(f"{output}: {summary.added} added, {summary.kept} kept, {summary.filled} filled in")


def _title_only(citation: Citation) -> str:
    page = f" [p. {citation.page}]" if citation.page else ""
    return f"{citation.cited_in}: “{citation.title}”{page}"


@cli.command()
@config_option
@sources_option
@db_option
@check_options
@click.option("--due", is_flag=True, help="Check only the links the schedule says are due.")
@_library_errors
def check(due: bool, **params: Any) -> None:
    """Check every URL in sources.csv once and record the results.

    Exit code 0: no broken link; 1: broken links; 2: bad input or database;
    3: the network looks offline (nothing was marked broken).

    Example:

        citecheck check --sources sources.csv --db archive.db
    """
    job = _job(params)
    summary = _run_check(job, command="check", due_only=due)
    sys.exit(summary.exit_code)


def _run_check(job: _Job, *, command: str, due_only: bool) -> CheckSummary:
    if not job.sources.exists():
        raise InputError(f"{job.sources}: no such file (create it with 'citecheck extract')")
    from ..pipeline import check_links_in_store, load_sources

    clock = _clock()
    with Store.open(job.db) as store:
        load_sources(store, job.sources, now=clock())
        total = sum(store.status_counts().values())
        progress = _Progress(
            total, enabled=sys.stderr.isatty() and not job.verbose and not job.quiet
        )

        def on_result(result: CheckResult, state: LinkState) -> None:
            progress.advance(result, state)
            if job.verbose and not job.quiet:
                click.echo(_result_line(result, state))

        try:
            summary = check_links_in_store(
                store,
                job.settings,
                clock=clock,
                command=command,
                due_only=due_only,
                on_result=on_result,
            )
        finally:
            progress.finish()
        _print_summary(summary, store, quiet=job.quiet)
    return summary


@cli.command()
@config_option
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="json for tools, md for GitHub issues and mail, html for people, csv for spreadsheets.",
)
@click.option(
    "-o",
    "--output",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (atomically) instead of standard output.",
)
@_library_errors
def report(fmt: str, report_path: Path | None, **params: Any) -> None:
    """Report the status of every cited link, what needs a human first.

    Example:

        citecheck report --format html -o report.html
    """
    job = _job(params)
    with Store.open(_existing_db(job), create=False) as store:
        built = build_report(store, now=_clock()(), schedule=job.settings.schedule)
        if report_path is None:
            write_report(built, fmt, sys.stdout)
        else:
            _write_file_atomically(report_path, lambda out: write_report(built, fmt, out))


@cli.command()
@config_option
@db_option
@archive_options
@click.option("-v", "--verbose", is_flag=True, help="Print the summary line.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@_library_errors
def archive(**params: Any) -> None:
    """Find every cited link's archived copy; capture live pages that need one.

    A broken link gets the closest capture that answered 200 before its citation's
    accessed date (else before it started failing); a live link gets its newest.
    Live links with no capture newer than 30 days are captured with Save Page Now
    (SPN2 when IA_ACCESS_KEY and IA_SECRET_KEY are set), under the archive's rate
    limits. CITECHECK_WAYBACK_URL sets the archive's address.

    Exit code 0: done (captures that failed are left for the next run); 2: bad
    input or database; 3: the archive is unreachable (nothing was recorded).

    Example:

        citecheck archive --db archive.db --max-saves 50
    """
    job = _job(params)
    summary = _run_archive(job, command="archive", quiet=job.quiet)
    sys.exit(summary.exit_code)


def _run_archive(job: _Job, *, command: str, quiet: bool) -> ArchiveSummary:
    from ..pipeline import archive_links_in_store

    with Store.open(_existing_db(job), create=False) as store:
        summary = archive_links_in_store(
            store, job.settings, job.archive, clock=_clock(), command=command
        )
    _print_archive_summary(summary, quiet=quiet)
    return summary


@cli.command()
@click.argument(
    "documents",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@db_option
@click.option("--write", is_flag=True, help="Apply the changes (default: show them only).")
@click.option(
    "--redirects", is_flag=True, help="Also update permanently redirected links to their target."
)
@click.option(
    "--style",
    type=click.Choice(["replace", "robust"]),
    default="replace",
    show_default=True,
    help="replace: swap the URL; robust: keep it and add the archived copy beside it "
    "(Robust Links attributes in HTML, an [archived] link in Markdown).",
)
@click.option("--undo", is_flag=True, help="Restore each document as it was before its last fix.")
@config_option
@_library_errors
def fix(
    documents: tuple[Path, ...],
    write: bool,
    redirects: bool,
    style: str,
    undo: bool,
    **params: Any,
) -> None:
    """Swap dead citations in documents for their archived copies.

    A dry run by default: prints a unified diff of what would change and a summary
    (swapped, updated, left for a human, and why); the documents are not touched.
    With --write, each document is rewritten atomically and every swap is recorded
    in the database, so --undo can restore it byte for byte. Reads .txt, .md,
    .html and .docx.

    Example:

        citecheck fix campaign.md            # review the diff
        citecheck fix campaign.md --write    # apply it
        citecheck fix campaign.md --undo     # put it back
    """
    from ..pipeline import (
        fix_decisions,
        plan_document_fix,
        undo_document_fix,
        write_document_fix,
    )

    job = _job(params)
    clock = _clock()
    with Store.open(_existing_db(job, "run 'citecheck run' first"), create=False) as store:
        if undo:
            for document in documents:
                plan = undo_document_fix(store, document, now=clock())
                click.echo(f"{document}: restored {len(plan.replacements)} URLs")
            return
        wayback = job.archive.wayback_url
        decisions = fix_decisions(store)
        for document in documents:
            plan = plan_document_fix(
                document,
                decisions,
                redirects=redirects,
                style=style,
                archive_prefixes=(f"{wayback}/web/",),
            )
            diff = plan.diff()
            if diff and not write:
                click.echo(diff, nl=False)
            click.echo(plan.summary(), err=not write and bool(diff))
            if write and plan.replacements:
                write_document_fix(store, document, plan, now=clock())
                click.echo(f"{document}: written; undo with 'citecheck fix --undo {document}'")


@cli.command()
@click.argument("url")
@config_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@_library_errors
def history(url: str, as_json: bool, **params: Any) -> None:
    """Show every check of one URL, oldest first.

    Example:

        citecheck history https://edri.org/
    """
    job = _job(params)
    with Store.open(_existing_db(job), create=False) as store:
        state = store.link_state(url)
        if state is None:
            raise InputError(f"{url} is not in {job.db}")
        checks = store.history(url)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "checked_at": c.checked_at.isoformat(),
                        "status": c.status.value,
                        "reason": c.reason.value if c.reason else None,
                        "http_status": c.http_status,
                        "final_url": c.final_url,
                        "title": c.title,
                        "detail": c.detail,
                    }
                    for c in checks
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"{state.url}")
    verdict = state.status.value + (f" ({state.reason.value})" if state.reason else "")
    failures = state.consecutive_failures
    click.echo(f"now: {verdict}; {failures} failed check{'s' if failures != 1 else ''} in a row")
    for check_ in checks:
        reason = check_.reason.value if check_.reason else ""
        code = str(check_.http_status) if check_.http_status is not None else "-"
        click.echo(
            f"{check_.checked_at:%Y-%m-%d %H:%M}  {check_.status.value:<10} {reason:<18} "
            f"{code:>4}  {check_.detail or ''}"
        )


@cli.command()
@config_option
@sources_option
@db_option
@check_options
@archive_options
@click.option("--all", "check_all", is_flag=True, help="Check every link now, due or not.")
@click.option(
    "-o",
    "--output",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A report to write, its format told by the extension (.md, .html, .json, .csv); "
    "repeat for several. Default: report.md and report.json.",
)
@_library_errors
def run(check_all: bool, **params: Any) -> None:
    """The scheduled job: check the links that are due, archive, write the reports.

    Safe to leave in cron: one run at a time (a second exits at once with code 2),
    each link checked when the schedule says it is due (new links at once, ok
    links weekly, failing ones daily, broken ones monthly), and quiet when nothing
    changed: one summary line, or the changes (newly broken, recovered, drifted)
    when something did. Same exit codes as check; an unreachable archive is
    reported but changes none of them. Reports are written atomically, so a web
    server never serves half a file.

    Example:

        citecheck run
    """
    job = _job(params)
    if job.archive.time_budget_s is None:
        job = replace(
            job, archive=replace(job.archive, time_budget_s=DEFAULT_RUN_ARCHIVE_MINUTES * 60)
        )
    summary = _run_check(job, command="run", due_only=not check_all)
    if not summary.offline:
        _run_archive(job, command="run-archive", quiet=job.quiet or not job.verbose)
    with Store.open(job.db, create=False) as store:
        built = build_report(store, now=_clock()(), schedule=job.settings.schedule)
        for output in job.settings.report_outputs:
            _write_file_atomically(
                output.path, lambda out, fmt=output.format: write_report(built, fmt, out)
            )
    sys.exit(summary.exit_code)


__all__ = ["cli"]
