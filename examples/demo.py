"""Regenerate every example output in the README with one command.

    python examples/demo.py                 # print each README command and its output
    python examples/demo.py --write-readme  # and rewrite the README's example blocks

It starts the project's fake web and fake Wayback Machine on 127.0.0.1 (the same
servers the end-to-end tests use, tests/servers.py: they are test infrastructure, so
they stay in tests/ and this script, which needs a checkout anyway, loads them from
there rather than shipping them in the package), writes the campaign the README uses
(`campaign.md`, citing pages on `news.example`, `ngo.example`, ... served by the fake
web), and runs the README's commands in a temporary folder with a fixed clock. The
host names reach the fake web through `citecheck.toml` (`[http] resolve`), so the
commands are exactly those the README shows. tests/e2e/test_readme_examples.py
checks that the README matches what this prints, ports and timings aside.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SEED = "tests/data/000_48056259ef750032.txt"
#: The demo's clock: every date in the README's examples.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
REPORT_PATH = "/wp-content/uploads/2021/07/RISE_REPORT.pdf"
HOSTS = ("news.example", "ngo.example", "regulator.example", "video.example", "blog.example")
#: Lines of a command's output the README shows before "...".
SHOWN_LINES = {"citecheck report --format md": 34}
#: The README's examples the demo regenerates are those under this heading.
COMMANDS_HEADING = "\n## Commands\n"

CAMPAIGN = """\
# Stop biometric mass surveillance

PimEyes lets anyone search faces ([CNN]({news}/2021/05/04/tech/face-search/index.html)).
The Dutch criminal database holds 7 million foreigners: {ngo}{report} [p.67]
Swedish police were fined: {regulator}/news/2021/police-fined
Watch the hearing: {video}/watch?v=u30vRl70tgM
Our earlier campaign: {blog}/old-campaign
"""


@contextmanager
def _servers() -> Iterator[tuple[object, object]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import FakeWayback, FakeWeb

    with FakeWeb() as web, FakeWayback() as wayback:
        yield web, wayback


def _set_up_web(web: object) -> None:
    """What each cited page does, after what real sites do (see tests/servers.py)."""
    web.page(  # type: ignore[attr-defined]
        "/2021/05/04/tech/face-search/index.html",
        body="<title>PimEyes: a face search engine anyone can use</title><p>Story.</p>",
        host="news.example",
    )
    web.page("/news/2021/police-fined", status=503, body="<title>503 Service Unavailable</title>",
             host="regulator.example")  # fmt: skip
    web.page(  # type: ignore[attr-defined]
        "/watch",
        status=403,
        body="<title>Just a moment...</title><p>Checking your browser.</p>",
        headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
        host="video.example",
    )
    web.page("/old-campaign", status=301, headers={"Location": "/campaigns/reclaim"},
             host="blog.example")  # fmt: skip
    web.page("/campaigns/reclaim", body="<title>Reclaim Your Face</title><p>Campaign.</p>",
             host="blog.example")  # fmt: skip


def _environment(web: object, wayback: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITECHECK_", "IA_"))}
    env.update(
        CITECHECK_NOW=NOW.isoformat(),
        CITECHECK_PROBE_URLS=web.url("/ok"),  # type: ignore[attr-defined]
        CITECHECK_WAYBACK_URL=wayback.base,  # type: ignore[attr-defined]
        CITECHECK_OTHER_ARCHIVES="off",  # the demo reaches no real archive
        PYTHONUNBUFFERED="1",
        COLUMNS="100",
    )
    for name in ("CDX", "SAVES", "STATUS"):
        env[f"CITECHECK_WAYBACK_{name}_PER_MIN"] = "60000"
    return env


def _citecheck(folder: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "citecheck", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    command = "citecheck " + " ".join(args)
    output = result.stdout.rstrip("\n")
    shown = SHOWN_LINES.get(command)
    if shown is not None and output.count("\n") >= shown:
        output = "\n".join(output.splitlines()[:shown] + ["..."])
    return f"$ {command}\n{output}\n[exit {result.returncode}]" if output else (
        f"$ {command}\n[exit {result.returncode}]"
    )  # fmt: skip


def examples() -> list[str]:
    """Every example the README shows, as ``$ command``, output, ``[exit N]``."""
    shown = []
    with _servers() as (web, wayback), tempfile.TemporaryDirectory() as temporary:
        _set_up_web(web)
        wayback.now = NOW  # type: ignore[attr-defined]
        base = {host: web.url("", host=host) for host in HOSTS}  # type: ignore[attr-defined]
        report = base["ngo.example"] + REPORT_PATH
        # The report died before anyone checked it; its archived copy has its pages.
        from servers import archive_pdf, rise_report

        archive_pdf(wayback, report, "20210715080000", rise_report())
        env = _environment(web, wayback)

        seed = Path(temporary, "seed")
        (seed / SEED).parent.mkdir(parents=True)
        shutil.copy(ROOT / SEED, seed / SEED)
        shutil.copy(ROOT / "sources.csv", seed / "sources.csv")
        shown.append(_citecheck(seed, env, "extract", SEED))

        folder = Path(temporary, "campaign")
        folder.mkdir()
        (folder / "campaign.md").write_text(
            CAMPAIGN.format(
                report=REPORT_PATH, **{host.split(".")[0]: url for host, url in base.items()}
            ),
            encoding="utf-8",
        )
        resolve = ", ".join(f'"{host}:127.0.0.1"' for host in HOSTS)
        (folder / "citecheck.toml").write_text(f"[http]\nresolve = [{resolve}]\n")
        for args in (
            ("extract", "campaign.md"),
            ("check", "--timeout", "5"),
            ("archive",),
            ("report", "--format", "md"),
            ("history", report),
            ("fix", "campaign.md"),
            ("run",),
        ):
            shown.append(_citecheck(folder, env, *args))
    return shown


_BLOCK = re.compile(r"```\n(\$ citecheck[^\n]*)\n(.*?)```", re.DOTALL)
_PORT = re.compile(r"((?:127\.0\.0\.1|\.example)):\d+")
_SECONDS = re.compile(r"\b\d+\.\d+s\b")


def normalise(text: str) -> str:
    """What may differ between two runs of the demo: ports and timings."""
    return _SECONDS.sub("N.Ns", _PORT.sub(r"\1:PORT", text)).strip()


def readme_examples(readme: str) -> dict[str, str]:
    """The README's example blocks under "## Commands", by their normalised command."""
    commands = readme[readme.index(COMMANDS_HEADING) :]
    return {
        normalise(match.group(1)): f"{match.group(1)}\n{match.group(2)}".rstrip("\n")
        for match in _BLOCK.finditer(commands)
    }


def write_readme(shown: list[str]) -> int:
    """Replace each README block whose command the demo ran; returns how many."""
    by_command = {normalise(block.split("\n", 1)[0]): block for block in shown}
    replaced = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal replaced
        block = by_command.get(normalise(match.group(1)))
        if block is None:
            return match.group(0)
        replaced += 1
        return f"```\n{block}\n```"

    readme = README.read_text(encoding="utf-8")
    split = readme.index(COMMANDS_HEADING)
    README.write_text(readme[:split] + _BLOCK.sub(swap, readme[split:]), encoding="utf-8")
    return replaced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-readme", action="store_true", help="rewrite README.md's examples")
    options = parser.parse_args()
    shown = examples()
    print("\n\n".join(shown))
    if options.write_readme:
        print(f"\nREADME.md: {write_readme(shown)} examples rewritten", file=sys.stderr)


if __name__ == "__main__":
    main()
