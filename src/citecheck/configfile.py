"""citecheck.toml: the options of a project, kept beside its sources.

Read with the standard library's ``tomllib``. Precedence: the command line over the
file, the file over the defaults in config.py. Every key is checked when the file
is read, so a typo fails the first run, not silently the hundredth: an unknown
key, a value of the wrong type or out of range, an invalid regular expression or a
TOML syntax error is an :class:`~citecheck.errors.InputError` that names the key
(or the line and column).

The schema (every key optional)::

    sources = "sources.csv"          # paths are relative to the file's folder
    db = "archive.db"                # or "postgresql://user@host/dbname"
    verbose = false
    quiet = false

    [http]
    concurrency = 64
    per_host = 2
    timeout = 30.0                   # seconds, per URL, everything included
    user_agent = "..."
    accepted_status = [999]          # extra status codes taken as ok
    resolve = ["intranet.example:10.0.0.5"]
    soft404_probe = true

    [schedule]                       # days; new links are always checked at once
    ok_days = 7
    failing_days = 1
    broken_days = 30
    blocked_days = 14

    [policy]
    confirm_failures = 3
    confirm_days = 3

    [exclude]
    patterns = ["^https://intranet\\\\."]   # Python regular expressions, searched
    domains = ["example.com"]        # and their subdomains
    private = false                  # refuse private and cloud-metadata addresses

    [wayback]
    url = "https://web.archive.org"
    access_key_env = "IA_ACCESS_KEY" # the *names* of the variables holding the keys
    secret_key_env = "IA_SECRET_KEY"
    no_save = false
    max_saves = 160
    capture_max_age_days = 30
    max_minutes = 30                 # per run; default: no limit for `archive`, 30 for `run`

    [reports]
    outputs = ["report.md", "report.html", "report.json"]   # format by extension

    [archives]                       # other Memento archives (citecheck/archive/archives.py)
    defaults = true                  # false: ask only the archives listed below
    aggregator = "http://localhost:1208"   # a MemGator, asked instead of each archive
    timeout = 20.0
    [archives.arquivo-pt]
    enabled = false
    [archives.my-archive]
    name = "My archive"
    timemap = "https://archive.example/timemap/link/"
    timegate = "https://archive.example/"
    format = "link"                  # or "json"
    per_minute = 30
    hosts = ["archive.example"]      # where its mementos may be; default: the URLs' hosts
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .config import (
    DEFAULT_WAYBACK_ACCESS_KEY_ENV,
    DEFAULT_WAYBACK_SECRET_KEY_ENV,
    ConfirmationPolicy,
    ReportOutput,
    Schedule,
    Settings,
)
from .configkeys import (
    SCHEMA,
    InvalidValue,
    parse_report_output,
    validate_key,
)
from .dbaddress import DatabaseAddress
from .errors import InputError

#: The file read from the working folder when no ``--config`` is given.
DEFAULT_CONFIG_NAME = "citecheck.toml"
#: Where the Wayback base URL comes from when the environment sets it (config.py).
_WAYBACK_URL_ENV = "CITECHECK_WAYBACK_URL"


@dataclass(frozen=True)
class ConfigFile:
    """A validated citecheck.toml.

    ``values`` maps dotted keys (``"http.timeout"``, ``"sources"``) to validated
    values, only for the keys the file sets: paths are resolved against the file's
    folder, regular expressions compiled, days still numbers.
    ``path`` is None when no file was read.
    """

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> Path | None:
        return self.values.get("sources")

    @property
    def db(self) -> DatabaseAddress | None:
        return self.values.get("db")

    @property
    def verbose(self) -> bool | None:
        return self.values.get("verbose")

    @property
    def quiet(self) -> bool | None:
        return self.values.get("quiet")


def load_config(path: Path | None, *, cwd: Path) -> ConfigFile:
    """Read and validate ``path`` (``--config``), or ``citecheck.toml`` in ``cwd``.

    The default file is optional (an empty :class:`ConfigFile` when it is absent);
    a file named on the command line must exist. Raises InputError naming the file
    and the key for anything wrong in it.
    """
    if path is None:
        candidate, label = cwd / DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_NAME
        if not candidate.exists():
            return ConfigFile()
    else:
        candidate, label = cwd / path, str(path)
        if not candidate.exists():
            raise InputError(f"{label}: no such configuration file")
    import tomllib  # only when there is a file to read: most runs have none

    try:
        with open(candidate, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not valid TOML: the file is not UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise InputError(f"{label}: cannot read the file: {exc.strerror}") from exc
    values = _validate_document(document, label)
    base = candidate.parent
    for key in _PATH_KEYS:
        if isinstance(values.get(key), Path):
            values[key] = base / values[key]
    if "reports.outputs" in values:
        values["reports.outputs"] = tuple(
            ReportOutput(base / output.path, output.format) for output in values["reports.outputs"]
        )
    return ConfigFile(path=candidate, values=MappingProxyType(values))


def resolve_settings(file: ConfigFile, cli_overrides: Mapping[str, Any]) -> Settings:
    """The Settings of a run: defaults, then ``file``, then ``cli_overrides``.

    ``cli_overrides`` holds only the options given on the command line, keyed and
    typed as in the file: ``{"http.timeout": 10.0, "http.resolve": ("h:10.0.0.1",),
    "http.soft404_probe": False, "reports.outputs": ("out/report.md",)}``; relative
    paths there stay relative to the working folder. Values are validated as the
    file's are. ``probe_urls`` and anything without a key stay at their defaults.
    """
    values = {**file.values, **_validate_overrides(cli_overrides)}
    options: dict[str, Any] = {
        attribute: values[key] for key, attribute in _SETTINGS_KEYS.items() if key in values
    }
    intervals = {
        name: timedelta(days=values[f"schedule.{name}_days"])
        for name in ("ok", "failing", "broken", "blocked")
        if f"schedule.{name}_days" in values
    }
    policy: dict[str, Any] = {}
    if "policy.confirm_failures" in values:
        policy["failures"] = values["policy.confirm_failures"]
    if "policy.confirm_days" in values:
        policy["span"] = timedelta(days=values["policy.confirm_days"])
    try:
        return Settings(
            **options,
            schedule=Schedule(**intervals),
            confirmation=ConfirmationPolicy(**policy),
        )
    except ValueError as exc:
        raise InputError(f"{_source(file)}: {exc}") from exc


def archive_overrides(
    file: ConfigFile, cli_overrides: Mapping[str, Any], *, env: Mapping[str, str]
) -> dict[str, object]:
    """Keyword arguments for ``config.archive_settings_from_env`` from ``[wayback]``.

    The keys are read from the environment variables the file names (by default
    ``IA_ACCESS_KEY`` and ``IA_SECRET_KEY``). ``CITECHECK_WAYBACK_URL`` in ``env``
    wins over the file's ``url``; the command line wins over both.
    """
    file_values = dict(file.values)
    if env.get(_WAYBACK_URL_ENV):
        file_values.pop("wayback.url", None)
    values = {**file_values, **_validate_overrides(cli_overrides)}
    access_env = values.get("wayback.access_key_env", DEFAULT_WAYBACK_ACCESS_KEY_ENV)
    secret_env = values.get("wayback.secret_key_env", DEFAULT_WAYBACK_SECRET_KEY_ENV)
    overrides: dict[str, object] = {
        "access_key": env.get(access_env) or None,
        "secret_key": env.get(secret_env) or None,
    }
    if "wayback.url" in values:
        overrides["wayback_url"] = values["wayback.url"]
    if "wayback.no_save" in values:
        overrides["save"] = not values["wayback.no_save"]
    if "wayback.max_saves" in values:
        overrides["max_saves"] = values["wayback.max_saves"]
    if "wayback.capture_max_age_days" in values:
        overrides["capture_max_age"] = timedelta(days=values["wayback.capture_max_age_days"])
    if "wayback.max_minutes" in values:
        overrides["time_budget_s"] = values["wayback.max_minutes"] * 60.0
    return overrides


def report_output(path: str | Path) -> ReportOutput:
    """The report written to ``path``, its format told by the extension.

    Raises InputError for an extension that names no format.
    """
    try:
        return parse_report_output(str(path))
    except InvalidValue as exc:
        raise InputError(f"{path}: {exc}") from exc


_PATH_KEYS = ("sources", "db")
#: Keys that go straight into a Settings field.
_SETTINGS_KEYS: Mapping[str, str] = {
    "http.concurrency": "concurrency",
    "http.per_host": "per_host",
    "http.timeout": "timeout_s",
    "http.user_agent": "user_agent",
    "http.accepted_status": "accepted_status",
    "http.resolve": "resolve",
    "http.soft404_probe": "soft404_probe",
    "exclude.patterns": "exclude_patterns",
    "exclude.domains": "exclude_domains",
    "exclude.private": "exclude_private",
    "reports.outputs": "report_outputs",
}


def _validate_document(document: Mapping[str, Any], label: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in document.items():
        if key == "archives":  # checked as a whole by citecheck.archive.archives
            if not isinstance(value, dict):
                raise InputError(f"{label}: 'archives' must be a table ([archives]), not {value!r}")
            values[key] = value
        elif key in SCHEMA and key:
            if not isinstance(value, dict):
                raise InputError(f"{label}: '{key}' must be a table ([{key}]), not {value!r}")
            for inner, inner_value in value.items():
                values[f"{key}.{inner}"] = validate_key(key, inner, inner_value, label)
        else:
            values[key] = validate_key("", key, value, label)
    return values


def _validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    validated = {}
    for dotted, value in overrides.items():
        table, _, key = dotted.rpartition(".")
        validated[dotted] = validate_key(table, key, value, "the command line")
    return validated


def _source(file: ConfigFile) -> str:
    return str(file.path) if file.path is not None else "the configuration"
