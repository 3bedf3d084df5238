"""Where a store lives: a SQLite file (a path) or a PostgreSQL database (a URL).

Told apart by the text alone, before any driver is imported: ``postgresql://`` or
``postgres://`` is a PostgreSQL connection URL (libpq's own form, so every option
libpq knows may follow the ``?``); anything else is a path to a SQLite file, as it
always was. A URL's password is never shown: :attr:`PostgresAddress.name` is the
URL without it, and that is what every message names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .errors import InputError

POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class PostgresAddress:
    """A PostgreSQL database given by a libpq connection URL."""

    url: str = field(repr=False)
    #: The URL without its password: what messages and logs name.
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _without_password(self.url))

    def __str__(self) -> str:
        return self.name


#: What ``--db``, ``db =`` and ``CITECHECK_DB`` name.
DatabaseAddress = Path | PostgresAddress


def is_postgres_url(text: str) -> bool:
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.lower() in POSTGRES_SCHEMES


def database_address(value: str | Path | PostgresAddress) -> DatabaseAddress:
    """A path for a SQLite file, a :class:`PostgresAddress` for a PostgreSQL URL.

    Raises InputError for a URL of another scheme (``mysql://…``), which would
    otherwise become a strange relative path.
    """
    if isinstance(value, PostgresAddress | Path):
        return value
    text = value.strip()
    if is_postgres_url(text):
        parts = urlsplit(text)
        if not parts.hostname and "host=" not in parts.query:
            raise InputError(f"{_without_password(text)}: a PostgreSQL URL needs a host")
        return PostgresAddress(text)
    scheme, sep, _ = text.partition("://")
    if sep and scheme.isalpha():
        raise InputError(
            f"{scheme}://…: citecheck stores in a SQLite file (a path) or in PostgreSQL"
            " (postgresql://user@host/dbname), not in a database of this kind"
        )
    return Path(value)


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.password is None and "password=" not in parts.query:
            return url
        netloc = parts.hostname or ""
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        query = "&".join(
            item for item in parts.query.split("&") if not item.lower().startswith("password=")
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return f"{url.partition('://')[0]}://…"
