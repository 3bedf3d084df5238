"""Fixtures that drive the real ``citecheck`` CLI, in a subprocess, against FakeWeb."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import FakeWayback, FakeWeb

#: Names the e2e tests use for virtual hosts of the fake web.
HOSTS = ("news.test", "ngo.test", "soft404.test", "spa.test", "gov.test", "video.test") + tuple(
    f"h{n}.test" for n in range(10)
)
#: Generous bound for one CLI call: a hung run fails the test instead of the suite.
CLI_TIMEOUT_S = 90


@dataclass
class CLI:
    """Runs ``python -m citecheck`` in ``cwd`` with the fake web's names resolved."""

    cwd: Path
    web: FakeWeb
    env: dict[str, str]

    def __call__(
        self,
        *args: str,
        now: str | None = None,
        resolve: bool = True,
        timeout: float = CLI_TIMEOUT_S,
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if now is not None:
            env["CITECHECK_NOW"] = now
        extra: list[str] = []
        if resolve and args and args[0] in ("check", "run"):
            for host in HOSTS:
                extra += ["--resolve", f"{host}:127.0.0.1"]
        return subprocess.run(
            [sys.executable, "-m", "citecheck", *args, *extra],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        extra: list[str] = []
        for host in HOSTS:
            extra += ["--resolve", f"{host}:127.0.0.1"]
        return subprocess.Popen(
            [sys.executable, "-m", "citecheck", *args, *extra],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def write_sources(self, urls: Sequence[str], name: str = "sources.csv") -> Path:
        path = self.cwd / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["url", "title", "cited_in", "context", "accessed"])
            for line, url in enumerate(urls, start=1):
                writer.writerow([url, "", f"campaign.md:{line}", "", ""])
        return path

    def report(self) -> dict:
        result = self("report", "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def links(self) -> dict[str, dict]:
        return {link["url"]: link for link in self.report()["links"]}


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


@pytest.fixture
def cli(tmp_path: Path, web: FakeWeb) -> CLI:
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
    env["PYTHONUNBUFFERED"] = "1"
    return CLI(cwd=tmp_path, web=web, env=env)


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
