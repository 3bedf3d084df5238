"""What the commands share: the options, their resolution (command line over
citecheck.toml over defaults) into a :class:`Job`, the clock, and the one mapping of
library errors, stop signals and unexpected errors (bugs) to exit codes."""

from __future__ import annotations

import functools
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

from ..config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_SAVES,
    DEFAULT_PER_HOST,
    DEFAULT_TIMEOUT_S,
    ArchiveSettings,
    MementoSettings,
    Settings,
    archive_settings_from_env,
    probe_urls_from_env,
)
from ..errors import CitecheckError, InputError

if TYPE_CHECKING:
    from ..configfile import ConfigFile
    from ..dbaddress import DatabaseAddress

#: The exit code of a usage or input error (see the module's docstring for the rest).
EXIT_USAGE = 2
#: The exit code of "citecheck failed": an unexpected internal error, never 1.
EXIT_FAILED = 4
#: Where _job leaves the database path, for the error log of an unexpected failure.
DB_META_KEY = "citecheck.db"
#: The hint every command that needs a database gives when there is none.
NO_DATABASE_HINT = "create it with 'citecheck check' or 'citecheck run'"


def command_clock() -> Callable[[], datetime]:
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


def library_errors(func: Callable[..., Any]) -> Callable[..., Any]:
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
            from ..interrupt import exit_code_for  # imports asyncio: not for --help

            sys.exit(exit_code_for(signum))
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


class CommandGroup(click.Group):
    """citecheck's command group: an error no one expected (a bug) is exit code 4,
    with one line on stderr and the traceback in the error log, never a Python
    traceback on the terminal and never exit 1 ("broken links present")."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # exit code 4 is this mapping; units have their own guards
            from ..incidents import IncidentLog, error_log_path  # imports traceback

            db = ctx.meta.get(DB_META_KEY, Path("archive.db"))
            detail = IncidentLog(error_log_path(db)).record(
                f"citecheck {ctx.invoked_subcommand}", exc
            )
            click.echo(f"Error: {detail}. Please report this bug.", err=True)
            ctx.exit(EXIT_FAILED)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run as the ``citecheck`` process: as click does, then leave at once (leave.py
        says why). Click's test runner calls :meth:`main` instead."""
        if not kwargs.get("standalone_mode", True):
            return self.main(*args, **kwargs)
        from .leave import leave

        try:
            self.main(*args, **kwargs)
        except SystemExit as exc:
            leave(exc.code)
        leave(0)  # not reached: click's standalone mode always raises SystemExit


#: The documents ``extract`` reads and ``fix`` rewrites.
documents_argument = click.argument(
    "documents",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)


class DatabaseParam(click.ParamType):
    """``--db``: a SQLite file's path, or a ``postgresql://`` URL."""

    name = "PATH|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..dbaddress import database_address

        try:
            return database_address(value)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


db_option = click.option(
    "--db",
    "db_path",
    type=DatabaseParam(),
    envvar="CITECHECK_DB",
    default="archive.db",
    show_default=True,
    help="The store: a SQLite file, or postgresql://user@host/dbname (also CITECHECK_DB).",
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


#: Where an option counts as given over citecheck.toml: the command line, and the
#: environment for the one option read from it (``CITECHECK_DB``).
_GIVEN = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


@dataclass(frozen=True, eq=False, repr=False)  # compared and printed by no one
class Job:
    """A command's options resolved: command line over citecheck.toml over defaults."""

    settings: Settings
    archive: ArchiveSettings
    sources: Path
    db: DatabaseAddress
    verbose: bool
    quiet: bool


def job_of(params: dict[str, Any]) -> Job:
    from ..configfile import archive_overrides, load_config, resolve_settings  # not for --help

    ctx = click.get_current_context()

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) in _GIVEN

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
    archive = replace(archive, memento=_memento_settings(file))

    def pick(name: str, from_file: Any, default: Any) -> Any:
        if name in params and given(name):
            return params[name]
        return from_file if from_file is not None else params.get(name, default)

    db = pick("db_path", file.db, Path("archive.db"))
    ctx.meta[DB_META_KEY] = db
    return Job(
        settings=settings,
        archive=archive,
        sources=pick("sources_path", file.sources, Path("sources.csv")),
        db=db,
        verbose=bool(pick("verbose", file.verbose, False)),
        quiet=bool(pick("quiet", file.quiet, False)),
    )


def _memento_settings(file: ConfigFile) -> MementoSettings:
    """The other archives to ask: ``[archives]`` of citecheck.toml over the public
    ones; none when ``CITECHECK_OTHER_ARCHIVES`` is ``off``."""
    from ..archive.archives import memento_settings_from_table

    if os.environ.get("CITECHECK_OTHER_ARCHIVES", "").strip().lower() in ("off", "no", "0"):
        return MementoSettings()
    try:
        return memento_settings_from_table(file.values.get("archives"))
    except ValueError as exc:
        raise InputError(f"{file.path or 'citecheck.toml'}: {exc}") from exc


def existing_db(job: Job) -> DatabaseAddress:
    """The database of ``job``, which must exist."""
    from ..store.maintenance import database_exists

    if not database_exists(job.db):
        raise InputError(f"{job.db}: no such database ({NO_DATABASE_HINT})")
    return job.db
