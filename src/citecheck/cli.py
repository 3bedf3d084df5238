"""The command line: a thin click layer over the library.

Each command turns options into library objects, makes one library call, and
prints. Library errors become exit codes here and nowhere else:
0 no broken link; 1 broken links present; 2 usage or input error (bad CSV,
unusable database, busy database); 3 the network looks offline.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from . import __version__
from .archive import ArchiveSummary
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
from .errors import CitecheckError, InputError
from .models import STATUS_ORDER, CheckResult, LinkState, Status
from .pipeline import (
    CheckSummary,
    archive_links_in_store,
    build_report,
    check_links_in_store,
    fix_decisions,
    load_sources,
    plan_document_fix,
    undo_document_fix,
    utc_now,
    write_document_fix,
)
from .report import FORMATS, write_report
from .store import Store

EXIT_OK, EXIT_BROKEN, EXIT_USAGE, EXIT_OFFLINE = 0, 1, 2, 3


def _clock() -> Callable[[], datetime]:
    """The clock: the real one, or a fixed instant from ``CITECHECK_NOW`` (tests, replays)."""
    fixed = os.environ.get("CITECHECK_NOW")
    if not fixed:
        return utc_now
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


def _resolve_pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        host, sep, address = value.rpartition(":") if value.count(":") == 1 else ("", "", "")
        if not sep:
            host, sep, address = value.partition("=")
        if not sep or not host or not address:
            raise click.BadParameter(f"{value!r} is not HOST:ADDRESS", param_hint="--resolve")
        pairs.append((host.lower(), address))
    return tuple(pairs)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default="archive.db",
        show_default=True,
        help="The SQLite store.",
    )(func)


def sources_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--sources",
        "sources_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default="sources.csv",
        show_default=True,
        help="The cited URLs (a CSV with a 'url' column).",
    )(func)


def check_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
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
            "--no-soft404-probe",
            is_flag=True,
            help="Do not ask a random sibling path to detect soft 404s.",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Print a line per URL checked."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def archive_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _archive_settings(no_save: bool, max_saves: int) -> ArchiveSettings:
    try:
        return archive_settings_from_env(save=not no_save, max_saves=max_saves)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


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


def _run_archive(
    db_path: Path, no_save: bool, max_saves: int, *, command: str, quiet: bool
) -> ArchiveSummary:
    archive_settings = _archive_settings(no_save, max_saves)
    settings = Settings(probe_urls=probe_urls_from_env())
    with Store.open(db_path, create=False) as store:
        summary = archive_links_in_store(
            store, settings, archive_settings, clock=_clock(), command=command
        )
    _print_archive_summary(summary, quiet=quiet)
    return summary


def _settings(
    concurrency: int,
    per_host: int,
    timeout: float,
    user_agent: str | None,
    resolve: tuple[str, ...],
    no_soft404_probe: bool,
) -> Settings:
    extra: dict[str, Any] = {}
    if user_agent:
        extra["user_agent"] = user_agent
    return Settings(
        concurrency=concurrency,
        per_host=per_host,
        timeout_s=timeout,
        resolve=_resolve_pairs(resolve),
        soft404_probe=not no_soft404_probe,
        probe_urls=probe_urls_from_env(),
        **extra,
    )


def _result_line(result: CheckResult, state: LinkState) -> str:
    verdict = state.status.value
    if state.reason is not None:
        verdict += f" ({state.reason.value})"
    code = f" {result.http_status}" if result.http_status is not None else ""
    return f"{verdict:<28}{code:>4}  {result.url}"


def _print_summary(summary: CheckSummary, *, quiet: bool) -> None:
    if quiet:
        return
    if summary.offline:
        click.echo(
            "citecheck: the network looks unreachable: "
            f"{summary.offline_detail}. Nothing was marked broken; the run is recorded "
            "as offline.",
            err=True,
        )
    parts = [
        f"{summary.counts.get(s.value, 0)} {s.value}"
        for s in STATUS_ORDER
        if summary.counts.get(s.value, 0)
    ]
    click.echo(
        f"Checked {summary.checked} links in {summary.elapsed_s:.1f}s: "
        + (", ".join(parts) if parts else "no links")
        + "."
    )


@click.group()
@click.version_option(__version__, prog_name="citecheck")
def cli() -> None:
    """Check, archive and repair the links that campaign texts cite as evidence."""


@cli.command()
@click.argument("documents", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="sources.csv",
    show_default=True,
    help="The sources.csv to merge the citations into.",
)
@_library_errors
def extract(documents: tuple[str, ...], output: Path) -> None:
    """Find the URLs cited in documents and merge them into sources.csv.

    Reads .txt, .md and .html documents. New URLs and citations are added; rows
    already in sources.csv, and every edit made to them, are kept. Citations that
    give a title but no URL are reported, and matched to a known source when the
    title matches one in sources.csv.

    Example:

        citecheck extract campaign.txt -o sources.csv
    """
    from .extract import extract_file, match_titles
    from .sources import merge_citations, read_sources, write_sources

    existing = read_sources(output) if output.exists() else None
    current = list(existing.citations) if existing else []
    known = {c.title: c.url for c in current if c.title and c.url}
    found = []
    for document in documents:
        extraction = extract_file(Path(document), document=document)
        matched, unresolved = match_titles(extraction.unresolved, known)
        found.extend(extraction.citations)
        found.extend(matched)
        urls = {c.url for c in extraction.citations}
        click.echo(f"{document}: {len(extraction.citations)} citations of {len(urls)} URLs")
        for citation in matched:
            click.echo(
                f"  {citation.cited_in}: “{citation.title}”"
                + (f" [p. {citation.page}]" if citation.page else "")
                + f" has no URL; matched by title to {citation.url}"
            )
        for citation in unresolved:
            click.echo(
                f"  {citation.cited_in}: “{citation.title}”"
                + (f" [p. {citation.page}]" if citation.page else "")
                + " has no URL and matches no known source; add its URL to "
                f"{output} by hand"
            )
    merged, summary = merge_citations(current, found)
    write_sources(output, merged, existing.fieldnames if existing else None)
    click.echo(f"{output}: {summary.added} added, {summary.kept} kept, {summary.filled} filled in")


@cli.command()
@sources_option
@db_option
@check_options
@_library_errors
def check(
    sources_path: Path,
    db_path: Path,
    verbose: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Check every URL in sources.csv once and record the results.

    Exit code 0: no broken link; 1: broken links; 2: bad input or database;
    3: the network looks offline (nothing was marked broken).

    Example:

        citecheck check --sources sources.csv --db archive.db
    """
    summary = _run_check(sources_path, db_path, verbose, quiet, command="check", **options)
    sys.exit(summary.exit_code)


