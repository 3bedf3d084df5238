"""Rate limits shared through the database (store/limits.py), on both backends."""

from __future__ import annotations

import pytest

from citecheck.store import Store

T0 = 1_714_964_400.0  # 2024-05-06 03:00 UTC, in epoch seconds


@pytest.fixture
def stores(store_backend: str):
    """Two stores open on one database: two workers' connections."""
    with Store.open(store_backend) as first, Store.open(store_backend) as second:
        yield first, second


def test_two_workers_reserving_in_turn_get_slots_the_interval_apart(stores) -> None:
    a, b = stores
    waits = [store.reserve_slot("wayback-cdx", interval_s=2.0, now=T0) for store in (a, b, a, b)]
    assert waits == [0.0, 2.0, 4.0, 6.0]
    assert a.limit_state("wayback-cdx") == (T0 + 8.0, 0.0)


def test_a_slot_is_free_again_once_its_interval_has_passed(stores) -> None:
    a, b = stores
    assert a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0) == 0.0
    assert b.reserve_slot("wayback-cdx", interval_s=2.0, now=T0 + 1.5) == pytest.approx(0.5)
    assert a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0 + 60.0) == 0.0
    assert b.reserve_slot("wayback-cdx", interval_s=2.0, now=T0 + 60.5) == pytest.approx(1.5)


def test_limits_are_apart_by_name(stores) -> None:
    a, b = stores
    assert a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0) == 0.0
    assert b.reserve_slot("wayback-save", interval_s=10.0, now=T0) == 0.0
    assert b.reserve_slot("wayback-save", interval_s=10.0, now=T0) == 10.0
    assert a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0) == 2.0


def test_a_hold_off_by_one_worker_delays_the_others(stores) -> None:
    a, b = stores
    a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0)
    a.hold_off("wayback-cdx", until=T0 + 30.0)
    assert b.reserve_slot("wayback-cdx", interval_s=2.0, now=T0 + 1.0) == 29.0
    assert a.reserve_slot("wayback-cdx", interval_s=2.0, now=T0 + 1.0) == 31.0
    b.hold_off("wayback-cdx", until=T0 + 10.0)  # a shorter hold-off does not shorten it
    assert b.limit_state("wayback-cdx") == (T0 + 34.0, T0 + 30.0)


def test_a_hold_off_before_any_slot_was_taken(stores) -> None:
    a, b = stores
    a.hold_off("wayback-save", until=T0 + 60.0)
    assert b.reserve_slot("wayback-save", interval_s=5.0, now=T0) == 60.0
    assert b.limit_state("wayback-save") == (T0 + 65.0, T0 + 60.0)
