"""What marks a file as a citecheck database, and which schema version it holds.

Apart from schema.py so that opening an up-to-date database does not import
sqlite-utils, whose only job here is running migrations (a tenth of a check's
start-up, issue 11); schema.py re-exports these names.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SchemaTooNewError

#: ``PRAGMA application_id`` of a citecheck database: "CitC" in ASCII.
APPLICATION_ID = 0x43697443
#: ``PRAGMA user_version`` this citecheck writes; it refuses files with a higher one.
SCHEMA_VERSION = 10
#: The table where sqlite-utils' Migrations records the steps applied.
MIGRATIONS_TABLE = "_sqlite_migrations"

OWN_TABLES = frozenset(
    {
        "runs",
        "links",
        "citations",
        "checks",
        "snapshots",
        "archive_lookups",
        "captures",
        "fixes",
        "page_baselines",
        "page_findings",
        "archived_page_findings",
        "host_leases",
        "shared_limits",
        MIGRATIONS_TABLE,
    }
)


def check_schema_version(path: Path, user_version: int) -> None:
    if user_version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path} was written by a newer citecheck (schema version {user_version}; this"
            f" citecheck knows up to {SCHEMA_VERSION}); upgrade citecheck to use it"
        )
