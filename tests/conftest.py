"""Shared fixtures."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import respx.mocks
from servers import FakeWeb


class _TransportMocker(respx.mocks.AbstractRequestMocker):
    """respx at the transports: citecheck's own (fetch/transport.py, which the
    Fetcher calls directly) and httpx's (any other client a test makes).

    citecheck does not go through httpcore (its pools speak httpx's requests and
    responses), so respx's default httpcore mocker would not see its requests; this
    one patches the ``handle_async_request`` of the transports, which take an
    ``httpx.Request`` and give an ``httpx.Response`` as respx's routes do.
    """

    name = "citecheck-transports"
    targets = [
        "citecheck.fetch.transport.PolicyTransport",
        "httpx._transports.default.AsyncHTTPTransport",
        "httpx._transports.default.HTTPTransport",
    ]
    target_methods = ["handle_request", "handle_async_request"]

    @classmethod
    def to_httpx_request(cls, **kwargs):  # noqa: ANN206 - respx's own signature
        return kwargs["request"]

    @staticmethod
    def _fresh(response: httpx.Response) -> httpx.Response:
        # A route answers with the same response each time: a new one over its
        # stream for every request, as the transports would give.
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers.raw,
            stream=response.stream,
            extensions=response.extensions,
        )

    @classmethod
    def from_sync_httpx_response(cls, httpx_response, target, **kwargs):  # noqa: ANN206
        return cls._fresh(httpx_response)

    @classmethod
    async def from_async_httpx_response(cls, httpx_response, target, **kwargs):  # noqa: ANN206
        return cls._fresh(httpx_response)


respx.mocks.DEFAULT_MOCKER = _TransportMocker.name

#: A DSN of a PostgreSQL server where the tests may create and drop databases.
TEST_PG_ENV = "CITECHECK_TEST_PG"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def fake_web() -> Iterator[FakeWeb]:
    """A fresh fake web on 127.0.0.1 (see tests/servers.py), stopped after the test."""
    with FakeWeb() as web:
        yield web


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: the test is about the SQLite file itself; not run on PostgreSQL",
    )


def postgres_server_or_skip() -> str:
    """The DSN in CITECHECK_TEST_PG. Without one the PostgreSQL cases are skipped on a
    workstation, and fail under CI (CI=true), which must run them."""
    dsn = os.environ.get(TEST_PG_ENV, "").strip()
    if dsn:
        return dsn
    message = (
        f"PostgreSQL cases need {TEST_PG_ENV}=postgresql://user@host:port/dbname, a server"
        " where the tests may create and drop databases (.ci/postgres.sh starts one)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI the PostgreSQL cases must run: {message}", pytrace=False)
    pytest.skip(message)


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    import psycopg

    dsn = postgres_server_or_skip()
    name = f"citecheck_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database a test runs against, once per backend: a SQLite file's path, or the
    URL of a fresh PostgreSQL database (see postgres_database)."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("db") / "archive.db")
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about the SQLite file itself")
    return request.getfixturevalue("postgres_database")
