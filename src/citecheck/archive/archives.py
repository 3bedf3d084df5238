"""The public web archives asked besides the Wayback Machine, and ``[archives]`` in
citecheck.toml.

Where the endpoints come from: MemGator's ``archives.json`` (github.com/oduwsdl/
MemGator, the aggregator's own list of Memento endpoints) for archive.today, the UK
Web Archive, the Library of Congress, Stanford and the UK National Archives; the
Arquivo.pt API wiki (github.com/arquivo/pwa-technologies/wiki/APIs, "Memento API")
for Arquivo.pt; the Time Travel archive registry as reproduced in older clients for
Perma.cc (``perma-archives.org/warc/``), which current lists no longer carry, so it
is not asked unless enabled. Only Arquivo.pt publishes a rate limit (400 Memento
requests a minute per IP, with a permanent block past it); it is asked at 80% of
that like the Wayback endpoints. The others publish none and are asked at
:data:`~citecheck.config.DEFAULT_MEMENTO_RATE_LIMIT` (30 a minute).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ..config import (
    DEFAULT_MEMENTO_TIMEOUT_S,
    MementoArchive,
    MementoSettings,
    RateLimit,
)

__all__ = ["DEFAULT_ARCHIVES", "default_memento_settings", "memento_settings_from_table"]

#: archive.today answers from several mirror domains; a memento on any is its own.
_ARCHIVE_TODAY_HOSTS = (
    "archive.today",
    "archive.ph",
    "archive.is",
    "archive.li",
    "archive.vn",
    "archive.fo",
    "archive.md",
)

DEFAULT_ARCHIVES: tuple[MementoArchive, ...] = (
    MementoArchive(
        key="archive-today",
        name="archive.today",
        timemap_url="https://archive.today/timemap/",
        timegate_url="https://archive.today/timegate/",
        hosts=_ARCHIVE_TODAY_HOSTS,
    ),
    MementoArchive(
        key="arquivo-pt",
        name="Arquivo.pt",
        timemap_url="https://arquivo.pt/wayback/timemap/link/",
        timegate_url="https://arquivo.pt/wayback/",
        rate=RateLimit(0.8 * 400),
    ),
    MementoArchive(
        key="ukwa",
        name="UK Web Archive",
        timemap_url="https://www.webarchive.org.uk/wayback/archive/timemap/link/",
        timegate_url="https://www.webarchive.org.uk/wayback/archive/",
    ),
    MementoArchive(
        key="loc",
        name="Library of Congress",
        timemap_url="https://webarchive.loc.gov/all/timemap/link/",
        timegate_url="https://webarchive.loc.gov/all/",
    ),
    MementoArchive(
        key="stanford",
        name="Stanford Web Archive",
        timemap_url="https://swap.stanford.edu/timemap/link/",
        timegate_url="https://swap.stanford.edu/",
    ),
    MementoArchive(
        key="uk-national-archives",
        name="UK National Archives",
        timemap_url="https://webarchive.nationalarchives.gov.uk/timemap/",
        timegate_url="https://webarchive.nationalarchives.gov.uk/timegate/",
    ),
    MementoArchive(
        key="perma-cc",
        name="Perma.cc",
        timemap_url="https://perma-archives.org/warc/timemap/*/",
        timegate_url="https://perma-archives.org/warc/",
        hosts=("perma-archives.org", "perma.cc"),
        enabled=False,
    ),
)

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
_URL = re.compile(r"https?://[^/\s]+(/\S*)?", re.ASCII)
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?", re.ASCII)
_TOP_KEYS = ("defaults", "aggregator", "aggregator_per_minute", "timeout", "enabled")
_ARCHIVE_KEYS = ("name", "timemap", "timegate", "format", "per_minute", "timeout", "enabled")
_ARCHIVE_KEYS += ("hosts",)


def _with_hosts(archive: MementoArchive) -> MementoArchive:
    if archive.hosts:
        return archive
    return replace(archive, hosts=archive_hosts((archive.timemap_url, archive.timegate_url)))


def archive_hosts(urls: Iterable[str | None]) -> tuple[str, ...]:
    """The hosts of an archive's endpoint URLs (its mementos' default hosts), with
    the port when the URL names one."""
    hosts = []
    for url in urls:
        parts = urlsplit(url) if url else None
        if parts is None or not parts.hostname:
            continue
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        if host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def default_memento_settings() -> MementoSettings:
    """The public archives, as asked when citecheck.toml says nothing of them."""
    return MementoSettings(archives=tuple(_with_hosts(archive) for archive in DEFAULT_ARCHIVES))


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"'{where}' must be true or false, not {value!r}")
    return value


def _positive(value: Any, where: str) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
        raise ValueError(f"'{where}' must be a positive number, not {value!r}")
    return float(value)


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _URL.fullmatch(value):
        raise ValueError(f"'{where}' must be an http:// or https:// URL, not {value!r}")
    return value


def _archive(key: str, table: Any, base: MementoArchive | None) -> MementoArchive:
    where = f"archives.{key}"
    if not isinstance(table, dict):
        raise ValueError(f"'{where}' must be a table ([{where}]), not {table!r}")
    unknown = sorted(set(table) - set(_ARCHIVE_KEYS))
    if unknown:
        raise ValueError(
            f"unknown key '{where}.{unknown[0]}' (the keys are: {', '.join(_ARCHIVE_KEYS)})"
        )
    values: dict[str, Any] = {}
    if "name" in table:
        name = table["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            raise ValueError(f"'{where}.name' must be a short name, not {name!r}")
        values["name"] = name.strip()
    for option, field in (("timemap", "timemap_url"), ("timegate", "timegate_url")):
        if option in table:
            values[field] = _url(table[option], f"{where}.{option}")
    if "format" in table:
        if table["format"] not in ("link", "json"):
            raise ValueError(f"'{where}.format' must be 'link' or 'json', not {table['format']!r}")
        values["timemap_format"] = table["format"]
    if "per_minute" in table:
        values["rate"] = RateLimit(_positive(table["per_minute"], f"{where}.per_minute"))
    if "timeout" in table:
        values["timeout_s"] = _positive(table["timeout"], f"{where}.timeout")
    if "enabled" in table:
        values["enabled"] = _bool(table["enabled"], f"{where}.enabled")
    if "hosts" in table:
        hosts = table["hosts"]
        if not isinstance(hosts, list) or not hosts:
            raise ValueError(f"'{where}.hosts' must be a list of host names, not {hosts!r}")
        for host in hosts:
            if not isinstance(host, str) or not _HOST.fullmatch(host):
                raise ValueError(f"'{where}.hosts' must hold host names, not {host!r}")
        values["hosts"] = tuple(host.lower() for host in hosts)
    if base is not None:
        if "timemap_url" in values or "timegate_url" in values:
            values.setdefault("hosts", ())
        return _with_hosts(replace(base, **values))
    if "timemap_url" not in values and "timegate_url" not in values:
        raise ValueError(f"'{where}' is a new archive: give it a timemap or a timegate URL")
    return _with_hosts(MementoArchive(key=key, name=values.pop("name", key), **values))


def memento_settings_from_table(table: Mapping[str, Any] | None) -> MementoSettings:
    """MementoSettings from an ``[archives]`` table of citecheck.toml (None: defaults).

    ``[archives.KEY]`` sub-tables change a default archive (``enabled = false``) or add
    one; ``defaults = false`` asks only those listed; ``enabled = false`` asks none;
    ``aggregator`` names a MemGator-style service asked instead of each archive.
    Raises ValueError naming the key for anything wrong.
    """
    settings = default_memento_settings()
    if table is None:
        return settings
    archives = {archive.key: archive for archive in settings.archives}
    if "defaults" in table and not _bool(table["defaults"], "archives.defaults"):
        archives = {}
    values: dict[str, Any] = {}
    timeout = None
    if "timeout" in table:
        timeout = _positive(table["timeout"], "archives.timeout")
        values["aggregator_timeout_s"] = timeout
    if "aggregator" in table:
        values["aggregator_url"] = _url(table["aggregator"], "archives.aggregator").rstrip("/")
    if "aggregator_per_minute" in table:
        rate = _positive(table["aggregator_per_minute"], "archives.aggregator_per_minute")
        values["aggregator_rate"] = RateLimit(rate)
    for key, value in table.items():
        if key in _TOP_KEYS:
            continue
        if not isinstance(value, dict):
            raise ValueError(
                f"unknown key 'archives.{key}' (the keys are: {', '.join(_TOP_KEYS)},"
                " or a [archives.NAME] table)"
            )
        if not _KEY.fullmatch(key):
            raise ValueError(f"'archives.{key}': archive names are a-z, 0-9, '-' and '_'")
        if timeout is not None and "timeout" not in value:
            value = {**value, "timeout": timeout}
        archives[key] = _archive(key, value, archives.get(key))
    if timeout is not None:
        archives = {
            key: archive
            if archive.timeout_s != DEFAULT_MEMENTO_TIMEOUT_S
            else replace(archive, timeout_s=timeout)
            for key, archive in archives.items()
        }
    if "enabled" in table and not _bool(table["enabled"], "archives.enabled"):
        archives = {}
    return MementoSettings(archives=tuple(archives.values()), **values)
