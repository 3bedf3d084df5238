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

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from . import __version__
from .atomic import atomic_output
from .config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_SAVES,
    DEFAULT_PER_HOST,
    DEFAULT_RUN_ARCHIVE_MINUTES,
    DEFAULT_TIMEOUT_S,
    ArchiveSettings,
    Settings,
    archive_settings_from_env,
    probe_urls_from_env,
)
from .configfile import archive_overrides, load_config, resolve_settings
from .errors import CitecheckError, InputError
from .models import CHANGE_KINDS, STATUS_ORDER, CheckResult, Citation, LinkState
from .report import FORMATS, write_report
from .report.build import build_report
from .store import Store, hold_writer_lock

if TYPE_CHECKING:
    from .archive import ArchiveSummary
    from .pipeline import CheckSummary

#: The exit code of a usage or input error (see the module's docstring for the rest).
EXIT_USAGE = 2


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


def _library_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn citecheck's errors into click errors with exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CitecheckError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = EXIT_USAGE
            raise error from exc

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

    return _Job(
        settings=settings,
        archive=archive,
        sources=pick("sources_path", file.sources, Path("sources.csv")),
        db=pick("db_path", file.db, Path("archive.db")),
        verbose=bool(pick("verbose", file.verbose, False)),
        quiet=bool(pick("quiet", file.quiet, False)),
    )


def _existing_db(job: _Job, hint: str = "run 'citecheck check' first") -> Path:
    if not job.db.exists():
        raise InputError(f"{job.db}: no such database ({hint})")
    return job.db


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
    from .pipeline import extract_to_sources

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
    from .pipeline import check_links_in_store, load_sources

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
    from .pipeline import archive_links_in_store

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
    from .pipeline import (
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
    # One lock from loading sources.csv to the last report: a second run cannot
    # start, nor slip in between check and archive.
    with hold_writer_lock(job.db):
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
