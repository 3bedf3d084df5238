"""Fixtures that drive the real ``citecheck`` CLI, in a subprocess, against FakeWeb."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import CLI
from servers import FakeWayback, FakeWeb


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


@pytest.fixture
def cli(tmp_path: Path, web: FakeWeb, store_backend: str) -> CLI:
    """The CLI in ``tmp_path``, once per backend: SQLite in ``archive.db`` there (the
    default), and PostgreSQL through CITECHECK_DB (tests about the SQLite file itself
    are marked ``sqlite_only``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CITECHECK_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"))
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["CITECHECK_PROBE_URLS"] = web.url("/ok")
    # No test may reach the real archive: without the `wayback` fixture, it is a
    # closed port on this machine (the archive step then reports it unreachable).
    env["CITECHECK_WAYBACK_URL"] = "http://127.0.0.1:9"
    # Nor any other public archive (tests/e2e/test_memento_cli.py asks fake ones).
    env["CITECHECK_OTHER_ARCHIVES"] = "off"
    env["PYTHONUNBUFFERED"] = "1"
    if store_backend.startswith("postgresql://"):
        env["CITECHECK_DB"] = store_backend
    db_url = store_backend if store_backend.startswith("postgresql://") else None
    return CLI(cwd=tmp_path, web=web, env=env, db_url=db_url)


#: Requests a minute the e2e runs allow themselves against the fake Wayback.
FAST_WAYBACK_PER_MIN = "60000"


@pytest.fixture
def wayback(cli: CLI) -> Iterator[FakeWayback]:
    """A fake Wayback Machine on 127.0.0.1; ``cli`` is pointed at it (anonymous saves,
    rate limits raised so that runs take milliseconds)."""
    with FakeWayback() as server:
        cli.env["CITECHECK_WAYBACK_URL"] = server.base
        for name in ("CDX", "SAVES", "STATUS"):
            cli.env[f"CITECHECK_WAYBACK_{name}_PER_MIN"] = FAST_WAYBACK_PER_MIN
        cli.env.pop("IA_ACCESS_KEY", None)
        cli.env.pop("IA_SECRET_KEY", None)
        yield server