def _run_check(
    sources_path: Path,
    db_path: Path,
    verbose: bool,
    quiet: bool,
    *,
    command: str,
    **options: Any,
) -> CheckSummary:
    if not sources_path.exists():
        raise InputError(f"{sources_path}: no such file (create it with 'citecheck extract')")
    settings = _settings(**options)
    clock = _clock()
    on_result = None
    if verbose and not quiet:

        def on_result(result: CheckResult, state: LinkState) -> None:
            click.echo(_result_line(result, state))

    with Store.open(db_path) as store:
        load_sources(store, sources_path, now=clock())
        summary = check_links_in_store(
            store, settings, clock=clock, command=command, on_result=on_result
        )
    _print_summary(summary, quiet=quiet)
    return summary


def _write_file_atomically(path: Path, write: Callable[[Any], None]) -> None:
    """Write through a temporary file beside ``path``, then rename it over."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@cli.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="json for tools, md for people (GitHub issues, mail).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (atomically) instead of standard output.",
)
@_library_errors
def report(db_path: Path, fmt: str, output: Path | None) -> None:
    """Report the status of every cited link, what needs a human first.

    Example:

        citecheck report --format md -o report.md
    """
    if not db_path.exists():
        raise InputError(f"{db_path}: no such database (run 'citecheck check' first)")
    with Store.open(db_path, create=False) as store:
        built = build_report(store, now=_clock()())
        if output is None:
            write_report(built, fmt, sys.stdout)
        else:
            _write_file_atomically(output, lambda out: write_report(built, fmt, out))


@cli.command()
@db_option
@archive_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@_library_errors
def archive(db_path: Path, no_save: bool, max_saves: int, quiet: bool) -> None:
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
    if not db_path.exists():
        raise InputError(f"{db_path}: no such database (run 'citecheck check' first)")
    summary = _run_archive(db_path, no_save, max_saves, command="archive", quiet=quiet)
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
@_library_errors
def fix(
    documents: tuple[Path, ...], db_path: Path, write: bool, redirects: bool, style: str, undo: bool
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
    if not db_path.exists():
        raise InputError(f"{db_path}: no such database (run 'citecheck run' first)")
    clock = _clock()
    with Store.open(db_path, create=False) as store:
        if undo:
            for document in documents:
                plan = undo_document_fix(store, document, now=clock())
                click.echo(f"{document}: restored {len(plan.replacements)} URLs")
            return
        wayback = _archive_settings(False, 0).wayback_url
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
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@_library_errors
def history(url: str, db_path: Path, as_json: bool) -> None:
    """Show every check of one URL, oldest first.

    Example:

        citecheck history https://edri.org/
    """
    if not db_path.exists():
        raise InputError(f"{db_path}: no such database (run 'citecheck check' first)")
    with Store.open(db_path, create=False) as store:
        state = store.link_state(url)
        if state is None:
            raise InputError(f"{url} is not in {db_path}")
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
    click.echo(f"now: {verdict}; {state.consecutive_failures} failed checks in a row")
    for check_ in checks:
        reason = check_.reason.value if check_.reason else ""
        code = str(check_.http_status) if check_.http_status is not None else "-"
        click.echo(
            f"{check_.checked_at:%Y-%m-%d %H:%M}  {check_.status.value:<10} {reason:<18} "
            f"{code:>4}  {check_.detail or ''}"
        )


@cli.command()
@sources_option
@db_option
@check_options
@archive_options
@click.option(
    "--report-md",
    type=click.Path(dir_okay=False, path_type=Path),
    default="report.md",
    show_default=True,
    help="Where to write the Markdown report.",
)
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False, path_type=Path),
    default="report.json",
    show_default=True,
    help="Where to write the JSON report.",
)
@_library_errors
def run(
    sources_path: Path,
    db_path: Path,
    verbose: bool,
    quiet: bool,
    report_md: Path,
    report_json: Path,
    no_save: bool,
    max_saves: int,
    **options: Any,
) -> None:
    """The scheduled job: check every link, archive, then write the reports.

    Same exit codes as check: an unreachable archive is reported but does not
    change them, and the reports are still written (with the copies found by
    earlier runs). Reports are written atomically, so a web server never serves
    half a file.

    Example:

        citecheck run
    """
    summary = _run_check(sources_path, db_path, verbose, quiet, command="run", **options)
    if not summary.offline:
        _run_archive(db_path, no_save, max_saves, command="run-archive", quiet=quiet)
    with Store.open(db_path, create=False) as store:
        built = build_report(store, now=_clock()())
        for path, fmt in ((report_md, "md"), (report_json, "json")):
            _write_file_atomically(path, lambda out, fmt=fmt: write_report(built, fmt, out))
    sys.exit(summary.exit_code)


__all__ = ["cli", "Status"]
