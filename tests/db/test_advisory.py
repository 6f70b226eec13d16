"""The advisory-lock role (newsbot.db.advisory) on a real PostgreSQL: one holder at a time,
hand-over, a new holder that waits out the last one's term, and, with real processes, a
SIGKILLed or disconnected holder replaced within seconds (the delays are printed), never two
holders at once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text

from newsbot import db
from newsbot.db.advisory import AdvisoryLeader, lock_key
from tests.helpers.databases import POSTGRESQL

BACKENDS = (POSTGRESQL,)
ROOT = Path(__file__).resolve().parents[2]


async def end_the_holders_session(database_url: str) -> None:
    """What a server restart or pg_terminate_backend does to the holder of "role"."""
    engine = db.make_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid::int8 = :key AND database = "
                    # this test's database only: not a test beside it that holds "role" too
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": lock_key("role") & 0xFFFFFFFF},
            )
            await connection.commit()
    finally:
        await engine.dispose()


async def test_one_holder_then_the_next_after_the_hand_over(database_url: str) -> None:
    url = db.async_url(database_url)
    first = AdvisoryLeader(url, "role", holder="first")
    second = AdvisoryLeader(url, "role", holder="second")
    other = AdvisoryLeader(url, "other role", holder="second")
    try:
        started = time.monotonic()
        assert await first.try_acquire() and first.valid
        # A lock just taken counts only after the last holder's term could have run out.
        assert time.monotonic() - started >= first.ttl - first.margin
        assert await first.holder_now() == "first" == await second.holder_now()
        assert not await second.try_acquire() and not second.valid
        await asyncio.sleep(2 * first.ttl)  # renewed meanwhile
        assert first.valid and not await second.try_acquire()
        assert await other.try_acquire()  # each name is a role of its own
        waiting = asyncio.create_task(second.acquire())
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await first.release()
        assert not first.valid
        assert await asyncio.wait_for(waiting, 5) is True
        assert await second.holder_now() == "second"
    finally:
        for leader in (first, second, other):
            await leader.close()
    assert await first.holder_now() is None


async def test_a_holder_whose_session_is_killed_gives_the_role_up_in_time(
    database_url: str,
) -> None:
    """The server ends the holder's session (pg_terminate_backend, a restart): the holder's
    term runs out before the next holder's starts."""
    url = db.async_url(database_url)
    first = AdvisoryLeader(url, "role", holder="first")
    second = AdvisoryLeader(url, "role", holder="second")
    try:
        assert await first.try_acquire()
        waiting = asyncio.create_task(second.acquire())
        await end_the_holders_session(database_url)
        while not waiting.done():
            assert not (first.valid and second.valid)
            await asyncio.sleep(0.005)
        assert waiting.result() is True and second.valid and not first.valid
    finally:
        await first.close()
        await second.close()


@contextlib.asynccontextmanager
async def holder(url: str, out: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.helpers.role_holder",
        url,
        "role",
        str(out),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 60) == b"ready\n"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def samples(folder: Path) -> list[tuple[float, str]]:
    """Every holder's samples, in time order: (monotonic time, holder)."""
    found = [
        (float(line), path.stem)
        for path in folder.glob("*.txt")
        for line in path.read_text().split()
    ]
    return sorted(found)


async def wait_for_new_holder(folder: Path, old: str | None, since: float) -> tuple[str, float]:
    """The first holder other than `old` with samples after `since`, and its first one."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        new = [(t, who) for t, who in samples(folder) if t > since and who != old]
        if new:
            return new[0][1], new[0][0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new holder after {old} within 15 s")


async def test_a_killed_holder_process_is_replaced_within_seconds_never_two_at_once(
    database_url: str, tmp_path: Path
) -> None:
    """Three processes contend; the holder is SIGKILLed three times (and a new process joins
    each time), and once its session is ended by the server. Each change of holder takes
    seconds, not the lease row's 15, and no two processes ever hold the role together."""
    url = db.async_url(database_url).render_as_string(hide_password=False)
    async with contextlib.AsyncExitStack() as stack:
        processes = {}
        for n in range(3):
            process = await stack.enter_async_context(holder(url, tmp_path / f"h{n}.txt"))
            processes[f"h{n}"] = process
        current, _ = await wait_for_new_holder(tmp_path, None, since=0)
        delays = []
        for n in range(3, 6):
            processes[current].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            processes[f"h{n}"] = await stack.enter_async_context(
                holder(url, tmp_path / f"h{n}.txt")
            )
            current, first_sample = await wait_for_new_holder(tmp_path, current, since=killed)
            delays.append(first_sample - killed)
        # The server ends the holder's session; the process lives on and contends again.
        await end_the_holders_session(database_url)
        await asyncio.sleep(4)
    terms = [samples(tmp_path)[0][1]]
    for _, who in samples(tmp_path):
        if who != terms[-1]:
            terms.append(who)
    print(f"take-over after SIGKILL: {', '.join(f'{d:.2f} s' for d in delays)}; terms: {terms}")
    assert max(delays) < 5, delays
    # Interleaved samples of two holders would make many short terms: there are as many terms
    # as changes of holder (three kills, and the session ended: maybe the same process again).
    assert len(terms) in (4, 5), terms
    assert len(set(terms[:4])) == 4


async def test_a_lapse_renewed_in_time_is_not_a_new_term(database_url: str) -> None:
    """A busy event loop renews late: the lock was ours all along, so it is valid again at
    once (no waiting out) and the sender doesn't count it as taken anew (it would pause)."""
    leader = AdvisoryLeader(db.async_url(database_url), "role", holder="busy")
    try:
        assert await leader.try_acquire() and leader.acquired == 1
        time.sleep(leader.ttl)  # noqa: ASYNC251  (the loop blocked, on purpose)
        assert not leader.valid
        started = time.monotonic()
        assert await leader.try_acquire() and leader.valid
        assert time.monotonic() - started < leader.ttl - leader.margin
        assert leader.acquired == 1
    finally:
        await leader.close()
