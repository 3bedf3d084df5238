"""The command line: a thin click layer over the library.

Each command turns options into library objects, makes one library call, and
prints. Library errors become exit codes here and nowhere else:
0 no broken link; 1 broken links present; 2 usage or input error (bad CSV,
unusable database, busy database, an output that cannot be written); 3 the
network (or, for ``archive``, the archive) looks offline; 4 citecheck failed: an
unexpected internal error (a bug), never reported as 1; its traceback goes to the
error log beside the database (``archive.db`` → ``archive-errors.log``), where the
per-link guards also write theirs (incidents.py); 130 / 143 stopped by SIGINT /
SIGTERM (what was recorded is kept).

The jobs (pipeline.py and what it pulls in: httpx, lxml, pypdf) are imported by
the commands that run them, not at start-up: `citecheck report` over a million
history rows should not spend a third of its time importing an HTTP client.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from . import __version__
from .config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_SAVES,
    DEFAULT_PER_HOST,
    DEFAULT_TIMEOUT_S,
    ArchiveSettings,
    Settings,
    archive_settings_from_env,
    probe_urls_from_env,
)
from .configfile import archive_overrides, load_config, resolve_settings
from .errors import CitecheckError, InputError
from .incidents import IncidentLog, error_log_path
from .interrupt import exit_code_for
from .models import CheckResult, Citation, LinkState
from .outputs import check_output_path, open_output
from .report import FORMATS, write_report

if TYPE_CHECKING:
    from .archive import ArchiveProgress, ArchiveSummary
    from .pipeline import CheckSummary
    from .report import Report
    from .store import Store

#: The exit code of a usage or input error (see the module's docstring for the rest).
EXIT_USAGE = 2
#: The exit code of "citecheck failed": an unexpected internal error, never 1.
EXIT_FAILED = 4
#: Where _job leaves the database path, for the error log of an unexpected failure.
_DB_META_KEY = "citecheck.db"
#: The hint every command that needs a database gives when there is none.
NO_DATABASE_HINT = "create it with 'citecheck check' or 'citecheck run'"


def _clock() -> Callable[[], datetime]:
    """The clock: the real one, or a fixed instant from ``CITECHECK_NOW`` (tests, replays)."""
    fixed = os.environ.get("CITECHECK_NOW")
    if not fixed:
        return lambda: datetime.now(UTC)
    try:
        instant = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.UsageError(f"CITECHECK_NOW={fixed!r} is not an ISO date-time") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return lambda: instant


class _Terminated(BaseException):
    """SIGTERM outside a job's event loop (which handles it itself: interrupt.py)."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise _Terminated(signum)


def _library_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn citecheck's errors into click errors with exit code 2, and a stop signal
    that arrives outside a job (loading sources.csv, writing a report) into one line
    and exit 130 or 143."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            return func(*args, **kwargs)
        except CitecheckError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = EXIT_USAGE
            raise error from exc
        except (KeyboardInterrupt, _Terminated) as exc:
            signum = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
            click.echo(
                f"citecheck: stopped by {signum.name}; what was already recorded is kept.",
                err=True,
            )
            sys.exit(exit_code_for(signum))
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="archive.db",
    show_default=True,
    help="The SQLite store.",
)
config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Options file (default: citecheck.toml in the working folder, if any).",
)
sources_option = click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="sources.csv",
    show_default=True,
    help="The cited URLs (a CSV with a 'url' column).",
)


def _options(*options: Callable[..., Any]) -> Callable[..., Any]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


check_options = _options(
    click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=DEFAULT_CONCURRENCY,
        show_default=True,
        help="Requests in flight at once, all hosts together.",
    ),
    click.option(
        "--per-host",
        type=click.IntRange(min=1),
        default=DEFAULT_PER_HOST,
        show_default=True,
        help="Requests in flight at once to one host.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_TIMEOUT_S,
        show_default=True,
        help="Seconds one URL may take in all (connect, body, redirects, retries).",
    ),
    click.option("--user-agent", default=None, help="The User-Agent header to send."),
    click.option(
        "--resolve",
        multiple=True,
        metavar="HOST:ADDRESS",
        help="Resolve HOST to ADDRESS instead of asking DNS (like curl --resolve).",
    ),
    click.option(
        "--accept-status",
        type=click.IntRange(100, 999),
        multiple=True,
        metavar="CODE",
        help="Treat this HTTP status as ok (for a site known to answer it to robots).",
    ),
    click.option(
        "--exclude",
        multiple=True,
        metavar="REGEX",
        help="Skip URLs matching this regular expression.",
    ),
    click.option(
        "--exclude-domain",
        multiple=True,
        metavar="DOMAIN",
        help="Skip URLs on this domain and its subdomains.",
    ),
    click.option(
        "--exclude-private",
        is_flag=True,
        help="Refuse loopback, private, link-local and cloud-metadata addresses "
        "(checked after DNS resolution).",
    ),
    click.option(
        "--no-soft404-probe",
        is_flag=True,
        help="Do not ask a random sibling path to detect soft 404s.",
    ),
    click.option("-v", "--verbose", is_flag=True, help="Print a line per URL checked."),
    click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells."),
)

