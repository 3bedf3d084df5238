"""Issue 10: one bad link or one odd answer never stops the night. The real CLI in a
subprocess against hostile routes of the fake web and a hostile fake Wayback (the
"issue 10" block of tests/servers.py): each finding is recorded on its own unit, the
healthy links are checked, the reports are written, and the exit code is never 1 for
a crash nor a traceback on the terminal."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from clirunner import CLI
from servers import HostileWayback, install_hostile_routes

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"


@pytest.fixture
def hostile(cli: CLI) -> CLI:
    install_hostile_routes(cli.web)
    return cli


@pytest.fixture
def archive(cli: CLI) -> Iterator[HostileWayback]:
    with HostileWayback() as server:
        server.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
        cli.env["CITECHECK_WAYBACK_URL"] = server.base
        for name in ("CDX", "SAVES", "STATUS"):
            cli.env[f"CITECHECK_WAYBACK_{name}_PER_MIN"] = "60000"
        cli.env.pop("IA_ACCESS_KEY", None)
        cli.env.pop("IA_SECRET_KEY", None)
        yield server


def _no_crash(result) -> None:
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _report(cli: CLI) -> dict[str, dict]:
    data = json.loads((cli.cwd / "report.json").read_text(encoding="utf-8"))
    return {link["url"]: link for link in data["links"]}


def test_invalid_idna_hosts_and_a_redirect_to_one_are_recorded_per_link(hostile: CLI) -> None:
    ok = hostile.web.url("/ok", host="news.test")
    to_bad = hostile.web.url("/hostile/to-bad-idna", host="news.test")
    emoji, bad_label = "http://xn--ls8h.la/", "http://xn--zz.example/"
    hostile.write_sources([ok, emoji, bad_label, to_bad])

    result = hostile("check")

    _no_crash(result)
    links = hostile.links()
    assert links[ok]["status"] == "ok"
    assert (links[emoji]["status"], links[emoji]["reason"]) == ("skipped", "unsupported_host")
    assert links[bad_label]["reason"] == "invalid_url"
    assert (links[to_bad]["status"], links[to_bad]["reason"]) == ("broken", "invalid_url")
    assert "redirected to an invalid URL" in links[to_bad]["detail"]


def test_charsets_no_browser_knows_are_ignored_not_fatal(hostile: CLI) -> None:
    pages = [hostile.web.url(f"/hostile/charset/{case}") for case in ("punycode", "undefined")]
    hostile.write_sources(pages)

    _no_crash(hostile("check"))

    for url in pages:
        link = hostile.links()[url]
        assert (link["status"], link["title"]) == ("ok", "Café hostile")


def test_a_retry_after_of_superscript_two_is_no_advice(hostile: CLI) -> None:
    busy, ok = hostile.web.url("/hostile/retry-after-b2"), hostile.web.url("/ok")
    hostile.write_sources([busy, ok])

    _no_crash(hostile("check", "--timeout", "5"))

    links = hostile.links()
    assert (links[busy]["status"], links[busy]["http_status"]) == ("failing", 503)
    assert links[ok]["status"] == "ok"


def test_a_70_kb_url_is_invalid_and_the_archive_skips_it(
    hostile: CLI, archive: HostileWayback
) -> None:
    huge = hostile.web.url("/page/" + "a" * 70_000)
    ok = hostile.web.url("/ok")
    hostile.write_sources([huge, ok])

    result = hostile("run", "-v", now=NOW)

    _no_crash(result)
    links = _report(hostile)
    assert (links[huge]["status"], links[huge]["reason"]) == ("broken", "invalid_url")
    assert links[ok]["status"] == "ok"
    assert all(len(r.path) < 10_000 for r in archive.requests)  # never asked about it
    again = hostile("run", "--all", now="2025-06-02T12:00:00+00:00")  # and not the next night
    _no_crash(again)


@pytest.mark.parametrize(
    "cdx_body",
    [
        # a timestamp in Arabic-Indic digits (\d matches them)
        '[["timestamp","original","statuscode","mimetype","digest"],'
        '["٢٠٢٤٠١٠١٠٠٠٠٠٠","{url}","200","text/html","D1"]]',
        '[["timestamp","original","statuscode","mimetype","digest"],'
        '["20240101000000","{url}","²","text/html","D1"]]',
        '[["timestamp","original","statuscode","mimetype","digest"],'
        '["20240101000000","{url}","200",7,"D1"]]',
        '[["timestamp","original","statuscode","mimetype","digest"],'
        '["20240101000000","{url}","200","text/html",{"a":1}]]',
        "[" * 100_000 + "]" * 100_000,
        '[["timestamp","original","statuscode","mimetype","digest"],'
        '["20240101000000","{url})[click](javascript:alert(1))","200","text/html","D1"],'
        '["20240101000000","http://evil.example/","200","text/html","D1"],'
        '["20240101000000","None","200","text/html","D1"]]',
    ],
    ids=["arabic-digits", "superscript-status", "int-mimetype", "dict-digest", "deep", "original"],
)
def test_malformed_cdx_answers_are_refused_and_never_poison_later_runs(
    hostile: CLI, archive: HostileWayback, cdx_body: str
) -> None:
    dead = hostile.web.url("/status/404", host="news.test")
    hostile.write_sources([dead])
    archive.cdx_body = cdx_body.replace("{url}", dead).encode("utf-8")

    first = hostile("run", "--no-save", now=NOW)
    _no_crash(first)
    assert _report(hostile)[dead]["archive_url"] is None

    archive.cdx_body = None  # the archive answers normally again
    archive.add_capture(dead, "20240101000000")
    second = hostile("archive", now="2025-06-05T12:00:00+00:00")
    assert second.returncode == 0, second.stderr
    assert hostile.links()[dead]["archive_url"] == f"{archive.base}/web/20240101000000/{dead}"

    document = hostile.cwd / "campaign.md"
    document.write_text(f"See [the report]({dead}).\n", encoding="utf-8")
    fixed = hostile("fix", str(document), "--write")
    assert fixed.returncode == 0, fixed.stderr
    text = document.read_text(encoding="utf-8")
    assert "javascript:" not in text and "evil.example" not in text and "/None" not in text


@pytest.mark.parametrize("job_id", ["spn2-\x01\x1b[2Jabc", "j" * 900_000])
def test_hostile_spn2_job_ids_are_never_stored(
    hostile: CLI, archive: HostileWayback, job_id: str
) -> None:
    live = hostile.web.url("/ok", host="news.test")
    hostile.write_sources([live])
    hostile.env["IA_ACCESS_KEY"], hostile.env["IA_SECRET_KEY"] = "key", "secret"
    archive.job_id = job_id

    _no_crash(hostile("run", now=NOW))
    again = hostile("archive", now="2025-06-02T12:00:00+00:00")

    assert again.returncode == 0, again.stderr
    states = hostile.sql("SELECT state, job_id FROM captures")
    assert states and all(state != "pending" and stored is None for state, stored in states)


@pytest.mark.sqlite_only  # an older version's SQLite file (PostgreSQL refuses a NUL in text)
def test_bad_values_an_older_version_stored_are_quarantined_with_a_note(
    hostile: CLI, archive: HostileWayback
) -> None:
    dead = hostile.web.url("/status/404", host="news.test")
    live = hostile.web.url("/ok", host="news.test")
    hostile.write_sources([dead, live])
    assert hostile("check").returncode == 1
    conn = sqlite3.connect(hostile.cwd / "archive.db")
    try:
        with conn:
            ids = dict(conn.execute("SELECT url, id FROM links"))
            conn.execute(
                "INSERT INTO archive_lookups (link_id, looked_up_at, anchor, timestamp,"
                " archive_url, found_by) VALUES (?, ?, NULL, ?, ?, 'cdx-before')",
                (
                    ids[dead],
                    "2025-05-01T00:00:00+00:00",
                    "٢٠٢٤٠١٠١٠٠٠٠٠٠",
                    f"{archive.base}/web/٢٠٢٤٠١٠١٠٠٠٠٠٠/javascript:alert(1)",
                ),
            )
            conn.execute(
                "INSERT INTO captures (link_id, requested_at, mode, job_id, state)"
                " VALUES (?, '2025-05-01T00:00:00+00:00', 'spn2', ?, 'pending')",
                (ids[live], "bad\x00job" + "x" * 5000),
            )
    finally:
        conn.close()
    document = hostile.cwd / "campaign.md"
    document.write_text(f"See [the report]({dead}).\n", encoding="utf-8")

    assert hostile("fix", str(document), "--write").returncode == 0
    assert "javascript:" not in document.read_text(encoding="utf-8")
    result = hostile("archive", "--no-save", now=NOW)

    assert result.returncode == 0, result.stderr
    log = (hostile.cwd / "archive-errors.log").read_text(encoding="utf-8")
    assert "quarantined the look-up" in log and "is not a job id" in log
    conn = sqlite3.connect(hostile.cwd / "archive.db")
    try:
        (state, detail) = conn.execute("SELECT state, detail FROM captures").fetchone()
    finally:
        conn.close()
    assert state == "failed" and detail.startswith("quarantined:")


def test_exclude_private_refuses_shared_space_and_6to4_embeddings(hostile: CLI) -> None:
    cgnat = hostile.web.url("/ok", host="cgnat.test")
    sixtofour = "http://[2002:7f00:1::]/"
    public = hostile.web.url("/ok", host="news.test")
    hostile.write_sources([cgnat, sixtofour, public])

    result = hostile(
        "check",
        "--exclude-private",
        "--resolve",
        "cgnat.test:100.64.0.7",
        "--resolve",
        "news.test:127.0.0.1",
        resolve=False,
    )

    _no_crash(result)
    links = hostile.links()
    for url in (cgnat, sixtofour, public):  # the fake web itself is on loopback
        assert (links[url]["status"], links[url]["reason"]) == ("skipped", "private_address")


def test_by_default_a_redirect_into_loopback_is_followed_as_documented(hostile: CLI) -> None:
    """README, "Private addresses": the default allows it (a campaign may cite its
    intranet), so the internal page's title is recorded; an unattended job turns
    exclude.private on (examples/citecheck.toml), which refuses every loopback hop."""
    hop = hostile.web.url(f"/hostile/to-loopback?port={hostile.web.port}", host="news.test")
    hostile.write_sources([hop])

    _no_crash(hostile("check"))

    assert hostile.links()[hop]["title"] == "Internal"
