"""Every key a citecheck.toml (or the command line's overrides) may set, and what
each accepts: a validator per key, which returns the value to keep or says what is
wrong with it. configfile.py reads the file and turns the values into settings.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .config import ReportOutput
from .dbaddress import DatabaseAddress, database_address
from .errors import InputError

#: Report formats by file extension (lower-case, without the dot).
REPORT_FORMATS_BY_SUFFIX: Mapping[str, str] = {
    "md": "md",
    "markdown": "md",
    "html": "html",
    "htm": "html",
    "json": "json",
    "csv": "csv",
}
#: Status codes a server can send (999 is what some sites answer to robots).
_MIN_STATUS, _MAX_STATUS = 100, 999
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")


class InvalidValue(Exception):
    """A value that a key cannot take; the message completes "'key' …"."""


# -- validators: each returns the value to keep or raises InvalidValue ----------------------


def _describe(value: Any) -> str:
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def _whole(minimum: int) -> Callable[[Any], int]:
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidValue(
                f"must be a whole number of at least {minimum}, not {_describe(value)}"
            )
        return value

    return validate


def _number(*, positive: bool) -> Callable[[Any], float]:
    def validate(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0 or (positive and value == 0):
            wanted = "a positive number" if positive else "a number of at least 0"
            raise InvalidValue(f"must be {wanted}, not {_describe(value)}")
        return float(value)

    return validate


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"must be true or false, not {_describe(value)}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or _CONTROL_CHARS.search(value):
        raise InvalidValue(
            f"must be a non-empty string without control characters, not {_describe(value)}"
        )
    return value


def _path(value: Any) -> Path:
    return Path(_text(value))


def _database(value: Any) -> DatabaseAddress:
    try:
        return database_address(_text(value))
    except InputError as exc:
        raise InvalidValue(str(exc)) from exc


def _list_of(value: Any, wanted: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidValue(f"must be a list of {wanted}, not {_describe(value)}")
    return list(value)


def _status_codes(value: Any) -> frozenset[int]:
    codes = _list_of(value, "HTTP status codes")
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int):
            raise InvalidValue(f"must be a list of HTTP status codes, not {_describe(value)}")
        if not _MIN_STATUS <= code <= _MAX_STATUS:
            raise InvalidValue(
                f"must hold HTTP status codes from {_MIN_STATUS} to {_MAX_STATUS}, not {code}"
            )
    return frozenset(codes)


def _patterns(value: Any) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in _list_of(value, "regular expressions"):
        if not isinstance(pattern, str) or not pattern:
            raise InvalidValue(f"must be a list of regular expressions, not {_describe(value)}")
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise InvalidValue(f"has an invalid regular expression {pattern!r}: {exc}") from exc
    return tuple(compiled)


def _domains(value: Any) -> tuple[str, ...]:
    domains = []
    for raw in _list_of(value, "domain names"):
        if not isinstance(raw, str):
            raise InvalidValue(f"must be a list of domain names, not {_describe(value)}")
        domain = raw.strip().lower().removeprefix("*.").strip(".")
        if not domain or any(ch in domain for ch in "/:@ \t"):
            raise InvalidValue(f"must hold domain names like 'example.org', not {raw!r}")
        try:
            domains.append(domain.encode("idna").decode("ascii"))
        except UnicodeError as exc:
            raise InvalidValue(f"must hold domain names like 'example.org', not {raw!r}") from exc
    return tuple(domains)


def _resolve(value: Any) -> tuple[tuple[str, str], ...]:
    """``HOST:ADDRESS`` (or ``HOST=ADDRESS`` for IPv6), as curl --resolve."""
    pairs = []
    for item in _list_of(value, "'HOST:ADDRESS' strings"):
        if not isinstance(item, str):
            raise InvalidValue(f"must be a list of 'HOST:ADDRESS' strings, not {_describe(value)}")
        host, sep, address = item.partition(":") if item.count(":") == 1 else ("", "", "")
        if not sep:
            host, sep, address = item.partition("=")
        try:
            ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            sep = ""
        if not sep or not host:
            raise InvalidValue(f"must hold 'HOST:ADDRESS' with an IP address, not {item!r}")
        pairs.append((host.lower(), address))
    return tuple(pairs)


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise InvalidValue(f"must be an environment variable name, not {_describe(value)}")
    return value


def _http_url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"https?://[^/\s]+", value):
        raise InvalidValue(f"must be an http:// or https:// URL, not {_describe(value)}")
    return value.rstrip("/")


def parse_report_output(value: Any) -> ReportOutput:
    path = _path(value)
    suffix = path.suffix.lower().removeprefix(".")
    if suffix not in REPORT_FORMATS_BY_SUFFIX:
        known = ", ".join(f".{s}" for s in REPORT_FORMATS_BY_SUFFIX)
        raise InvalidValue(f"must name report files ending in {known}, not {str(value)!r}")
    return ReportOutput(path, REPORT_FORMATS_BY_SUFFIX[suffix])


def _report_outputs(value: Any) -> tuple[ReportOutput, ...]:
    outputs = tuple(parse_report_output(item) for item in _list_of(value, "report file names"))
    paths = [output.path for output in outputs]
    if len(set(paths)) != len(paths):
        raise InvalidValue(f"names the same file twice: {_describe(value)}")
    return outputs


#: Every key, by table ("" is the top level), with its validator.
SCHEMA: Mapping[str, Mapping[str, Callable[[Any], Any]]] = {
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
    f"{table}.{key}" if table else key for table, keys in SCHEMA.items() for key in keys
) + ("archives",)  # [archives] is read as a whole (citecheck.archive.archives)


def validate_key(table: str, key: str, value: Any, label: str) -> Any:
    dotted = f"{table}.{key}" if table else key
    validator = SCHEMA.get(table, {}).get(key)
    if validator is None:
        raise InputError(f"{label}: unknown key '{dotted}'{_suggestion(table, key)}")
    try:
        return validator(value)
    except InvalidValue as exc:
        raise InputError(f"{label}: '{dotted}' {exc}") from exc


def _suggestion(table: str, key: str) -> str:
    """`` (did you mean '…'?)`` for a mistyped or misplaced key, or the keys there are."""
    elsewhere = [f"{t}.{key}" if t else key for t, keys in SCHEMA.items() if key in keys]
    if elsewhere:
        return f" (did you mean '{elsewhere[0]}'?)"
    here = list(SCHEMA.get(table, {}))
    if not table:
        here += [t for t in SCHEMA if t]
    import difflib  # only to word an error

    close = difflib.get_close_matches(key, here, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if not here:
        return ""
    return f" (the keys{f' in [{table}]' if table else ''} are: {', '.join(sorted(here))})"
