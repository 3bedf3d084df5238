"""``citecheck db``: the database's own upkeep (migrate it, copy it elsewhere)."""

from __future__ import annotations

from typing import Any

import click

from .options import DatabaseParam, config_option, db_option, job_of, library_errors


@click.group()
def db() -> None:
    """Look after the database: bring it to this version's schema, or copy it.

    Example:

        citecheck db migrate --db postgresql://citecheck@db.example/links
        citecheck db copy archive.db postgresql://citecheck@db.example/links
    """


@db.command()
@config_option
@db_option
@library_errors
def migrate(**params: Any) -> None:
    """Create the database, or bring it to this citecheck's schema.

    Every command does this when it opens the database; run it on its own to upgrade
    a shared PostgreSQL database once, before the workers are started again.

    Example:

        citecheck db migrate --db postgresql://citecheck@db.example/links
    """
    from ..store.maintenance import migrate_database

    job = job_of(params)
    done = migrate_database(job.db)
    if done.before == done.after:
        click.echo(f"{done.name}: schema version {done.after}, nothing to do")
    else:
        click.echo(f"{done.name}: schema version {done.before} → {done.after}")


@db.command()
@click.argument("source", type=DatabaseParam())
@click.argument("target", type=DatabaseParam())
@library_errors
def copy(source: Any, target: Any) -> None:
    """Copy every table of SOURCE, history included, into the empty database TARGET.

    Each is a SQLite file or a postgresql:// URL, so a project can move from SQLite
    to PostgreSQL (or back). Ids are kept; TARGET is created or migrated first and
    must hold no data; SOURCE is only read.

    Example:

        citecheck db copy archive.db postgresql://citecheck@db.example/links
    """
    from ..store.maintenance import copy_database

    def show(done: Any) -> None:
        click.echo(f"{done.table}: {done.rows} rows")

    copy_database(source, target, on_table=show)
    click.echo(f"copied into {getattr(target, 'name', target)}")
