"""The command line: a thin click layer over the library.

Each command turns options into library objects, makes one library call, and
prints. Library errors become exit codes in options.py and nowhere else:
0 no broken link; 1 broken links present; 2 usage or input error (bad CSV,
unusable database, busy database, an output that cannot be written); 3 the
network (or, for ``archive``, the archive) looks offline; 4 citecheck failed: an
unexpected internal error (a bug), never reported as 1; its traceback goes to the
error log beside the database (``archive.db`` → ``archive-errors.log``), where the
per-link guards also write theirs (incidents.py); 130 / 143 stopped by SIGINT /
SIGTERM (what was recorded is kept).

The jobs (pipeline.py and what it pulls in: httpx, lxml, pypdf) and the reports
are imported by the commands that run them, not at start-up: `citecheck report`
over a million history rows should not spend a third of its time importing an
HTTP client, nor a check its first request's time importing the reports.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..collector import paused_while_importing
from ..config import REPORT_FORMATS
from ..errors import InputError
from .options import (
    CommandGroup,
    Job,
    archive_options,
    check_options,
    command_clock,
    config_option,
    db_option,
    documents_argument,
    existing_db,
    job_of,
    library_errors,
    sources_option,
)
from .output import (
    ArchiveProgressDisplay,
    print_archive_summary,
    print_check_summary,
    result_printer,
)
from .worker import refuse_check_all, run_as_worker, worker_options

if TYPE_CHECKING:
    from ..dbaddress import DatabaseAddress
    from ..models import Citation
    from ..report import Report
    from ..store import Store
    from ..summaries import CheckSummary


def _open_store(path: DatabaseAddress, *, create: bool = True) -> Store:
    """The store, imported only by the commands that open one (sqlite-utils costs
    a tenth of a second that ``--help`` should not pay)."""
    from ..store import Store

    return Store.open(path, create=create)


def _build_report(store: Store, **options: Any) -> Report:
    from ..report.build import build_report

    return build_report(store, **options)


@click.group(cls=CommandGroup)
@click.version_option(__version__, prog_name="citecheck")
def cli() -> None:
    """Check, archive and repair the links that campaign texts cite as evidence."""


@cli.command()
@documents_argument
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
@click.option(
    "--prune",
    is_flag=True,
    help="Drop the rows of sources.csv that cite these documents at a place where they "
    "no longer cite that URL (reported either way).",
)
@library_errors
def extract(
    documents: tuple[Path, ...], output: Path, db_path: DatabaseAddress, prune: bool
) -> None:
    """Find the URLs cited in documents and merge them into sources.csv.

    Reads .txt, .md, .html and .docx documents and PDFs' link annotations. New
    URLs and citations are added; rows already in sources.csv, and every edit made
    to them, are kept. Citations that give a title but no URL are reported, and
    matched to a known source when the title matches one: a title given in
    sources.csv, or the title a cited page was last seen with (in the database).
    Rows that cite a document at a place where it no longer cites that URL (the
    URL was corrected or removed) are reported; --prune drops them.

    Example:

        citecheck extract campaign.txt -o sources.csv
    """
    from ..outputs import check_output_path
    from ..pipeline import extract_to_sources
    from ..store.maintenance import database_exists

    check_output_path(output)
    if database_exists(db_path):
        with _open_store(db_path, create=False) as store:
            found, summary = extract_to_sources(documents, output, store=store, prune=prune)
    else:
        found, summary = extract_to_sources(documents, output, prune=prune)
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
        for citation in document.stale:
            fate = "dropped" if prune else "kept; --prune drops it"
            click.echo(
                f"  {citation.cited_in}: no longer cites {citation.url} (the row in"
                f" {output} is {fate})"
            )
    line = f"{output}: {summary.added} added, {summary.kept} kept, {summary.filled} filled in"
    click.echo(line + (f", {summary.pruned} pruned" if summary.pruned else ""))


def _title_only(citation: Citation) -> str:
    page = f" [p. {citation.page}]" if citation.page else ""
    return f"{citation.cited_in}: “{citation.title}”{page}"


@cli.command()
@config_option
@sources_option
@db_option
@check_options
@click.option("--due", is_flag=True, help="Check only the links the schedule says are due.")
@library_errors
def check(due: bool, **params: Any) -> None:
    """Check every URL in sources.csv once and record the results.

    Exit code 0: no broken link; 1: broken links; 2: bad input or database;
    3: the network looks offline (nothing was marked broken); 4: citecheck failed
    (a bug; the traceback is in archive-errors.log beside the database).

    Example:

        citecheck check --sources sources.csv --db archive.db
    """
    job = job_of(params)
    summary = _run_check(job, command="check", due_only=due)
    sys.exit(summary.exit_code)


def _valid_sources(job: Job) -> Path:
    """sources.csv, read through once before the database is opened: a rejected file
    leaves no archive.db created or changed."""
    from ..pipeline import check_sources

    if not job.sources.exists():
        raise InputError(f"{job.sources}: no such file (create it with 'citecheck extract')")
    check_sources(job.sources)
    return job.sources


def _run_check(job: Job, *, command: str, due_only: bool) -> CheckSummary:
    with paused_while_importing():
        from ..pipeline import check_links_in_store, load_sources

    sources = _valid_sources(job)
    clock = command_clock()
    with _open_store(job.db) as store:
        loaded = load_sources(store, sources, now=clock())
        progress, on_result = result_printer(job, loaded.active_links)
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
        print_check_summary(summary, store, quiet=job.quiet)
    return summary


@cli.command()
@config_option
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    required=True,
    help="json for tools, md for GitHub issues and mail, html for people, csv for spreadsheets.",
)
@click.option(
    "-o",
    "--output",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (atomically; a device or FIFO in place) instead of"
    " standard output ('-').",
)
@library_errors
def report(fmt: str, report_path: Path | None, **params: Any) -> None:
    """Report the status of every cited link, what needs a human first.

    Example:

        citecheck report --format html -o report.html
    """
    from ..outputs import check_output_path, open_output
    from ..report import write_report

    job = job_of(params)
    output = Path("-") if report_path is None else report_path
    check_output_path(output)
    with _open_store(existing_db(job), create=False) as store:
        built = _build_report(store, now=command_clock()(), schedule=job.settings.schedule)
        with open_output(output) as out:
            write_report(built, fmt, out)


@cli.command()
@config_option
@db_option
@archive_options
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Print the progress as it goes, a line per step (a terminal shows it in place anyway).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@library_errors
def archive(**params: Any) -> None:
    """Find every cited link's archived copy; capture live pages that need one.

    A broken link gets the closest capture that answered 200 before its citation's
    accessed date (else before it started failing); a live link gets its newest.
    Live links with no capture newer than 30 days are captured with Save Page Now
    (SPN2 when IA_ACCESS_KEY and IA_SECRET_KEY are set), under the archive's rate
    limits. CITECHECK_WAYBACK_URL sets the archive's address.

    Exit code 0: done (captures that failed are left for the next run); 2: bad
    input or database; 3: the archive is unreachable (nothing was recorded);
    4: citecheck failed (a bug).

    Example:

        citecheck archive --db archive.db --max-saves 50
    """
    from ..pipeline import archive_links_in_store

    job = job_of(params)
    progress = ArchiveProgressDisplay(
        job.archive, terminal=sys.stderr.isatty() and not job.quiet, verbose=job.verbose
    )
    with _open_store(existing_db(job), create=False) as store:
        try:
            summary = archive_links_in_store(
                store, job.settings, job.archive, clock=command_clock(), on_progress=progress
            )
        finally:
            progress.finish()
    print_archive_summary(summary, quiet=job.quiet)
    sys.exit(summary.exit_code)


@cli.command()
@documents_argument
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
@library_errors
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
    .html and .docx; PDFs are refused (they are not rewritten).

    Example:

        citecheck fix campaign.md            # review the diff
        citecheck fix campaign.md --write    # apply it
        citecheck fix campaign.md --undo     # put it back
    """
    from ..pipeline import (
        fix_decisions,
        plan_document_fix,
        refuse_unfixable,
        undo_document_fix,
        write_document_fix,
    )

    refuse_unfixable(documents)
    job = job_of(params)
    clock = command_clock()
    with _open_store(existing_db(job), create=False) as store:
        if undo:
            for document in documents:
                plan = undo_document_fix(store, document, now=clock())
                click.echo(f"{document}: restored {len(plan.replacements)} URLs")
            return
        wayback = job.archive.wayback_url
        decisions = fix_decisions(store, job.archive)
        memento_hosts = [host for a in job.archive.memento.archives for host in a.hosts]
        prefixes = [f"{scheme}://{host}/" for host in memento_hosts for scheme in ("http", "https")]
        for document in documents:
            plan = plan_document_fix(
                document,
                decisions,
                redirects=redirects,
                style=style,
                archive_prefixes=(f"{wayback}/web/", *prefixes),
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
@library_errors
def history(url: str, as_json: bool, **params: Any) -> None:
    """Show every check of one URL, oldest first.

    Example:

        citecheck history https://edri.org/
    """
    job = job_of(params)
    with _open_store(existing_db(job), create=False) as store:
        state = store.link_state(url)
        if state is None:
            raise InputError(f"{url} is not in {job.db}")
        checks = store.history(url)
    if as_json:
        import json

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
@worker_options
@library_errors
def run(check_all: bool, worker: bool, lease_seconds: float, **params: Any) -> None:
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
    with paused_while_importing():
        from ..outputs import check_output_path
        from ..pipeline import run_job

    job = job_of(params)
    for output in job.settings.report_outputs:
        check_output_path(output.path)
    sources = _valid_sources(job)
    if worker:
        refuse_check_all(check_all)
        run_as_worker(job, sources, lease_seconds)
    archive_progress = ArchiveProgressDisplay(
        job.archive, terminal=sys.stderr.isatty() and not job.quiet, verbose=False
    )
    with _open_store(job.db) as store:
        progress, on_result = result_printer(job, None)
        try:
            summary = run_job(
                store,
                sources,
                job.settings,
                job.archive,
                clock=command_clock(),
                due_only=not check_all,
                on_result=on_result,
                on_archive_progress=archive_progress,
            )
        finally:
            progress.finish()
            archive_progress.finish()
        print_check_summary(summary.check, store, quiet=job.quiet)
    if summary.archive is not None:
        print_archive_summary(summary.archive, quiet=job.quiet or not job.verbose)
    sys.exit(summary.exit_code)


__all__ = ["cli"]
