"""Two `newsbot run` processes on one PostgreSQL database against the Bot API emulator: the
replica that is sending digests is SIGKILLed half-way, and the other one finishes the fan-out
as soon as the dead one's sender lock is gone with its connection (a second or two).

The two start after the digests' time (a deploy), so each queues all of them at start; the
test holds the sender role meanwhile, as a third replica busy elsewhere would, and lets it go
once both run. So the fan-out starts with both up however long their start takes on a loaded
machine, and nobody waits for a due time set far enough ahead to cover it (~40 s of it)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator
from newsbot import db
from newsbot.db.advisory import AdvisoryLeader
from newsbot.db.leases import SENDER
from newsbot.digest.subscriptions import SENDING, SENT, SubscriptionStore
from newsbot.service import Newsbot
from tests.e2e.test_digest_delivery import (
    busiest_second,
    digests_in,
    just_passed,
    prepare,
    sender_role_held,
)
from tests.helpers.bot import make_settings
from tests.helpers.databases import POSTGRESQL

BACKENDS = (POSTGRESQL,)
READERS = list(range(8000, 8300))


@contextlib.asynccontextmanager
async def replica(
    env: dict[str, str], log: Path, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`newsbot run [args]` in a process of its own, its log in `log`."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "newsbot.cli", "run", *args, env=env, stdout=out, stderr=out
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def wait_for_line(log: Path, text: str, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while text not in (content := await asyncio.to_thread(log.read_text, errors="replace")):
        assert asyncio.get_running_loop().time() < deadline, content
        await asyncio.sleep(0.1)


async def sender_pid(database_url: str) -> int | None:
    """The process that holds the sender role (its advisory lock) now."""
    role = AdvisoryLeader(db.async_url(database_url), SENDER)
    try:
        holder = await role.holder_now()
    finally:
        await role.close()
    return int(holder.split(":")[1]) if holder else None


def longest_pause(emu: BotAPIEmulator, chats: list[int]) -> float:
    """The longest time between two digest messages in a row."""
    stamps = sorted(r.timestamp for r in emu.sent if r.chat_id in chats)
    return max((b - a for a, b in itertools.pairwise(stamps)), default=0.0)


async def test_killing_the_sending_replica_loses_no_digest_and_doubles_none(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with BotAPIEmulator(enforce_flood_limits=True) as emu:
        for chat in READERS:
            emu.private_chat(chat)
        settings = make_settings(tmp_path, emu, database_url=database_url)
        await prepare(settings, READERS, await just_passed())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")},
            "NEWSBOT_BOT_TOKEN": emu.token,
            "NEWSBOT_API_BASE_URL": emu.base_url,
            "NEWSBOT_DATABASE_URL": database_url,
            "NEWSBOT_EMBEDDINGS": "off",  # nobody asks anything: no model to load
            "PTB_TIMEDELTA": "1",
        }
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        async with (
            sender_role_held(settings) as held,
            replica(env, logs[0]) as a,
            replica(env, logs[1]) as b,
        ):
            for log in logs:
                await wait_for_line(log, "newsbot is running", within=60)
                assert f"{len(READERS)} missed today sent now" in log.read_text()
            assert held.valid and digests_in(emu, READERS) == dict.fromkeys(READERS, 0)
            await held.release()  # both are up, each with every digest queued: go
            for _ in range(60):  # a fifth of the fan-out
                await emu.wait_for_call("sendMessage", timeout=60)
            pid = await sender_pid(database_url)
            victim, survivor = (a, b) if pid == a.pid else (b, a)
            assert pid == victim.pid
            victim.kill()  # SIGKILL: no stop, no hand-over; its lease must expire
            await victim.wait()
            killed_at = asyncio.get_running_loop().time()
            missing = set(READERS)
            while missing and asyncio.get_running_loop().time() < killed_at + 45:
                missing = {c for c, n in digests_in(emu, READERS).items() if n == 0}
                await asyncio.sleep(0.5)
            assert survivor.returncode is None
        async with await Newsbot.open(settings) as service:
            store = SubscriptionStore(service.sessions)
            states = {c: (await store.get(c)).claim_state for c in READERS}  # type: ignore[union-attr]
    counts = digests_in(emu, READERS)
    in_doubt = {c for c, state in states.items() if state == SENDING}
    assert max(counts.values()) == 1, "a digest went out twice"
    # The only digests that may be missing: a request cut off by the kill (claimed, in doubt).
    assert {c for c, n in counts.items() if n == 0} <= in_doubt
    assert {c for c, state in states.items() if state == SENT} >= set(READERS) - in_doubt
    assert emu.flood_violations == 0
    assert busiest_second([r for r in emu.sent if r.chat_id in READERS]) <= 30
    # The survivor took the sender role over in seconds, not after a lease's 15.
    pause = longest_pause(emu, READERS)
    print(
        f"in doubt after the kill: {len(in_doubt)}, missing: {sum(n == 0 for n in counts.values())}"
        f", longest pause between digests (the take-over): {pause:.2f} s"
    )
    assert pause < 8, pause
