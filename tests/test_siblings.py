"""siblings.SiblingProbes: one probe per (host, directory), shared while in flight,
remembered once answered; a failed probe is never shared."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from citecheck.fetch import Budget
from citecheck.models import FetchOutcome, PageInfo, Reason
from citecheck.siblings import SiblingProbes


class _Web:
    """A fetch that answers each probe when told to (``answer``), counting them."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def fetch(self, url: str, *, budget: Budget) -> FetchOutcome:
        self.asked.append(url)
        if budget.remaining_s > 0:  # as Fetcher.fetch: no time left, no request
            await self.gate.wait()
        if self.fail or budget.remaining_s <= 0:
            return FetchOutcome(url=url, final_url=url, error=Reason.TIMEOUT)
        return FetchOutcome(url=url, final_url=url, status_code=404, body=b"gone")


def _read(body: bytes, headers: Mapping[str, str]) -> PageInfo:
    return PageInfo(title=body.decode() or None)


def _probes(web: _Web) -> SiblingProbes:
    return SiblingProbes(web.fetch, lambda: "zz9probe", _read)


async def test_links_of_one_directory_wait_for_its_probe_in_flight() -> None:
    web = _Web()
    probes = _probes(web)
    budgets = [Budget(10.0), Budget(10.0)]
    asks = [
        asyncio.ensure_future(probes.answer(f"https://a.test/news/{n}", budget))
        for n, budget in zip(("one", "two"), budgets, strict=True)
    ]
    await asyncio.sleep(0)
    web.gate.set()
    first, second = await asyncio.gather(*asks)
    assert web.asked == ["https://a.test/news/zz9probe"]
    assert first is second and first[0].status_code == 404
    assert 0 < budgets[1].remaining_s <= 10.0  # the wait was taken from its deadline
    # Remembered: a later link of the directory asks nothing; another directory does.
    assert await probes.answer("https://A.test/news/three", Budget(10.0)) is first
    await probes.answer("https://a.test/other/four", Budget(10.0))
    assert web.asked == ["https://a.test/news/zz9probe", "https://a.test/other/zz9probe"]


async def test_a_failed_probe_is_not_shared_and_the_waiter_probes_itself() -> None:
    web = _Web()
    web.fail = True
    probes = _probes(web)
    owner = asyncio.ensure_future(probes.answer("https://a.test/news/one", Budget(10.0)))
    await asyncio.sleep(0)
    waiter = asyncio.ensure_future(probes.answer("https://a.test/news/two", Budget(10.0)))
    await asyncio.sleep(0)
    web.gate.set()
    failed, own = await asyncio.gather(owner, waiter)
    assert failed[0].error is Reason.TIMEOUT and own is not failed
    assert len(web.asked) == 2


async def test_a_waiter_whose_deadline_is_spent_does_not_wait() -> None:
    web = _Web()
    probes = _probes(web)
    owner = asyncio.ensure_future(probes.answer("https://a.test/news/one", Budget(10.0)))
    await asyncio.sleep(0)
    spent = await probes.answer("https://a.test/news/two", Budget(0.0))
    assert spent[0].error is Reason.TIMEOUT  # its own, ended on the deadline at once
    web.gate.set()
    assert (await owner)[0].status_code == 404


async def test_a_cancelled_probe_lets_its_waiters_go_on() -> None:
    web = _Web()
    probes = _probes(web)
    owner = asyncio.ensure_future(probes.answer("https://a.test/news/one", Budget(10.0)))
    await asyncio.sleep(0)
    waiter = asyncio.ensure_future(probes.answer("https://a.test/news/two", Budget(10.0)))
    await asyncio.sleep(0)
    owner.cancel()
    await asyncio.sleep(0)
    web.gate.set()
    assert (await waiter)[0].status_code == 404
    assert len(web.asked) == 2 and owner.cancelled()


async def test_an_answer_is_kept_and_shared_without_its_body() -> None:
    # Up to _CACHE_SIZE directories are remembered: with their bodies (each up to the
    # body cap) that would be memory growing with the run on the real web.
    web = _Web()
    probes = _probes(web)
    ask = asyncio.ensure_future(probes.answer("https://a.test/news/one", Budget(10.0)))
    await asyncio.sleep(0)
    web.gate.set()
    outcome, page = await ask
    assert outcome.status_code == 404 and outcome.body == b""
    assert page.title == "gone"  # read from the body before it was dropped
    remembered, _ = await probes.answer("https://a.test/news/two", Budget(10.0))
    assert remembered.body == b"" and web.asked == ["https://a.test/news/zz9probe"]
