"""fetch/slots.py: a count of free slots, first come first served, that no
cancellation leaks; and the fetch's plain-call way to its lane and global slot."""

from __future__ import annotations

import asyncio

import pytest

from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.fetch.progress import Deadline
from citecheck.fetch.slots import Slots
from citecheck.lanes import Lanes


async def _turns(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_free_slot_is_taken_without_waiting_and_given_back() -> None:
    slots = Slots(2)
    assert slots.try_take() and slots.try_take()
    assert not slots.try_take() and slots.free == 0
    slots.release()
    await slots.take()  # free again: taken at once
    slots.release()
    slots.release()
    assert slots.free == 2 and slots.waiting == 0
    with pytest.raises(ValueError):
        Slots(-1)


async def test_waiters_are_served_in_turn_and_a_release_goes_to_the_first() -> None:
    slots = Slots(1)
    assert slots.try_take()
    order: list[int] = []

    async def wait(n: int) -> None:
        await slots.take()
        order.append(n)

    tasks = [asyncio.ensure_future(wait(n)) for n in range(3)]
    await _turns()
    assert slots.waiting == 3
    slots.release()
    assert not slots.try_take()  # handed to the first waiter, not to a newcomer
    await _turns()
    assert order == [0]
    slots.release()
    await _turns()
    slots.release()
    await _turns()
    slots.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2] and slots.free == 1 and slots.waiting == 0


@pytest.mark.parametrize("handed_over", [False, True])
async def test_a_cancelled_waiter_leaks_no_slot(handed_over: bool) -> None:
    """Cancelled while waiting, or just after a release handed it the slot (before
    it ran): either way every slot comes back and the next waiter is served."""
    slots = Slots(1)
    assert slots.try_take()
    first = asyncio.ensure_future(slots.take())
    second = asyncio.ensure_future(slots.take())
    await _turns()
    if handed_over:
        slots.release()  # the slot is now the first waiter's, which has not run yet
    first.cancel()
    await _turns()
    assert first.cancelled()
    if not handed_over:
        assert not second.done()
        slots.release()
    await asyncio.wait_for(second, 1)
    slots.release()
    assert slots.free == 1 and slots.waiting == 0


async def test_waiters_cancelled_in_the_queue_are_skipped_by_a_release() -> None:
    slots = Slots(1)
    assert slots.try_take()
    waiters = [asyncio.ensure_future(slots.take()) for _ in range(4)]
    await _turns()
    for task in waiters[:3]:
        task.cancel()
    slots.release()  # before the cancelled ones ran: skips them, serves the last
    await asyncio.wait_for(waiters[3], 1)
    await asyncio.gather(*waiters, return_exceptions=True)
    assert slots.free == 0 and slots.waiting == 0
    slots.release()
    assert slots.free == 1


async def test_a_timeout_while_waiting_leaks_no_slot() -> None:
    slots = Slots(1)
    assert slots.try_take()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await slots.take()
    assert slots.waiting == 0
    slots.release()
    assert slots.free == 1


def _counts(fetcher: Fetcher, host: str) -> tuple[int, int]:
    return fetcher._global_slots.free, fetcher.lanes.in_flight(host)


@pytest.mark.parametrize("point", ["lane", "global slot"])
@pytest.mark.parametrize("handed_over", [False, True])
async def test_the_fetch_wait_for_its_lane_and_slot_leaks_nothing_when_cancelled(
    point: str, handed_over: bool
) -> None:
    """A request waits for its host's lane, then for a global slot (client.py's
    _take_slot); cancel it at each of those waits, before or just after a release
    handed it what it waited for: every lane and slot comes back."""
    fetcher = Fetcher(Settings(per_host=1, concurrency=1, resolve=()))
    lanes = fetcher.lanes
    holder = "a.test" if point == "lane" else "b.test"
    assert lanes.try_acquire(holder) and fetcher._global_slots.try_take()
    async with asyncio.timeout(10) as timeout:
        deadline = Deadline(timeout)
        lane = lanes.try_acquire("a.test")
        assert lane == (point != "lane")
        waiter = asyncio.ensure_future(fetcher._take_slot("a.test", deadline, None, lane))
        await _turns()
        assert not waiter.done()
        assert deadline.remaining_s() == float("inf")  # paused while it waits
        if handed_over:
            fetcher._global_slots.release()
            lanes.release(holder)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert waiter.cancelled()
        assert 9 < deadline.remaining_s() <= 10  # running again
    if not handed_over:
        fetcher._global_slots.release()
        lanes.release(holder)
    assert _counts(fetcher, "a.test") == (1, 0)
    assert lanes._lanes == {} and fetcher._global_slots.waiting == 0


async def test_try_acquire_takes_a_kept_lane_and_gives_back_another_hosts() -> None:
    lanes = Lanes(1)
    reservation = lanes.reserve("a.test")
    assert not lanes.try_acquire("a.test")  # kept for the reservation's link
    assert lanes.try_acquire("a.test", reservation) and lanes.in_flight("a.test") == 1
    assert not lanes.try_acquire("a.test", reservation)  # used up
    lanes.release("a.test")
    other = lanes.reserve("b.test")
    assert lanes.try_acquire("a.test", other)  # kept for another host: given back
    assert not lanes.has_room("a.test") and lanes.has_room("b.test")
    lanes.release("a.test")
    lanes.pause("a.test", 5.0)
    fresh = lanes.reserve("a.test")
    assert not lanes.try_acquire("a.test", fresh)  # a pause holds even a kept lane
    assert fresh.is_for("a.test")  # and the reservation is still kept
    fresh.cancel()
