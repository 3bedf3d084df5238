"""A copy in the other archives, chosen with the Wayback Machine's and verified
(archive/elsewhere.py), over respx."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import respx

from citecheck.archive.elsewhere import Elsewhere
from citecheck.archive.memento_client import MementoClient
from citecheck.archive.policy import CopyWanted
from citecheck.captures import Snapshot
from citecheck.config import ArchiveSettings, MementoArchive, MementoSettings, RateLimit

PAGE = "https://news.example/story"
WANTED = CopyWanted(
    mode="before",
    anchor=datetime(2019, 6, 1, tzinfo=UTC),
    not_after=datetime(2024, 1, 1, tzinfo=UTC),
)


def _archive(key: str) -> MementoArchive:
    return MementoArchive(
        key=key,
        name=key.title(),
        timemap_url=f"https://{key}.example/timemap/link/",
        rate=RateLimit(60000),
        timeout_s=1.0,
        hosts=(f"{key}.example",),
    )


ONE, TWO = _archive("one"), _archive("two")


async def _no_sleep(_: float) -> None:
    return None


def _elsewhere(http: httpx.AsyncClient) -> Elsewhere:
    memento = MementoSettings(archives=(ONE, TWO))
    settings = ArchiveSettings(memento=memento)
    return Elsewhere(MementoClient(http, memento, sleep=_no_sleep), settings)


def _iso_timemap(host: str, *timestamps: str) -> httpx.Response:
    entries = [
        f'<https://{host}/{ts}/{PAGE}>; rel="memento"; '
        f'datetime="{datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%a, %d %b %Y %H:%M:%S GMT")}"'
        for ts in timestamps
    ]
    return httpx.Response(200, text=",\n".join(entries))


def test_only_a_link_without_a_wayback_copy_before_the_date_is_looked_for() -> None:
    before = Snapshot("20190101000000", PAGE, 200, found_by="cdx-before")
    after = Snapshot("20200101000000", PAGE, 200, found_by="cdx-after")
    assert not Elsewhere.wanted(WANTED, before)
    assert Elsewhere.wanted(WANTED, after) and Elsewhere.wanted(WANTED, None)
    assert not Elsewhere.wanted(CopyWanted(mode="latest", anchor=WANTED.anchor), None)


@respx.mock
async def test_a_429_skips_the_archive_and_the_other_ones_copy_is_chosen() -> None:
    respx.get(f"https://one.example/timemap/link/{PAGE}").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    respx.get(f"https://two.example/timemap/link/{PAGE}").mock(
        return_value=_iso_timemap("two.example", "20190301000000")
    )
    respx.get(f"https://two.example/20190301000000/{PAGE}").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "text/html"})
    )
    async with httpx.AsyncClient() as http:
        answer = await _elsewhere(http).look(PAGE, WANTED, "text/html", [])
    assert answer.chosen is not None and answer.chosen.archive == "two"
    assert answer.chosen.found_by == "memento-before" and answer.chosen.status_code == 200
    assert answer.copies == 1
    assert answer.skipped and answer.skipped[0][0] == "One"


@respx.mock
async def test_an_archive_that_keeps_timing_out_is_closed_for_the_run() -> None:
    one = respx.get(f"https://one.example/timemap/link/{PAGE}").mock(
        side_effect=httpx.ConnectTimeout("slow")
    )
    respx.get(f"https://two.example/timemap/link/{PAGE}").mock(return_value=httpx.Response(404))
    async with httpx.AsyncClient() as http:
        elsewhere = _elsewhere(http)
        for _ in range(3):
            answer = await elsewhere.look(PAGE, WANTED, None, [])
            assert answer.chosen is None
    assert one.call_count == 2
    assert elsewhere.summary() == ("One was skipped for 3 look-ups: One did not answer in 1 s",)


@respx.mock
async def test_a_later_wayback_copy_stands_when_no_memento_verifies() -> None:
    respx.get(f"https://one.example/timemap/link/{PAGE}").mock(
        return_value=_iso_timemap("one.example", "20190301000000", "20190401000000")
    )
    respx.get(f"https://two.example/timemap/link/{PAGE}").mock(return_value=httpx.Response(404))
    respx.get(f"https://one.example/20190401000000/{PAGE}").mock(
        return_value=httpx.Response(302, headers={"Location": "https://login.example/"})
    )
    respx.get(f"https://one.example/20190301000000/{PAGE}").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "application/pdf"})
    )
    later = Snapshot("20200101000000", PAGE, 200, "text/html", found_by="cdx-after")
    async with httpx.AsyncClient() as http:
        answer = await _elsewhere(http).look(PAGE, WANTED, "text/html", [(later, None)])
    assert answer.chosen is not None and answer.chosen.timestamp == "20200101000000"
    why = {snapshot.timestamp: reason for snapshot, reason in answer.judged}
    assert why["20190401000000"] == "redirects off the archive"
    assert "application/pdf" in (why["20190301000000"] or "")
    assert answer.copies == 1  # only the Wayback Machine's copy stands
