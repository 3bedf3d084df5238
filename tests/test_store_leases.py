"""Host leases (store/leases.py) and worker runs in ``begin_run``, on both backends."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from citecheck.store import Store
from citecheck.store.leases import run_lease_key

T0 = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def stores(store_backend: str):
    """Two stores open on one database: two workers' connections."""
    with Store.open(store_backend) as first, Store.open(store_backend) as second:
        yield first, second


def test_a_host_is_claimed_by_one_worker_at_a_time(stores) -> None:
    a, b = stores
    assert a.claim_host("example.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    assert not b.claim_host("example.org", holder="2@m2", run_id=None, now=T0, lease=LEASE)
    assert b.claim_host("example.net", holder="2@m2", run_id=None, now=T0, lease=LEASE)
    assert a.host_lease("example.org") == ("1@m1", T0 + LEASE)
    assert a.host_lease("example.net") == ("2@m2", T0 + LEASE)


def test_an_expired_lease_is_taken_over_and_its_holder_cannot_renew_it(stores) -> None:
    a, b = stores
    assert a.claim_host("example.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    just_before = T0 + LEASE - timedelta(microseconds=1)
    assert not b.claim_host("example.org", holder="2@m2", run_id=None, now=just_before, lease=LEASE)
    later = T0 + LEASE
    assert b.claim_host("example.org", holder="2@m2", run_id=None, now=later, lease=LEASE)
    assert a.renew_hosts(["example.org"], holder="1@m1", now=later, lease=LEASE) == ["example.org"]
    assert a.host_lease("example.org") == ("2@m2", later + LEASE)


def test_a_renewed_lease_outlives_its_first_expiry(stores) -> None:
    a, b = stores
    a.claim_host("example.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    renewed_at = T0 + timedelta(seconds=20)
    assert a.renew_hosts(["example.org"], holder="1@m1", now=renewed_at, lease=LEASE) == []
    assert not b.claim_host("example.org", holder="2@m2", run_id=None, now=T0 + LEASE, lease=LEASE)
    assert b.claim_host(
        "example.org", holder="2@m2", run_id=None, now=renewed_at + LEASE, lease=LEASE
    )


def test_a_released_host_is_free_at_once_and_only_its_holder_releases_it(stores) -> None:
    a, b = stores
    a.claim_host("example.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    b.release_host("example.org", holder="2@m2")  # not b's: nothing happens
    assert a.host_lease("example.org") is not None
    a.release_host("example.org", holder="1@m1")
    assert a.host_lease("example.org") is None
    assert b.claim_host("example.org", holder="2@m2", run_id=None, now=T0, lease=LEASE)


def test_claiming_a_host_again_renews_it(stores) -> None:
    a, _ = stores
    a.claim_host("example.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    later = T0 + timedelta(seconds=30)
    assert a.claim_host("example.org", holder="1@m1", run_id=None, now=later, lease=LEASE)
    assert a.host_lease("example.org") == ("1@m1", later + LEASE)


def _outcome(store: Store, run_id: int) -> str:
    return next(run["outcome"] for run in store.runs() if run["id"] == run_id)


def _running_run(store: Store, *, pid: int, machine: str, worker: bool) -> int:
    """A run left ``running``, as another process or machine would leave it."""
    run_id = store.begin_run("run", now=T0, worker=worker)
    with store._conn.write():
        store._conn.execute(
            "UPDATE runs SET pid = ?, machine = ? WHERE id = ?", (pid, machine, run_id)
        )
    return run_id


def test_a_live_worker_run_of_another_machine_is_not_marked_interrupted(stores) -> None:
    a, b = stores
    elsewhere = _running_run(a, pid=os.getpid(), machine="another-machine", worker=True)
    a.claim_host(run_lease_key(elsewhere), holder="9@another-machine", run_id=elsewhere,
                 now=T0, lease=LEASE)  # fmt: skip
    dead_here = _running_run(a, pid=2**22 + 12345, machine=socket.gethostname(), worker=True)
    live_here = _running_run(a, pid=os.getpid(), machine=socket.gethostname(), worker=True)
    run_elsewhere_unlocked = _running_run(a, pid=1, machine="another-machine", worker=False)
    b.begin_run("run", now=T0, worker=True)
    assert _outcome(b, elsewhere) == "running"
    assert _outcome(b, live_here) == "running"
    assert _outcome(b, dead_here) == "interrupted"
    # a normal run holds the writer lock while it lives; nobody holds it: it is over
    assert _outcome(b, run_elsewhere_unlocked) == "interrupted"


def test_a_worker_run_whose_lease_on_itself_lapsed_is_marked_interrupted(stores) -> None:
    """A worker killed on another machine (or the machine lost) stops renewing its
    run's lease; the next run to start, anywhere, marks the run interrupted."""
    a, b = stores
    run_id = a.begin_run("run", now=T0, worker=True, lease=LEASE)
    assert a.host_lease(run_lease_key(run_id)) is not None  # begun with its lease
    with a._conn.write():
        a._conn.execute("UPDATE runs SET machine = 'lost-machine' WHERE id = ?", (run_id,))
    b.begin_run("run", now=T0 + LEASE - timedelta(seconds=1), worker=True)
    assert _outcome(b, run_id) == "running"  # its lease is live: it may be working
    later = T0 + LEASE
    b.begin_run("run", now=later, worker=True)
    assert _outcome(b, run_id) == "interrupted"
    assert b.host_lease(run_lease_key(run_id)) is None  # its lapsed lease goes with it


def test_finishing_a_worker_run_ends_its_lease(stores) -> None:
    a, _ = stores
    run_id = a.begin_run("run", now=T0, worker=True, lease=LEASE)
    a.finish_run(run_id, now=T0, outcome="finished", summary={})
    assert a.host_lease(run_lease_key(run_id)) is None
    assert _outcome(a, run_id) == "finished"


def test_of_many_workers_racing_for_one_expired_lease_exactly_one_wins(
    store_backend: str,
) -> None:
    with Store.open(store_backend) as first:
        first.claim_host("example.org", holder="0@m0", run_id=None, now=T0, lease=LEASE)
    racers = 6
    start = threading.Barrier(racers)

    def claim(n: int) -> bool:
        with Store.open(store_backend) as store:  # a connection of its own, in its thread
            start.wait()
            return store.claim_host(
                "example.org", holder=f"{n + 1}@m", run_id=None, now=T0 + LEASE, lease=LEASE
            )

    with concurrent.futures.ThreadPoolExecutor(racers) as pool:
        won = list(pool.map(claim, range(racers)))
    assert won.count(True) == 1
    with Store.open(store_backend) as store:
        assert store.host_lease("example.org") == (f"{won.index(True) + 1}@m", T0 + 2 * LEASE)


def test_the_hosts_held_by_others_are_read_in_one_look(stores) -> None:
    a, b = stores
    a.claim_host("mine.org", holder="1@m1", run_id=None, now=T0, lease=LEASE)
    b.claim_host("theirs.org", holder="2@m2", run_id=None, now=T0, lease=LEASE)
    b.claim_host("lapsed.org", holder="2@m2", run_id=None, now=T0 - LEASE, lease=LEASE)
    hosts = ["mine.org", "theirs.org", "lapsed.org", "free.org"]
    assert a.hosts_held_by_others(hosts, holder="1@m1", now=T0) == {"theirs.org"}
    assert a.hosts_held_by_others([], holder="1@m1", now=T0) == set()
    assert b.hosts_held_by_others(hosts, holder="2@m2", now=T0 + LEASE) == set()
