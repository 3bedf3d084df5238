"""Drive the real ``citecheck`` CLI in a subprocess against the fake web (tests/servers.py).

A module of its own, not a conftest, so test files import it by a unique name."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from servers import FakeWeb

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
    #: The PostgreSQL database the CLI uses (CITECHECK_DB), or None: archive.db in cwd.
    db_url: str | None = None

    def sql(self, query: str, parameters: Sequence[object] = ()) -> list[tuple]:
        """Rows of ``query`` (``?`` placeholders) on the database the CLI uses."""
        if self.db_url is None:
            conn = sqlite3.connect(self.cwd / "archive.db")
            try:
                return conn.execute(query, parameters).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            return conn.execute(query.replace("?", "%s"), parameters).fetchall()

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
