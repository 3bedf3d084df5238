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

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
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
from .dbaddress import DatabaseAddress, database_address
from .errors import InputError

#: The file read from the working folder when no ``--config`` is given.
DEFAULT_CONFIG_NAME = "citecheck.toml"
#: Report formats by file extension (lower-case, without the dot).
REPORT_FORMATS_BY_SUFFIX: Mapping[str, str] = {
    "md": "md",
    "markdown": "md",
    "html": "html",
    "htm": "html",
    "json": "json",
    "csv": "csv",
}
#: Where the Wayback base URL comes from when the environment sets it (config.py).
_WAYBACK_URL_ENV = "CITECHECK_WAYBACK_URL"
#: Status codes a server can send (999 is what some sites answer to robots).
_MIN_STATUS, _MAX_STATUS = 100, 999
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")


class _Invalid(Exception):
    """A value that a key cannot take; the message completes "'key' …"."""


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
        return _report_output(str(path))
    except _Invalid as exc:
        raise InputError(f"{path}: {exc}") from exc


# -- validators: each returns the value to keep or raises _Invalid ----------------------


def _describe(value: Any) -> str:
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def _whole(minimum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _Invalid(f"must be a whole number of at least {minimum}, not {_describe(value)}")
        return value

    return validate


def _number(*, positive: bool) -> Callable[[Any], float]:
    def validate(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0 or (positive and value == 0):
            wanted = "a positive number" if positive else "a number of at least 0"
            raise _Invalid(f"must be {wanted}, not {_describe(value)}")
        return float(value)

    return validate


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {_describe(value)}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or _CONTROL_CHARS.search(value):
        raise _Invalid(
            f"must be a non-empty string without control characters, not {_describe(value)}"
        )
    return value


def _path(value: Any) -> Path:
    return Path(_text(value))


def _database(value: Any) -> DatabaseAddress:
    try:
        return database_address(_text(value))
    except InputError as exc:
        raise _Invalid(str(exc)) from exc


def _list_of(value: Any, wanted: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Invalid(f"must be a list of {wanted}, not {_describe(value)}")
    return list(value)


def _status_codes(value: Any) -> frozenset[int]:
    codes = _list_of(value, "HTTP status codes")
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int):
            raise _Invalid(f"must be a list of HTTP status codes, not {_describe(value)}")
        if not _MIN_STATUS <= code <= _MAX_STATUS:
            raise _Invalid(
                f"must hold HTTP status codes from {_MIN_STATUS} to {_MAX_STATUS}, not {code}"
            )
    return frozenset(codes)


def _patterns(value: Any) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in _list_of(value, "regular expressions"):
        if not isinstance(pattern, str) or not pattern:
            raise _Invalid(f"must be a list of regular expressions, not {_describe(value)}")
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise _Invalid(f"has an invalid regular expression {pattern!r}: {exc}") from exc
    return tuple(compiled)


def _domains(value: Any) -> tuple[str, ...]:
    domains = []
    for raw in _list_of(value, "domain names"):
        if not isinstance(raw, str):
            raise _Invalid(f"must be a list of domain names, not {_describe(value)}")
        domain = raw.strip().lower().removeprefix("*.").strip(".")
        if not domain or any(ch in domain for ch in "/:@ \t"):
            raise _Invalid(f"must hold domain names like 'example.org', not {raw!r}")
        try:
            domains.append(domain.encode("idna").decode("ascii"))
        except UnicodeError as exc:
            raise _Invalid(f"must hold domain names like 'example.org', not {raw!r}") from exc
    return tuple(domains)


def _resolve(value: Any) -> tuple[tuple[str, str], ...]:
    """``HOST:ADDRESS`` (or ``HOST=ADDRESS`` for IPv6), as curl --resolve."""
    pairs = []
    for item in _list_of(value, "'HOST:ADDRESS' strings"):
        if not isinstance(item, str):
            raise _Invalid(f"must be a list of 'HOST:ADDRESS' strings, not {_describe(value)}")
        host, sep, address = item.partition(":") if item.count(":") == 1 else ("", "", "")
        if not sep:
            host, sep, address = item.partition("=")
        try:
            ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            sep = ""
        if not sep or not host:
            raise _Invalid(f"must hold 'HOST:ADDRESS' with an IP address, not {item!r}")
        pairs.append((host.lower(), address))
    return tuple(pairs)


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise _Invalid(f"must be an environment variable name, not {_describe(value)}")
    return value


def _http_url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"https?://[^/\s]+", value):
        raise _Invalid(f"must be an http:// or https:// URL, not {_describe(value)}")
    return value.rstrip("/")


def _report_output(value: Any) -> ReportOutput:
    path = _path(value)
    suffix = path.suffix.lower().removeprefix(".")
    if suffix not in REPORT_FORMATS_BY_SUFFIX:
        known = ", ".join(f".{s}" for s in REPORT_FORMATS_BY_SUFFIX)
        raise _Invalid(f"must name report files ending in {known}, not {str(value)!r}")
    return ReportOutput(path, REPORT_FORMATS_BY_SUFFIX[suffix])


def _report_outputs(value: Any) -> tuple[ReportOutput, ...]:
    outputs = tuple(_report_output(item) for item in _list_of(value, "report file names"))
    paths = [output.path for output in outputs]
    if len(set(paths)) != len(paths):
        raise _Invalid(f"names the same file twice: {_describe(value)}")
    return outputs


#: Every key, by table ("" is the top level), with its validator.
_SCHEMA: Mapping[str, Mapping[str, Callable[[Any], Any]]] = {
    "": {"sources": _path, "db": _database, "verbose": _boolean, "quiet": _boolean},
    "http": {
        "concurrency": _whole(1),
        "per_host": _whole(1),
        "timeout": _number(positive=True),
        "user_agent": _text,
        "accepted_status": _status_codes,
        "resolve": _resolve,
        "soft404_probe": _boolean,
    },
    "schedule": {
        "ok_days": _number(positive=True),
        "failing_days": _number(positive=True),
        "broken_days": _number(positive=True),
        "blocked_days": _number(positive=True),
    },
    "policy": {"confirm_failures": _whole(1), "confirm_days": _number(positive=False)},
    "exclude": {"patterns": _patterns, "domains": _domains, "private": _boolean},
    "wayback": {
        "url": _http_url,
        "access_key_env": _env_name,
        "secret_key_env": _env_name,
        "no_save": _boolean,
        "max_saves": _whole(0),
        "capture_max_age_days": _number(positive=True),
        "max_minutes": _number(positive=True),
    },
    "reports": {"outputs": _report_outputs},
}
#: Every key a citecheck.toml may set, dotted (``"http.timeout"``).
CONFIG_KEYS: tuple[str, ...] = tuple(
    f"{table}.{key}" if table else key for table, keys in _SCHEMA.items() for key in keys
) + ("archives",)  # [archives] is read as a whole (citecheck.archive.archives)
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
        elif key in _SCHEMA and key:
            if not isinstance(value, dict):
                raise InputError(f"{label}: '{key}' must be a table ([{key}]), not {value!r}")
            for inner, inner_value in value.items():
                values[f"{key}.{inner}"] = _validate_key(key, inner, inner_value, label)
        else:
            values[key] = _validate_key("", key, value, label)
    return values


def _validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    validated = {}
    for dotted, value in overrides.items():
        table, _, key = dotted.rpartition(".")
        validated[dotted] = _validate_key(table, key, value, "the command line")
    return validated


def _validate_key(table: str, key: str, value: Any, label: str) -> Any:
    dotted = f"{table}.{key}" if table else key
    validator = _SCHEMA.get(table, {}).get(key)
    if validator is None:
        raise InputError(f"{label}: unknown key '{dotted}'{_suggestion(table, key)}")
    try:
        return validator(value)
    except _Invalid as exc:
        raise InputError(f"{label}: '{dotted}' {exc}") from exc


def _suggestion(table: str, key: str) -> str:
    """`` (did you mean '…'?)`` for a mistyped or misplaced key, or the keys there are."""
    elsewhere = [f"{t}.{key}" if t else key for t, keys in _SCHEMA.items() if key in keys]
    if elsewhere:
        return f" (did you mean '{elsewhere[0]}'?)"
    here = list(_SCHEMA.get(table, {}))
    if not table:
        here += [t for t in _SCHEMA if t]
    import difflib  # only to word an error

    close = difflib.get_close_matches(key, here, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if not here:
        return ""
    return f" (the keys{f' in [{table}]' if table else ''} are: {', '.join(sorted(here))})"


def _source(file: ConfigFile) -> str:
    return str(file.path) if file.path is not None else "the configuration"