archive_options = _options(
    click.option(
        "--no-save",
        is_flag=True,
        help="Only look up archived copies; ask for no new capture.",
    ),
    click.option(
        "--max-saves",
        type=click.IntRange(min=0),
        default=DEFAULT_MAX_SAVES,
        show_default=True,
        help="Capture requests (Save Page Now) at most in this run.",
    ),
)

#: Options that have a citecheck.toml key: option → (key, value as the file writes it).
_CONFIG_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "concurrency": ("http.concurrency", lambda v: v),
    "per_host": ("http.per_host", lambda v: v),
    "timeout": ("http.timeout", lambda v: v),
    "user_agent": ("http.user_agent", lambda v: v),
    "resolve": ("http.resolve", list),
    "accept_status": ("http.accepted_status", list),
    "no_soft404_probe": ("http.soft404_probe", lambda v: not v),
    "exclude": ("exclude.patterns", list),
    "exclude_domain": ("exclude.domains", list),
    "exclude_private": ("exclude.private", lambda v: v),
    "output": ("reports.outputs", lambda v: [str(path) for path in v]),
    "no_save": ("wayback.no_save", lambda v: v),
    "max_saves": ("wayback.max_saves", lambda v: v),
}


@dataclass(frozen=True)
class _Job:
    """A command's options resolved: command line over citecheck.toml over defaults."""

    settings: Settings
    archive: ArchiveSettings
    sources: Path
    db: Path
    verbose: bool
    quiet: bool


def _job(params: dict[str, Any]) -> _Job:
    ctx = click.get_current_context()

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE

    file = load_config(params.get("config"), cwd=Path.cwd())
    overrides = {
        key: convert(params[name])
        for name, (key, convert) in _CONFIG_KEYS.items()
        if name in params and given(name)
    }
    settings = replace(resolve_settings(file, overrides), probe_urls=probe_urls_from_env())
    try:
        archive = archive_settings_from_env(**archive_overrides(file, overrides, env=os.environ))
    except ValueError as exc:
        raise InputError(str(exc)) from exc

    def pick(name: str, from_file: Any, default: Any) -> Any:
        if name in params and given(name):
            return params[name]
        return from_file if from_file is not None else params.get(name, default)

    db = pick("db_path", file.db, Path("archive.db"))
    ctx.meta[_DB_META_KEY] = db
    return _Job(
        settings=settings,
        archive=archive,
        sources=pick("sources_path", file.sources, Path("sources.csv")),
        db=db,
        verbose=bool(pick("verbose", file.verbose, False)),
        quiet=bool(pick("quiet", file.quiet, False)),
    )


def _existing_db(job: _Job) -> Path:
    if not job.db.exists():
        raise InputError(f"{job.db}: no such database ({NO_DATABASE_HINT})")
    return job.db


class _Progress:
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


def _open_store(path: Path, *, create: bool = True) -> Store:
    """The store, imported only by the commands that open one (sqlite-utils costs
    a tenth of a second that ``--help`` should not pay)."""
    from .store import Store

    return Store.open(path, create=create)


def _build_report(store: Store, **options: Any) -> Report:
    from .report.build import build_report

    return build_report(store, **options)


def _print_summary(summary: CheckSummary, store: Store, *, quiet: bool) -> None:
    from .summaries import check_lines, check_warnings

    for line in check_warnings(summary):
        click.echo(line, err=True)
    if not quiet:
        for line in check_lines(summary, store.link_state):
            click.echo(line)


def _print_archive_summary(summary: ArchiveSummary, *, quiet: bool) -> None:
    from .summaries import archive_line, archive_warnings

    for line in archive_warnings(summary):
        click.echo(line, err=True)
    if not quiet and not summary.unreachable:
        click.echo(archive_line(summary))


class _ArchiveProgress:
    """The archive's progress on standard error: on a terminal one line rewritten in
    place; elsewhere, with -v, a line per step; otherwise nothing (cron gets the
    summary line)."""

    def __init__(self, settings: ArchiveSettings, *, terminal: bool, verbose: bool) -> None:
        self.settings = settings
        self.terminal = terminal
        self.verbose = verbose
        self.shown = False

    def __call__(self, progress: ArchiveProgress) -> None:
        from .summaries import archive_progress_line

        line = archive_progress_line(progress, self.settings)
        if self.terminal:
            click.echo("\r\033[K" + line, err=True, nl=False)
            self.shown = True
        elif self.verbose:
            click.echo(line, err=True)

    def finish(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)


