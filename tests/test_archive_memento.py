"""Memento answers parsed and validated (archive/memento.py), the client over respx
(archive/memento_client.py), and ``[archives]`` read (archive/archives.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from citecheck.archive.archives import DEFAULT_ARCHIVES, memento_settings_from_table
from citecheck.archive.memento import (
    memento_problem,
    nearest,
    parse_link_format,
    parse_memento_datetime,
    parse_timemap,
)
from citecheck.archive.memento_client import MementoClient
from citecheck.captures import Snapshot
from citecheck.config import MementoArchive, MementoSettings, RateLimit
from citecheck.errors import ArchiveError, ArchiveUnavailableError

PAGE = "https://news.example/story"
HOSTS = ("arquivo.pt",)
LINK_TIMEMAP = f"""<{PAGE}>; rel="original",
<https://arquivo.pt/wayback/timemap/link/{PAGE}>; rel="self"; type="application/link-format",
<https://arquivo.pt/wayback/20190301101500/{PAGE}>; rel="first memento";
  datetime="Fri, 01 Mar 2019 10:15:00 GMT",
<https://arquivo.pt/wayback/20200102030405/{PAGE}?a=1,2>; rel="memento";
  datetime="Thu, 02 Jan 2020 03:04:05 GMT"
""".encode()


def test_link_format_is_read_with_commas_inside_uris_and_quoted_params() -> None:
    links = parse_link_format(LINK_TIMEMAP.decode())
    assert len(links) == 4
    assert links[3][0].endswith("?a=1,2")
    assert links[2][1] == {"rel": "first memento", "datetime": "Fri, 01 Mar 2019 10:15:00 GMT"}


def test_a_timemap_gives_mementos_with_their_datetimes() -> None:
    found, refused = parse_timemap(LINK_TIMEMAP, archive="arquivo-pt", url=PAGE, hosts=HOSTS)
    assert refused == 1  # the memento of ?a=1,2 is a copy of another page
    assert [(m.timestamp, m.archive, m.status_code) for m in found] == [
        ("20190301101500", "arquivo-pt", None),
    ]
    assert found[0].memento_url == f"https://arquivo.pt/wayback/20190301101500/{PAGE}"


def test_a_json_timemap_is_read() -> None:
    body = (
        b'{"original_uri": "x", "mementos": {"list": ['
        b'{"datetime": "2019-03-01T10:15:00Z", "uri": "https://arquivo.pt/wayback/'
        b'20190301101500/https://news.example/story"}, {"datetime": 5, "uri": []}]}}'
    )
    found, refused = parse_timemap(body, archive="a", url=PAGE, hosts=HOSTS, json_format=True)
    assert [m.timestamp for m in found] == ["20190301101500"] and refused == 1


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Service unavailable</body></html>", b"\xff\xfe", b'{"mementos": 3}'],
)
def test_an_answer_that_is_no_timemap_is_an_error_not_none(body: bytes) -> None:
    with pytest.raises(ArchiveError):
        parse_timemap(body, archive="a", url=PAGE, hosts=HOSTS, json_format=body.startswith(b"{"))


def test_a_deep_json_answer_is_refused() -> None:
    with pytest.raises(ArchiveError, match="nested"):
        parse_timemap(b"[" * 5000, archive="a", url=PAGE, hosts=HOSTS, json_format=True)


def test_an_empty_answer_is_no_mementos() -> None:
    assert parse_timemap(b"  \n", archive="a", url=PAGE, hosts=HOSTS) == ([], 0)


@pytest.mark.parametrize(
    ("memento", "why"),
    [
        (f"https://evil.example/20190301101500/{PAGE}", "not on the archive's hosts"),
        ("javascript:alert(1)", "not http(s)"),
        (f'https://arquivo.pt/wayback/20190301101500/{PAGE}" onclick="x', "quotes"),
        ("https://arquivo.pt/wayback/20190301101500/https://other.example/", "another page"),
        ("https://arquivo.pt/" + "a" * 9000, "longer"),
        (None, "no memento URL"),
    ],
)
def test_a_memento_url_must_be_the_archives_copy_of_this_page(memento: object, why: str) -> None:
    problem = memento_problem(memento, PAGE, HOSTS)
    assert problem is not None and why in problem


def test_a_memento_on_an_archive_host_with_a_short_id_is_accepted() -> None:
    assert memento_problem("https://archive.ph/AbCdE", PAGE, ("archive.ph",)) is None
    assert memento_problem("https://archive.ph:8443/AbCdE", PAGE, ("archive.ph:443",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri, 01 Mar 2019 10:15:00 GMT", datetime(2019, 3, 1, 10, 15, tzinfo=UTC)),
        ("2019-03-01T10:15:00Z", datetime(2019, 3, 1, 10, 15, tzinfo=UTC)),
        ("20190301101500", datetime(2019, 3, 1, 10, 15, tzinfo=UTC)),
        ("Fri, 31 Feb 2019 10:15:00 GMT", None),
        ("yesterday", None),
        ("١٩٩٩-03-01T10:15:00Z", None),
        ("Fri, 01 Mar 1066 10:15:00 GMT", None),
        (12345, None),
    ],
)
def test_memento_datetimes_are_read_strictly(text: object, expected: datetime | None) -> None:
    assert parse_memento_datetime(text) == expected


def test_only_the_nearest_mementos_are_kept() -> None:
    mementos = [Snapshot(timestamp=f"20{n:02d}0101000000", original=PAGE) for n in range(10, 20)]
    kept = nearest(mementos, datetime(2015, 6, 1, tzinfo=UTC), 2)
    assert [m.timestamp[:4] for m in kept] == ["2014", "2015", "2016", "2017"]


ARCHIVE = MementoArchive(
    key="arquivo-pt",
    name="Arquivo.pt",
    timemap_url="https://arquivo.pt/wayback/timemap/link/",
    timegate_url="https://arquivo.pt/wayback/",
    rate=RateLimit(60000),
    timeout_s=5.0,
    hosts=HOSTS,
)


async def _no_sleep(_: float) -> None:
    return None


def _client(http: httpx.AsyncClient) -> MementoClient:
    return MementoClient(http, MementoSettings(archives=(ARCHIVE,)), sleep=_no_sleep)


@respx.mock
async def test_the_client_reads_a_timemap_and_a_404_is_none() -> None:
    respx.get(f"https://arquivo.pt/wayback/timemap/link/{PAGE}").mock(
        return_value=httpx.Response(200, content=LINK_TIMEMAP)
    )
    respx.get("https://arquivo.pt/wayback/timemap/link/https://news.example/none").mock(
        return_value=httpx.Response(404)
    )
    async with httpx.AsyncClient() as http:
        client = _client(http)
        assert len(await client.timemap(ARCHIVE, PAGE)) == 1
        assert await client.timemap(ARCHIVE, "https://news.example/none") == []


@respx.mock
async def test_the_timegate_is_asked_with_accept_datetime() -> None:
    route = respx.get(f"https://arquivo.pt/wayback/{PAGE}").mock(
        return_value=httpx.Response(
            302,
            headers={
                "Location": f"https://arquivo.pt/wayback/20190301101500/{PAGE}",
                "Link": f'<https://arquivo.pt/wayback/20190301101500/{PAGE}>; rel="memento";'
                ' datetime="Fri, 01 Mar 2019 10:15:00 GMT"',
            },
        )
    )
    async with httpx.AsyncClient() as http:
        found = await _client(http).timegate(ARCHIVE, PAGE, datetime(2019, 6, 1, tzinfo=UTC))
    assert route.calls.last.request.headers["accept-datetime"] == "Sat, 01 Jun 2019 00:00:00 GMT"
    assert [m.timestamp for m in found] == ["20190301101500"]


@respx.mock
async def test_a_memento_that_redirects_to_a_login_is_not_a_copy() -> None:
    memento = f"https://arquivo.pt/wayback/20190301101500/{PAGE}"
    respx.get(memento).mock(
        return_value=httpx.Response(302, headers={"Location": "/users/login?next=x"})
    )
    async with httpx.AsyncClient() as http:
        checked, why = await _client(http).verify(
            ARCHIVE, Snapshot(timestamp="20190301101500", original=PAGE, memento_url=memento)
        )
    assert why == "redirects to a login page"


@respx.mock
async def test_a_timeout_is_an_unavailable_archive() -> None:
    respx.get(f"https://arquivo.pt/wayback/timemap/link/{PAGE}").mock(
        side_effect=httpx.ReadTimeout("slow")
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(ArchiveUnavailableError, match="did not answer"):
            await _client(http).timemap(ARCHIVE, PAGE)


def test_the_defaults_are_the_public_archives_with_hosts() -> None:
    settings = memento_settings_from_table(None)
    names = [archive.name for archive in settings.asked]
    assert names[:3] == ["archive.today", "Arquivo.pt", "UK Web Archive"]
    assert "Perma.cc" not in names  # its endpoint is from an old registry: off by default
    assert len(settings.archives) == len(DEFAULT_ARCHIVES)
    arquivo = next(a for a in settings.archives if a.key == "arquivo-pt")
    assert arquivo.hosts == ("arquivo.pt",) and arquivo.rate.calls == pytest.approx(320)


def test_the_archives_table_changes_adds_and_refuses() -> None:
    settings = memento_settings_from_table(
        {
            "timeout": 7.0,
            "aggregator": "http://localhost:1208/",
            "arquivo-pt": {"enabled": False},
            "mine": {"timemap": "https://arch.example/tm/", "per_minute": 10},
        }
    )
    keys = {archive.key: archive for archive in settings.asked}
    assert "arquivo-pt" not in keys and keys["mine"].hosts == ("arch.example",)
    assert keys["mine"].timeout_s == 7.0 and settings.aggregator_url == "http://localhost:1208"
    assert memento_settings_from_table({"enabled": False}).asked == ()
    for bad, message in [
        ({"mine": {"name": "x"}}, "give it a timemap"),
        ({"mine": {"timemap": "ftp://x/"}}, "http:// or https://"),
        ({"mine": {"timemap": "https://x/", "colour": 1}}, "unknown key 'archives.mine.colour'"),
        ({"loc": {"per_minute": 0}}, "positive"),
        ({"timeout": "soon"}, "positive"),
        ({"stray": 3}, "unknown key 'archives.stray'"),
    ]:
        with pytest.raises(ValueError, match=message):
            memento_settings_from_table(bad)


def test_the_example_configs_archives_table_is_valid() -> None:
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples/citecheck.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8"))["archives"]
    settings = memento_settings_from_table(table)
    keys = [archive.key for archive in settings.asked]
    assert "perma-cc" not in keys and "national-library" not in keys and "loc" in keys


@pytest.mark.parametrize(
    "body",
    [b'<https://arquivo.pt/x>; rel="' + b"a" * 100_000, b"<" + b"a" * 100_000],
)
def test_a_timemap_never_ended_is_refused(body: bytes) -> None:
    with pytest.raises(ArchiveError, match="not in link format"):
        parse_timemap(body, archive="a", url=PAGE, hosts=HOSTS)


def test_mementos_naming_many_other_pages_are_refused_without_comparing_each() -> None:
    entries = [
        f'<https://arquivo.pt/wayback/20190301101500/https://x{n}.example/>; rel="memento";'
        ' datetime="Fri, 01 Mar 2019 10:15:00 GMT"'
        for n in range(500)
    ] + [f'<https://arquivo.pt/wayback/20190301101500/{PAGE}>; rel="memento"; datetime="x"']
    with pytest.raises(ArchiveError, match="none well formed"):
        parse_timemap(",".join(entries).encode(), archive="a", url=PAGE, hosts=HOSTS)
