"""newsbot.db.leases on SQLite and PostgreSQL: one holder at a time among racing processes,
renewal, hand-over, take-over after a dead holder's lease expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from newsbot import db
from newsbot.db.advisory import AdvisoryLeader
from newsbot.db.leases import Leader, LeaseStore, leader_for
from tests.helpers.databases import BOTH

BACKENDS = BOTH


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[list[LeaseStore]]:
    """Lease stores on three engines of their own: three processes on one database."""
    await db.upgrade_async(database_url)
    engines = [db.make_engine(database_url) for _ in range(3)]
    try:
        yield [LeaseStore(db.make_sessionmaker(engine)) for engine in engines]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_one_of_many_racing_takers_gets_a_new_lease(stores: list[LeaseStore]) -> None:
    holders = [f"p{i}" for i in range(9)]
    taken = await asyncio.gather(
        *(stores[i % 3].take("role", holder, ttl=30) for i, holder in enumerate(holders))
    )
    assert sum(taken) == 1
    winner = holders[taken.index(True)]
    assert await stores[1].holder("role") == winner
    # Taken: the others still can't have it, the holder renews it.
    assert await stores[0].take("role", "latecomer", ttl=30) is False
    assert await stores[2].take("role", winner, ttl=30) is True
    # Each name is a lease of its own.
    assert await stores[0].take("other role", "latecomer", ttl=30) is True


async def test_an_expired_lease_goes_to_the_next_taker(stores: list[LeaseStore]) -> None:
    # A second of lease: the next take must come within it, which at a load of 8 on 2 cores
    # a fifth of a second did not always.
    assert await stores[0].take("role", "dead", ttl=1.0)
    assert not await stores[1].take("role", "alive", ttl=5)
    await asyncio.sleep(1.1)
    assert await stores[1].holder("role") is None
    taken = await asyncio.gather(stores[1].take("role", "a", ttl=5), stores[2].take("role", "b", 5))
    assert sorted(taken) == [False, True]


async def test_give_up_frees_the_lease_only_for_its_holder(stores: list[LeaseStore]) -> None:
    assert await stores[0].take("role", "a", ttl=30)
    await stores[1].give_up("role", "b")  # not b's to give
    assert await stores[1].holder("role") == "a"
    await stores[0].give_up("role", "a")
    assert await stores[1].take("role", "b", ttl=30)


async def test_leaders_take_turns_and_renew(stores: list[LeaseStore]) -> None:
    first = Leader(stores[0], "sender", holder="first", ttl=1.0, margin=0.3, poll=0.05)
    second = Leader(stores[1], "sender", holder="second", ttl=1.0, margin=0.3, poll=0.05)
    assert await first.try_acquire() and first.valid
    waiting = asyncio.create_task(second.acquire())
    await asyncio.sleep(2.5)  # more than two lease lengths: the renewer keeps it
    assert first.valid and not waiting.done()
    assert await stores[2].holder("sender") == "first"
    await first.release()
    assert not first.valid
    assert await asyncio.wait_for(waiting, 1.0) is True
    assert second.valid and await stores[2].holder("sender") == "second"
    await second.release()


async def test_a_holder_that_stops_renewing_loses_the_role_to_the_next(
    stores: list[LeaseStore],
) -> None:
    # The dead holder: a lease taken by a process that then stopped (no Leader renews it).
    assert await stores[0].take("sender", "dead", ttl=1.5)  # room for a loaded machine
    next_one = Leader(stores[1], "sender", holder="next", ttl=1.0, margin=0.3, poll=0.05)
    assert await next_one.try_acquire() is False
    stop = asyncio.Event()
    assert await asyncio.wait_for(next_one.acquire(stop), 4.0) is True
    await next_one.release()
    stopped = Leader(stores[2], "sender", holder="late", ttl=1.0, margin=0.3, poll=0.05)
    assert await stores[0].take("sender", "busy", ttl=30)
    stop.set()
    assert await stopped.acquire(stop) is False  # a stopping process gives up waiting


def test_the_margin_must_fit_in_the_lease() -> None:
    with pytest.raises(ValueError, match="margin"):
        Leader(LeaseStore(None), "x", ttl=1.0, margin=1.0)  # type: ignore[arg-type]


async def test_leader_for_picks_the_lock_of_the_backend(database_url: str) -> None:
    """An advisory lock on PostgreSQL (tests/db/test_advisory.py), a lease row on SQLite."""
    engine = db.make_engine(database_url)
    try:
        role = leader_for(db.make_sessionmaker(engine), "sender")
        expected = AdvisoryLeader if db.is_postgres(database_url) else Leader
        assert type(role) is expected
    finally:
        await engine.dispose()