class _Commands(click.Group):
    """citecheck's command group: an error no one expected (a bug) is exit code 4,
    with one line on stderr and the traceback in the error log, never a Python
    traceback on the terminal and never exit 1 ("broken links present")."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # exit code 4 is this mapping; units have their own guards
            db = ctx.meta.get(_DB_META_KEY, Path("archive.db"))
            detail = IncidentLog(error_log_path(db)).record(
                f"citecheck {ctx.invoked_subcommand}", exc
            )
            click.echo(f"Error: {detail}. Please report this bug.", err=True)
            ctx.exit(EXIT_FAILED)


@click.group(cls=_Commands)
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
@click.option(
    "--prune",
    is_flag=True,
    help="Drop the rows of sources.csv that cite these documents at a place where they "
    "no longer cite that URL (reported either way).",
)
@_library_errors
def extract(documents: tuple[Path, ...], output: Path, db_path: Path, prune: bool) -> None:
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
    from .pipeline import extract_to_sources

    check_output_path(output)
    if db_path.exists():
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
@_library_errors
def check(due: bool, **params: Any) -> None:
    """Check every URL in sources.csv once and record the results.

    Exit code 0: no broken link; 1: broken links; 2: bad input or database;
    3: the network looks offline (nothing was marked broken); 4: citecheck failed
    (a bug; the traceback is in archive-errors.log beside the database).

    Example:

        citecheck check --sources sources.csv --db archive.db
    """
    job = _job(params)
    summary = _run_check(job, command="check", due_only=due)
    sys.exit(summary.exit_code)


def _valid_sources(job: _Job) -> Path:
    """sources.csv, read through once before the database is opened: a rejected file
    leaves no archive.db created or changed."""
    from .pipeline import check_sources

    if not job.sources.exists():
        raise InputError(f"{job.sources}: no such file (create it with 'citecheck extract')")
    check_sources(job.sources)
    return job.sources


def _result_printer(job: _Job, total: int | None) -> tuple[_Progress, Callable[..., None]]:
    from .summaries import result_line

    progress = _Progress(total, enabled=sys.stderr.isatty() and not job.verbose and not job.quiet)

    def on_result(result: CheckResult, state: LinkState) -> None:
        progress.advance(result, state)
        if job.verbose and not job.quiet:
            click.echo(result_line(result, state))

    return progress, on_result


def _run_check(job: _Job, *, command: str, due_only: bool) -> CheckSummary:
    from .pipeline import check_links_in_store, load_sources

    sources = _valid_sources(job)
    clock = _clock()
    with _open_store(job.db) as store:
        load_sources(store, sources, now=clock())
        progress, on_result = _result_printer(job, sum(store.status_counts().values()))
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
    help="Write to this file (atomically; a device or FIFO in place) instead of"
    " standard output ('-').",
)
@_library_errors
def report(fmt: str, report_path: Path | None, **params: Any) -> None:
    """Report the status of every cited link, what needs a human first.

    Example:

        citecheck report --format html -o report.html
    """
    job = _job(params)
    output = Path("-") if report_path is None else report_path
    check_output_path(output)
    with _open_store(_existing_db(job), create=False) as store:
        built = _build_report(store, now=_clock()(), schedule=job.settings.schedule)
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
@_library_errors
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
    from .pipeline import archive_links_in_store

    job = _job(params)
    progress = _ArchiveProgress(
        job.archive, terminal=sys.stderr.isatty() and not job.quiet, verbose=job.verbose
    )
    with _open_store(_existing_db(job), create=False) as store:
        try:
            summary = archive_links_in_store(
                store, job.settings, job.archive, clock=_clock(), on_progress=progress
            )
        finally:
            progress.finish()
    _print_archive_summary(summary, quiet=job.quiet)
    sys.exit(summary.exit_code)


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
    .html and .docx; PDFs are refused (they are not rewritten).

    Example:

        citecheck fix campaign.md            # review the diff
        citecheck fix campaign.md --write    # apply it
        citecheck fix campaign.md --undo     # put it back
    """
    from .pipeline import (
        fix_decisions,
        plan_document_fix,
        refuse_unfixable,
        undo_document_fix,
        write_document_fix,
    )

    refuse_unfixable(documents)
    job = _job(params)
    clock = _clock()
    with _open_store(_existing_db(job), create=False) as store:
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
    with _open_store(_existing_db(job), create=False) as store:
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
    from .pipeline import run_job

    job = _job(params)
    for output in job.settings.report_outputs:
        check_output_path(output.path)
    sources = _valid_sources(job)
    archive_progress = _ArchiveProgress(
        job.archive, terminal=sys.stderr.isatty() and not job.quiet, verbose=False
    )
    with _open_store(job.db) as store:
        progress, on_result = _result_printer(job, None)
        try:
            summary = run_job(
                store,
                sources,
                job.settings,
                job.archive,
                clock=_clock(),
                due_only=not check_all,
                on_result=on_result,
                on_archive_progress=archive_progress,
            )
        finally:
            progress.finish()
            archive_progress.finish()
        _print_summary(summary.check, store, quiet=job.quiet)
    if summary.archive is not None:
        _print_archive_summary(summary.archive, quiet=job.quiet or not job.verbose)
    sys.exit(summary.exit_code)


__all__ = ["cli"]
