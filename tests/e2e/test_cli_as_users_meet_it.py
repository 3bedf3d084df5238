"""Issue 12, end to end: the CLI as a new user meets it. Output paths, long waits,
the last run's outcome in reports, signals, rejected input, stale sources.csv rows,
and the smaller points (-v columns, PDFs in fix, UTF-16 text, the database hint)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pty
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from clirunner import CLI, HOSTS
from servers import FakeWayback

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def _runs(cli: CLI) -> list[tuple[str, str]]:
    return cli.sql("SELECT command, outcome FROM runs ORDER BY id")


def _checked(cli: CLI, *paths: str) -> None:
    cli.write_sources([cli.web.url(path, host="news.test") for path in paths])
    result = cli("check", now=NOW)
    assert result.returncode in (0, 1), result.stderr


# -- 1. output paths ---------------------------------------------------------------------


def test_dash_is_standard_output_and_no_file_named_dash(cli: CLI) -> None:
    _checked(cli, "/ok")
    result = cli("report", "--format", "md", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Citation link report")
    assert not (cli.cwd / "-").exists()


def test_dev_stdout_is_written_in_place_not_renamed_over(cli: CLI) -> None:
    _checked(cli, "/ok")
    # Under capture_output, /dev/stdout is a pipe: a rename over it would fail or
    # replace it; writing in place puts the report on the pipe.
    result = cli("report", "--format", "json", "-o", "/dev/stdout")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["ok"] == 1


def test_a_fifo_is_written_in_place(cli: CLI) -> None:
    _checked(cli, "/ok")
    fifo = cli.cwd / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli("report", "--format", "csv", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not a regular file
    assert b"http://news.test" in received[0]


def test_a_full_disk_is_a_clean_error(cli: CLI) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    _checked(cli, "/ok")
    result = cli("report", "--format", "html", "-o", "/dev/full")
    assert result.returncode == 2
    assert "/dev/full: could not write the output (No space left on device)" in result.stderr
    _no_traceback(result)


def test_report_into_a_missing_folder_is_exit_2(cli: CLI) -> None:
    _checked(cli, "/ok")
    result = cli("report", "--format", "md", "-o", "missing-folder/r.md")
    assert result.returncode == 2
    assert "the folder missing-folder does not exist" in result.stderr
    _no_traceback(result)


def test_run_into_a_missing_folder_fails_before_any_work(cli: CLI) -> None:
    cli.write_sources([cli.web.url("/ok", host="news.test")])
    result = cli("run", "-o", "missing-folder/report.md")
    assert result.returncode == 2
    assert "missing-folder/report.md: the folder missing-folder does not exist" in result.stderr
    assert cli.web.count() == 0  # nothing was checked
    assert not (cli.cwd / "archive.db").exists()
    _no_traceback(result)


# -- 2. long waits speak ------------------------------------------------------------------


def test_an_unreachable_archive_is_exit_3_even_with_one_look_up(cli: CLI) -> None:
    _checked(cli, "/ok")  # one live link: one look-up, to a closed port
    result = cli("archive", "--no-save")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the Wayback Machine is unreachable" in result.stderr
    assert _runs(cli)[-1] == ("archive", "offline")


def test_the_summary_counts_look_ups_left_for_the_next_run(cli: CLI, wayback: FakeWayback) -> None:
    _checked(cli, "/ok", "/page/a", "/page/b")
    (cli.cwd / "citecheck.toml").write_text("[wayback]\nmax_minutes = 0.000001\n")
    result = cli("archive", "--no-save")
    assert result.returncode == 0, result.stderr
    assert "3 left for the next run" in result.stdout


def test_archive_on_a_terminal_shows_progress_and_the_save_page_now_wait(
    cli: CLI, wayback: FakeWayback
) -> None:
    _checked(cli, "/page/a", "/page/b")
    env = dict(cli.env, CITECHECK_WAYBACK_SAVES_PER_MIN="30")  # one capture per 2 s
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "citecheck", "archive"],
        cwd=cli.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0
    text = shown.decode()
    assert "Archive: 2 looked up" in text
    assert "captures requested" in text
    assert "for the Save Page Now limit (3/min anonymous; set IA_ACCESS_KEY for 7/min)" in text
    assert "waiting 2 s" in text or "waiting 1 s" in text
    assert "Archive: 2 of 2 links have a copy" in stdout


# -- 3. reports carry the last run's outcome ------------------------------------------------


def test_an_offline_run_is_said_at_the_top_of_every_report(cli: CLI) -> None:
    cli.env["CITECHECK_PROBE_URLS"] = "http://127.0.0.1:9/"
    cli.write_sources(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    result = cli("run", "-o", "report.md", "-o", "report.json", "-o", "r.html", "-o", "r.csv")
    assert result.returncode == 3, result.stderr
    notice = "found the network unreachable: links were not checked, none marked broken"
    markdown = (cli.cwd / "report.md").read_text()
    assert notice in markdown.split("|")[0]  # above the counts table
    assert "No check has completed yet" in markdown
    report = json.loads((cli.cwd / "report.json").read_text())
    assert report["last_run"]["outcome"] == "offline"
    assert report["last_run"]["last_complete_check_at"] is None
    assert report["changes"]["run_finished_at"] is not None
    html = (cli.cwd / "r.html").read_text()
    assert html.index(notice) < html.index("At a glance")
    with open(cli.cwd / "r.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(notice in row["last_run"] for row in rows)


def test_after_a_complete_run_an_offline_one_says_when_the_last_complete_check_was(
    cli: CLI,
) -> None:
    cli.write_sources([cli.web.url("/ok", host="news.test")])
    assert cli("check", now="2025-06-01T02:00:00+00:00").returncode == 0
    cli.env["CITECHECK_PROBE_URLS"] = "http://127.0.0.1:9/"
    cli.write_sources(["http://127.0.0.1:9/a"])
    assert cli("check", now="2025-06-02T02:00:00+00:00").returncode == 3
    markdown = cli("report", "--format", "md").stdout
    assert "The last complete check was 2025-06-01 02:00 UTC." in markdown


def test_first_run_and_newly_failing_links_are_not_no_change(cli: CLI) -> None:
    cli.write_sources([cli.web.url("/ok", host="news.test")])
    first = cli("check", now=NOW)
    assert "the first complete check of this database" in first.stdout
    assert "no change" not in first.stdout
    again = cli("check", now=NOW)
    assert "no change since the last run" in again.stdout
    cli.write_sources([cli.web.url(f"/status/503?n={n}", host="news.test") for n in range(3)])
    failing = cli("check", now=NOW)
    assert "no change" not in failing.stdout
    assert "Newly failing (re-checked daily until confirmed or recovered) (3):" in failing.stdout
    assert len(cli.report()["changes"]["newly_failing"]) == 3


# -- 4. SIGINT and SIGTERM --------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_check_keeps_what_was_recorded(
    cli: CLI, signum: signal.Signals, code: int
) -> None:
    cli.web.latency_s = 1.0
    cli.write_sources([cli.web.url(f"/page/p{n}", host=HOSTS[n % 6]) for n in range(12)])
    process = cli.popen("check")
    deadline = time.monotonic() + 30
    while cli.web.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # a few checks answered and recorded
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert f"stopped by {signum.name}:" in stderr
    assert "recorded and kept; the run is recorded as interrupted" in stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert _runs(cli) == [("check", "interrupted")]
    kept = int(stderr.split(f"stopped by {signum.name}: ")[1].split(" check")[0])
    [(recorded,)] = cli.sql("SELECT COUNT(*) FROM checks")
    assert recorded == kept


def test_sigterm_during_archive_is_exit_143(cli: CLI) -> None:
    _checked(cli, "/page/a", "/page/b")
    with FakeWayback(cdx_latency_s=5) as slow:
        env = dict(cli.env, CITECHECK_WAYBACK_URL=slow.base)
        process = subprocess.Popen(
            [sys.executable, "-m", "citecheck", "archive"],
            cwd=cli.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while slow.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM: 0 look-ups" in stderr
    assert _runs(cli)[-1] == ("archive", "interrupted")


# -- 5. a rejected CSV creates and changes nothing ----------------------------------------


def test_a_rejected_csv_creates_no_database(cli: CLI) -> None:
    (cli.cwd / "sources.csv").write_text("url,title\nhttps://a.example/,x,y\n")
    result = cli("check")
    assert result.returncode == 2
    assert "line 2: 3 fields, but the header has 2" in result.stderr
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["sources.csv"]


@pytest.mark.sqlite_only
def test_a_rejected_csv_leaves_an_existing_database_unchanged(cli: CLI) -> None:
    _checked(cli, "/ok")
    before = hashlib.sha256((cli.cwd / "archive.db").read_bytes()).hexdigest()
    (cli.cwd / "sources.csv").write_text("url,title\nhttps://a.example/,x,y\n")
    for command in ("check", "run"):
        assert cli(command).returncode == 2
    assert hashlib.sha256((cli.cwd / "archive.db").read_bytes()).hexdigest() == before


# -- 6. extract: stale rows and claims ----------------------------------------------------


def test_extract_reports_a_corrected_url_and_prune_drops_the_old_row(cli: CLI) -> None:
    document = cli.cwd / "campaign.txt"
    document.write_text("Police used face search: https://news.example/old-story\n")
    assert cli("extract", "campaign.txt").returncode == 0
    document.write_text("Police used face search: https://news.example/new-story\n")

    reported = cli("extract", "campaign.txt")
    assert reported.returncode == 0, reported.stderr
    assert (
        "campaign.txt:1: no longer cites https://news.example/old-story"
        " (the row in sources.csv is kept; --prune drops it)"
    ) in reported.stdout
    pruned = cli("extract", "campaign.txt", "--prune")
    assert "1 pruned" in pruned.stdout
    rows = list(csv.DictReader((cli.cwd / "sources.csv").open(encoding="utf-8")))
    assert [(row["url"], row["cited_in"]) for row in rows] == [
        ("https://news.example/new-story", "campaign.txt:1")
    ]


def test_two_links_on_a_line_get_their_own_sentences(cli: CLI) -> None:
    (cli.cwd / "campaign.md").write_text(
        "PimEyes lets anyone search faces ([CNN](https://news.example/a)). See also the"
        " [EDRi report](https://edri.example/r) on biometric mass surveillance.\n"
    )
    assert cli("extract", "campaign.md").returncode == 0
    rows = list(csv.DictReader((cli.cwd / "sources.csv").open(encoding="utf-8")))
    claims = {row["url"]: row["context"] for row in rows}
    assert claims == {
        "https://news.example/a": "PimEyes lets anyone search faces",
        "https://edri.example/r": "See also the EDRi report on biometric mass surveillance.",
    }


# -- 8. the smaller points ----------------------------------------------------------------


def test_verbose_columns_line_up_and_a_redirect_shows_its_301(cli: CLI) -> None:
    cli.write_sources(
        [
            cli.web.url("/redirect/301?to=/page/moved", host="news.test"),
            cli.web.url("/ok", host="news.test"),
            cli.web.url("/status/404", host="news.test"),
        ]
    )
    result = cli("check", "-v", now=NOW)
    lines = [line for line in result.stdout.splitlines()[:3] if "http://" in line]
    assert len(lines) == 3, result.stdout
    assert len({line.index("http://") for line in lines}) == 1  # one URL column
    (redirect,) = [line for line in lines if "redirect_unverified" in line]
    assert redirect.split()[2] == "301"


def test_fix_on_a_pdf_says_pdfs_are_not_rewritten(cli: CLI) -> None:
    _checked(cli, "/ok")
    (cli.cwd / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = cli("fix", "report.pdf")
    assert result.returncode == 2
    assert "report.pdf: PDFs are not rewritten" in result.stderr
    _no_traceback(result)


def test_a_utf16_text_document_is_read(cli: CLI) -> None:
    text = "Café claim: https://news.example/utf16\n"
    (cli.cwd / "notes.txt").write_bytes(text.encode("utf-16"))
    result = cli("extract", "notes.txt")
    assert result.returncode == 0, result.stderr
    assert "notes.txt: 1 citations of 1 URLs" in result.stdout


def test_every_command_gives_the_same_no_database_hint(cli: CLI) -> None:
    (cli.cwd / "doc.md").write_text("x\n")
    hints = set()
    for args in (
        ("report", "--format", "md"),
        ("archive",),
        ("fix", "doc.md"),
        ("history", "https://a.example/"),
    ):
        result = cli(*args)
        assert result.returncode == 2, args
        hints.add(result.stderr.strip())
    name = "archive.db" if cli.db_url is None else cli.db_url
    assert hints == {
        f"Error: {name}: no such database (create it with 'citecheck check' or 'citecheck run')"
    }


def test_sigint_during_run_still_writes_reports_that_say_so(cli: CLI) -> None:
    cli.web.latency_s = 1.0
    cli.write_sources([cli.web.url(f"/page/p{n}", host=HOSTS[n % 6]) for n in range(12)])
    process = cli.popen("run")
    deadline = time.monotonic() + 30
    while cli.web.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert _runs(cli) == [("run", "interrupted")]  # no archive step after it
    markdown = (cli.cwd / "report.md").read_text()
    assert "was interrupted before it finished" in markdown.split("| Status")[0]
    assert json.loads((cli.cwd / "report.json").read_text())["last_run"]["outcome"] == (
        "interrupted"
    )


def test_archive_verbose_off_a_terminal_prints_a_line_per_step(
    cli: CLI, wayback: FakeWayback
) -> None:
    _checked(cli, "/page/a", "/page/b")
    result = cli("archive", "-v", "--no-save")
    assert result.returncode == 0, result.stderr
    steps = [line for line in result.stderr.splitlines() if line.startswith("Archive: ")]
    assert steps[-1].startswith("Archive: 2 looked up, 0 left")
