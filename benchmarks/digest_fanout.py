"""Digest fan-out: N subscribers through the Bot API emulator with Telegram's limits enforced.

    .venv/bin/python benchmarks/digest_fanout.py [--subscribers 10000] [--restart-at 0.5]
    .venv/bin/python benchmarks/digest_fanout.py --limiter aio --subscribers 1000
    .venv/bin/python benchmarks/digest_fanout.py --replicas 2 --subscribers 3000 \
        --database postgresql://postgres@127.0.0.1:5432/test

The real bot (build_application, JobQueue, the digest sender) on a fresh SQLite file, with N
subscriptions (1% of them groups) all due a few seconds after the bot started, in five time
zones. The emulator enforces 30 messages/s overall, 1/s per private chat (3 per 3 s) and
20/min per group, and answers 429 when the bot goes faster; ~1% of the chats answer one 429
(retry_after 1 s) and ~1% blocked the bot (403). Half-way through the bot is stopped and
started again (`--restart-at 0` to run straight through).

Prints: the time to schedule the subscriptions at start (and at the restart, with the digests
it caught up), messages/s against the 30/s limit, the busiest second, flood violations, lost
and duplicated digests, and the peak RSS of the one process that holds the emulator, the bot
and the database.

`--replicas 2`: two bots (two Applications, each with its own service, connections and flood
gate, in this one process) on one database; half-way the replica holding the sender role is
stopped, as a rolling restart would, and the other one finishes. `--database` a PostgreSQL
server URL: a fresh database is made there (and dropped after) instead of the SQLite file.

`--limiter aio` is the comparison: the same sender, without our gate, on a bot whose pacing
is PTB's AIORateLimiter (max_retries=3), fed directly (no JobQueue, no restart).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import create_engine, insert, update
from sqlalchemy.engine import make_url
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from botapi_emulator import BotAPIEmulator
from newsbot import db
from newsbot.bot.app import build_application, running
from newsbot.bot.digests.jobs import Digests
from newsbot.bot.digests.sender import WORKERS, DigestSender
from newsbot.db.articles import NewArticle
from newsbot.db.models import Article, Subscription
from newsbot.digest.schedule import today_slot
from newsbot.service import Newsbot
from newsbot.settings import Settings

ADMIN = 1
FIRST_CHAT = 100_000
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kathmandu"]
HEADING = "Your news digest"
LEAD_SECONDS = 8.0  # the digests fall due this long after the subscriptions are stored


def chats_for(count: int) -> list[tuple[int, str]]:
    """(chat id, type): every hundredth chat is a group."""
    return [
        (-(FIRST_CHAT + n), "group") if n % 100 == 99 else (FIRST_CHAT + n, "private")
        for n in range(count)
    ]


async def prepare(settings: Settings, chats: list[tuple[int, str]], due: datetime) -> None:
    """Twelve fresh articles and one subscription per chat (bulk, as setup: not measured)."""
    async with await Newsbot.open(settings) as service:
        for n in range(12):
            text = f"Council approves budget number {n} for the harbour. Details follow here."
            outcome = await service.store.add(
                NewArticle(
                    title=f"Harbour budget {n}: what changes",
                    text=text,
                    passages=[text],
                    fingerprint=f"bench-{n}",
                    url=f"https://news.example/budget/{n}",
                    site="Example Courier",
                )
            )
            async with service.sessions() as session, session.begin():
                added = datetime.now(UTC) - timedelta(hours=n + 1)
                await session.execute(
                    update(Article).where(Article.id == outcome.article_id).values(added_at=added)
                )
        rows = []
        for index, (chat_id, chat_type) in enumerate(chats):
            zone = ZoneInfo(ZONES[index % len(ZONES)])
            rows.append(
                {
                    "chat_id": chat_id,
                    "chat_type": chat_type,
                    "local_time": due.astimezone(zone).time(),
                    "timezone": zone.key,
                    "active": True,
                    "subscribed_at": datetime.now(UTC),
                }
            )
        async with service.sessions() as session, session.begin():
            await session.execute(insert(Subscription), rows)


@contextlib.asynccontextmanager
async def bot_run(settings: Settings) -> AsyncIterator[Digests]:
    """One lifetime of the bot, as app.py wires it: digests start in post_init."""
    service = await Newsbot.open(settings)
    app = build_application(settings, service)
    async with running(app, poll_timeout=1.0):
        yield app.bot_data.digests


def digest_counts(emu: BotAPIEmulator, chats: list[tuple[int, str]]) -> dict[int, int]:
    return {
        chat_id: sum(1 for r in emu.messages_in(chat_id) if (r.text or "").startswith(HEADING))
        for chat_id, _ in chats
    }


async def wait_delivered(emu: BotAPIEmulator, wanted: int, deadline: float) -> None:
    """Until `wanted` digests went out (a progress line on a terminal)."""
    while (done := sum(1 for r in emu.sent if (r.text or "").startswith(HEADING))) < wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done} of {wanted} digests after the deadline")
        if sys.stderr.isatty():
            print(f"\r  {done}/{wanted} digests", end="", file=sys.stderr, flush=True)
        await asyncio.sleep(0.5)
    if sys.stderr.isatty():
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)


def busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    most, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@contextlib.contextmanager
def database(url: str | None, folder: str) -> Iterator[str]:
    """The benchmark's database: a SQLite file in `folder`, or a new database on the PostgreSQL
    server of `url` (dropped afterwards)."""
    if url is None:
        yield f"sqlite:///{Path(folder) / 'fanout.db'}"
        return
    admin = create_engine(db.sync_url(url), isolation_level="AUTOCOMMIT")
    name = f"newsbot_fanout_{os.getpid()}_{int(time.time())}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


async def run_replicas(
    settings: Settings, emu: BotAPIEmulator, cut: int, wanted: int, deadline: float
) -> tuple[list[str], int]:
    """Two replicas; at `cut` digests the one holding the sender role stops (in-flight digests
    finish, the role is handed over), the other sends the rest."""
    stacks = [contextlib.AsyncExitStack(), contextlib.AsyncExitStack()]
    replicas = [await stack.enter_async_context(bot_run(settings)) for stack in stacks]
    starts = [f"{r.start_seconds:.2f} s (replica {'AB'[i]})" for i, r in enumerate(replicas)]
    retried = 0
    try:
        await wait_delivered(emu, cut, deadline)
        if cut < wanted:
            holding = [
                i for i, r in enumerate(replicas) if r.sender.leader and r.sender.leader.valid
            ]
            victim = holding[0] if holding else 0
            retried += replicas[victim].sender.counts.retried
            await stacks[victim].aclose()
            starts.append(f"replica {'AB'[victim]} stopped at {cut} digests")
            survivor = replicas[1 - victim]
            await wait_delivered(emu, wanted, deadline)
            await survivor.sender.join()
            await asyncio.sleep(2.0)  # anything extra would show up now
            retried += survivor.sender.counts.retried
        else:
            retried += sum(r.sender.counts.retried for r in replicas)
    finally:
        for stack in stacks:
            await stack.aclose()
    return starts, retried


async def run_aio(settings: Settings, emu: BotAPIEmulator, chats: list[tuple[int, str]]) -> None:
    """The comparison: our sender, no gate, PTB's AIORateLimiter pacing the bot."""
    bot = ExtBot(
        emu.token,
        base_url=emu.base_url,
        rate_limiter=AIORateLimiter(max_retries=3),
        request=HTTPXRequest(connection_pool_size=WORKERS),
    )
    async with await Newsbot.open(settings) as service, bot:
        digests = service.digests
        sender = DigestSender(bot, digests, gate=None)
        sender.start()
        now = datetime.now(UTC)
        for sub in await digests.subscriptions.active():
            sender.enqueue(sub.chat_id, today_slot(sub, now).day)
        await sender.join()
        await sender.stop()


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(5)
    chats = chats_for(args.subscribers)
    ids = [chat_id for chat_id, _ in chats]
    faulty = rng.sample(ids, max(1, len(ids) // 50))
    throttled, blocked = set(faulty[: len(faulty) // 2]), set(faulty[len(faulty) // 2 :])
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(args.database, tmp) as database_url,
    ):
        async with BotAPIEmulator(enforce_flood_limits=True) as emu:
            emu.private_chat(ADMIN)
            for chat_id, chat_type in chats:
                if chat_type == "private":
                    emu.private_chat(chat_id)
                else:
                    emu.group_chat(chat_id, f"Group {chat_id}")
            settings = Settings(
                _env_file=None,
                bot_token=SecretStr(emu.token),
                api_base_url=emu.base_url,
                database_url=database_url,
                admin_ids=frozenset({ADMIN}),
            )
            due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
            await prepare(settings, chats, due)
            for chat_id in throttled:
                emu.fail_next("sendMessage", chat_id=chat_id, error_code=429, retry_after=1)
            for chat_id in blocked:
                emu.block(chat_id)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            wanted = len(ids) - len(blocked)
            deadline = time.monotonic() + LEAD_SECONDS + 60 + wanted / 20
            starts: list[str] = []
            retried = 0
            if args.limiter == "aio":
                await run_aio(settings, emu, chats)
            elif args.replicas == 2:
                cut = int(wanted * args.restart_at) if args.restart_at > 0 else wanted
                starts, retried = await run_replicas(settings, emu, cut, wanted, deadline)
            else:
                cut = int(wanted * args.restart_at) if args.restart_at > 0 else wanted
                async with bot_run(settings) as digests:
                    starts.append(f"{digests.start_seconds:.2f} s")
                    await wait_delivered(emu, cut, deadline)
                    retried += digests.sender.counts.retried
                if cut < wanted:
                    async with bot_run(settings) as digests:
                        starts.append(
                            f"{digests.start_seconds:.2f} s at the restart "
                            f"({digests.caught_up} missed digests caught up)"
                        )
                        await wait_delivered(emu, wanted, deadline)
                        await digests.sender.join()
                        await asyncio.sleep(2.0)  # anything extra would show up now
                        retried += digests.sender.counts.retried
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            counts = digest_counts(emu, chats)
            subscribed = {chat_id for chat_id, _ in chats}
            stamps = [r.timestamp for r in emu.sent if r.chat_id in subscribed]
            async with await Newsbot.open(settings) as service:
                active = {s.chat_id for s in await service.subscriptions.active()}
            violations = emu.flood_violations

    delivered = [c for c in ids if c not in blocked]
    lost = sum(1 for c in delivered if counts[c] == 0)
    duplicated = sum(1 for c in delivered if counts[c] > 1)
    seconds = max(stamps) - min(stamps)
    rate = (len(stamps) - 1) / seconds if seconds else 0.0
    groups = sum(1 for _, kind in chats if kind != "private")
    print(
        f"digest fan-out: {len(ids)} subscribers ({groups} groups), {len(throttled)} answer 429 "
        f"once, {len(blocked)} blocked the bot; limiter: {args.limiter}"
        + (f", restart at {args.restart_at:.0%}" if args.limiter == "gate" else "")
        + f"; {args.replicas} replica(s) on {'PostgreSQL' if args.database else 'SQLite'}"
    )
    if starts:
        print(f"  schedule at start   {starts[0]} for {len(ids)} subscriptions")
        for line in starts[1:]:
            print(f"                      {line}")
    print(f"  delivered           {len(stamps)} messages in {seconds:.1f} s")
    print(f"  messages/s          {rate:.1f}/s   (Telegram's limit 30/s; target >= 27/s)")
    print(f"  busiest second      {busiest_second(stamps)} messages (limit 30)")
    print(f"  flood violations    {violations} (target 0)")
    print(f"  lost / duplicated   {lost} / {duplicated} (target 0 / 0)")
    print(
        f"  blocked chats       {sum(counts[c] for c in blocked)} digests, "
        f"{len(blocked & active)} still subscribed (target 0, 0)"
    )
    if args.limiter == "gate":
        print(f"  429s waited out     {retried}")
    print(
        f"  peak RSS            {rss_peak / 1024:.0f} MB (emulator, bot and database in one "
        f"process; {rss_before / 1024:.0f} MB before the bot started)"
    )
    return 0 if (lost, duplicated, violations) == (0, 0, 0) and rate >= 27 else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--limiter", choices=["gate", "aio"], default="gate")
    parser.add_argument(
        "--restart-at", type=float, default=0.5, help="stop and start the bot at this share"
    )
    parser.add_argument("--replicas", type=int, choices=[1, 2], default=1)
    parser.add_argument(
        "--database", help="a PostgreSQL server URL (a fresh database is made there)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    # PTB warns on every 429 it builds from a number unless this opts in (as `newsbot run` does).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(parse_args())))
