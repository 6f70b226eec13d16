"""Digests end to end: the real Application (wired the way app.py does) on the Bot API emulator
with Telegram's flood limits enforced, real SQLite; the JobQueue fires on the real clock a few
seconds ahead, and a restart "after the digests' time" is a scheduler started with a later clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from botapi_emulator import BotAPIEmulator, SentRecord, inline_buttons
from newsbot.bot.app import build_application, running
from newsbot.bot.digests.jobs import Clock, Digests
from newsbot.db.leases import SENDER, Role, leader_for
from newsbot.db.models import utcnow
from newsbot.digest.schedule import next_due
from newsbot.digest.subscriptions import SENT, SubscriptionStore
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.bot import ADMIN, READER, make_settings
from tests.helpers.databases import BOTH
from tests.helpers.digest import add_article

BACKENDS = BOTH
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kathmandu"]
DIGEST = "Your news digest"


@contextlib.asynccontextmanager
async def digest_bot(settings: Settings, clock: Clock = utcnow) -> AsyncIterator[Digests]:
    """One run of the bot (a process's lifetime) at `clock`: start, yield its digests, stop."""
    service = await Newsbot.open(settings)
    app = build_application(settings, service, clock=clock)
    async with running(app, poll_timeout=0.5):
        yield app.bot_data.digests


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotAPIEmulator]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # 429s are part of these tests
    async with BotAPIEmulator(enforce_flood_limits=True) as emulator:
        for user in (ADMIN, READER):
            emulator.private_chat(user)
        yield emulator
    assert emulator.rejected == []


async def prepare(settings: Settings, readers: Sequence[int], due: datetime) -> None:
    """Three fresh articles, and `readers` subscribed (in several zones) for `due`, an hour
    before it (however long this takes on a busy machine)."""
    async with await Newsbot.open(settings) as service:
        for n in range(3):
            await add_article(service, n, datetime.now(UTC) - timedelta(hours=n + 1))
        store = service.subscriptions
        for index, chat in enumerate(readers):
            zone = ZoneInfo(ZONES[index % len(ZONES)])
            local = due.astimezone(zone).time()
            await store.subscribe(chat, "private", local, zone.key, now=due - timedelta(hours=1))


async def just_passed() -> datetime:
    """A moment just gone whose local day, in every zone of ZONES, lasts two minutes more: a
    bot started after it still finds that day's digest owed (the day's only)."""
    while True:
        now = datetime.now(UTC) - timedelta(seconds=1)
        ends = [
            local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            for local in (now.astimezone(ZoneInfo(zone)) for zone in ZONES)
        ]
        wait = max((end - now for end in ends if end - now < timedelta(minutes=2)), default=None)
        if wait is None:
            return now
        await asyncio.sleep(wait.total_seconds() + 2)  # a minute or two before a midnight


@contextlib.asynccontextmanager
async def sender_role_held(settings: Settings) -> AsyncIterator[Role]:
    """The digest sender's role, held here (as by a third replica busy with a fan-out of its
    own) until the test lets it go: replicas started meanwhile queue their digests and wait
    for it, so a fan-out starts with all of them up, however long their start took."""
    async with await Newsbot.open(settings) as other:
        role = leader_for(other.write_sessions, SENDER, holder="the test")
        assert await role.try_acquire()
        try:
            yield role
        finally:
            await role.release()
            close = getattr(role, "close", None)  # an advisory lock's engine
            if close is not None:
                await close()


def digests_in(emu: BotAPIEmulator, chats: Sequence[int]) -> dict[int, int]:
    return {
        chat: sum(1 for r in emu.messages_in(chat) if DIGEST in (r.text or "")) for chat in chats
    }


async def wait_for_digests(emu: BotAPIEmulator, chats: Sequence[int], within: float) -> None:
    """Until each chat has had a message from the bot (digests are the only ones here)."""
    for chat in chats:
        await emu.wait_for_messages(chat, 1, timeout=within)


def busiest_second(records: Sequence[SentRecord]) -> int:
    """The most bot messages Telegram saw in any one-second window."""
    stamps = sorted(r.timestamp for r in records)
    most, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_down_at_digest_time_then_each_reader_gets_exactly_one(
    emu: BotAPIEmulator, tmp_path: Path, database_url: str
) -> None:
    """The issue's "done when", at the scale of seconds: 300 readers, the bot stopped before
    their time and started after it, 10 of them blocked the bot meanwhile, 429s injected."""
    settings = make_settings(tmp_path, emu, database_url=database_url)
    readers = list(range(5000, 5300))
    for chat in readers:
        emu.private_chat(chat)
    due = datetime.now(UTC) + timedelta(hours=1)
    await prepare(settings, readers, due)
    async with digest_bot(settings) as digests:
        assert (digests.caught_up, digests.scheduler.scheduled) == (0, 300)
    # up and down again before the digests' time (their jobs were an hour ahead)
    blocked = readers[::30]
    for chat in blocked:
        emu.block(chat)
    emu.fail_next("sendMessage", error_code=429, retry_after=1, times=5)
    after_due = due + timedelta(seconds=1)
    async with digest_bot(settings, clock=lambda: after_due) as digests:
        assert digests.caught_up == 300
        delivered = [chat for chat in readers if chat not in blocked]
        await wait_for_digests(emu, delivered, within=30)
        await digests.sender.join()
        assert digests.sender.counts.retried == 5 and digests.sender.counts.blocked == 10
    counts = digests_in(emu, readers)
    assert {counts[chat] for chat in delivered} == {1}
    assert {counts[chat] for chat in blocked} == {0}
    assert emu.flood_violations == 0
    assert busiest_second([r for r in emu.sent if r.chat_id in readers]) <= 30
    async with await Newsbot.open(settings) as service:
        store = service.subscriptions
        assert {s.chat_id for s in await store.active()} == set(delivered)
        assert {(await store.get(c)).claim_state for c in delivered} == {SENT}  # type: ignore[union-attr]
    before = len(emu.sent)
    async with digest_bot(settings, clock=lambda: after_due) as digests:  # restart: nothing more
        assert digests.caught_up == 0
        await digests.sender.join()
    assert len(emu.sent) == before


async def test_scheduled_digests_fire_while_running_and_a_stop_mid_way_loses_none(
    emu: BotAPIEmulator, tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, emu, database_url=database_url)
    readers = list(range(6000, 6090))
    groups = [-6001, -6002]
    for chat in readers:
        emu.private_chat(chat)
    for group in groups:
        emu.group_chat(group, f"Group {group}")
    due = datetime.now(UTC) + timedelta(seconds=7)  # room for a loaded machine
    await prepare(settings, readers, due)
    async with await Newsbot.open(settings) as service:
        for group in groups:
            await service.subscriptions.subscribe(
                group, "group", due.time(), "UTC", now=due - timedelta(hours=1)
            )
    chats = readers + groups
    emu.fail_next("sendMessage", chat_id=readers[5], error_code=429, retry_after=1)
    before_due = due - timedelta(seconds=30)
    async with digest_bot(settings, clock=lambda: before_due) as digests:
        assert digests.caught_up == 0 and digests.scheduler.scheduled == len(chats)
        # Stop once the JobQueue fired and a part of the fan-out went out.
        for _ in range(30):  # the first comes at `due`, up to ~13 s after the start
            await emu.wait_for_call("sendMessage", timeout=30)
    first_run = sum(digests_in(emu, chats).values())
    assert first_run < len(chats)
    async with await Newsbot.open(settings) as service:  # a graceful stop leaves no doubt
        assert await service.subscriptions.in_doubt() == []
    async with digest_bot(settings) as digests:
        assert digests.caught_up == len(chats) - first_run
        await wait_for_digests(emu, chats, within=20)
        await digests.sender.join()
    assert set(digests_in(emu, chats).values()) == {1}
    assert emu.flood_violations == 0
    assert busiest_second([r for r in emu.sent if r.chat_id in chats]) <= 30


async def test_commands_subscribe_settings_digest_unsubscribe(
    emu: BotAPIEmulator, tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, emu, timezone="Europe/Berlin", database_url=database_url)
    async with await Newsbot.open(settings) as service:
        await add_article(service, 1, datetime.now(UTC) - timedelta(hours=2), title="A <b> & c")

    async def say(text: str, chat: int = READER, **where: object) -> str:
        emu.user_sends(text, user_id=READER, chat_id=chat, **where)  # type: ignore[arg-type]
        [reply] = await emu.wait_for_messages(chat, 1, timeout=10)
        return reply.text or ""

    async with digest_bot(settings) as digests:
        assert "Use /subscribe 07:30 Europe/Berlin" in await say("/subscribe 25:00")
        assert "“Mars/Base” is not a time zone" in await say("/subscribe 07:30 Mars/Base")
        assert "no digest subscription" in await say("/settings")
        reply = await say("/subscribe 7:30 europe/berlin")
        assert reply.startswith("Subscribed: a daily digest at 07:30 (Europe/Berlin).")
        assert digests.scheduler.scheduled == 1
        assert (await say("/settings")).startswith("Daily digest at 07:30 (Europe/Berlin).")
        digest = await say("/digest")
        assert digest.startswith(f"{DIGEST}: 1 new article since ")
        assert "A <b> & c\nExample News · " in digest
        assert (await say("/digest")).startswith("Nothing new since ")
        group_reply = await say(
            "/subscribe@newsbot_emulator_bot 18:00", chat=-42, chat_type="group"
        )
        assert "18:00 (Europe/Berlin)" in group_reply
        assert (await say("/unsubscribe")).startswith("Unsubscribed")
        assert "no digest subscription" in await say("/unsubscribe")
        assert digests.scheduler.scheduled == 1  # the group's
        store = digests.service.subscriptions
        assert [(s.chat_id, s.chat_type) for s in await store.active()] == [(-42, "group")]


async def test_two_replicas_share_the_budget_and_one_stopping_mid_way_loses_none(
    emu: BotAPIEmulator, tmp_path: Path, database_url: str
) -> None:
    """Two bots on one database (replicas), both started after the readers' time: each
    queues every digest, the sender role lets one send at a time (held elsewhere until both
    are up) and the claim gives each digest to one of them; the one sending stops half-way
    and the other takes over the rest."""
    settings = make_settings(tmp_path, emu, database_url=database_url)
    readers = list(range(7000, 7150))
    for chat in readers:
        emu.private_chat(chat)
    await prepare(settings, readers, await just_passed())
    async with (
        sender_role_held(settings) as held,
        contextlib.AsyncExitStack() as one,
        contextlib.AsyncExitStack() as two,
    ):
        bots = [await one.enter_async_context(digest_bot(settings))]
        bots.append(await two.enter_async_context(digest_bot(settings)))
        assert [bot.caught_up for bot in bots] == [len(readers)] * 2
        assert held.valid and emu.sent == []
        await held.release()  # both are up: go
        for _ in range(40):
            await emu.wait_for_call("sendMessage", timeout=20)
        [sending] = [i for i, bot in enumerate(bots) if bot.sender.leader.valid]  # type: ignore[union-attr]
        stopping, other = bots[sending], bots[1 - sending]
        await (one, two)[sending].aclose()  # the sending replica stops half-way
        await wait_for_digests(emu, readers, within=30)
        await other.sender.join()
    counts = digests_in(emu, readers)
    assert {counts[chat] for chat in readers} == {1}
    assert stopping.sender.counts.sent + other.sender.counts.sent == len(readers)
    assert stopping.sender.counts.sent >= 30 and other.sender.counts.sent > 0
    assert emu.flood_violations == 0
    assert busiest_second([r for r in emu.sent if r.chat_id in readers]) <= 30


async def test_the_sweep_sends_what_another_replica_left_unsent(
    emu: BotAPIEmulator, tmp_path: Path, database_url: str
) -> None:
    """A subscription this bot never scheduled (made through another replica), due and
    unclaimed: the sweep finds it in the database and sends it, once."""
    settings = make_settings(tmp_path, emu, database_url=database_url)
    chat = 7500
    emu.private_chat(chat)
    await prepare(settings, [], datetime.now(UTC))
    async with digest_bot(settings) as digests:
        now = datetime.now(UTC)
        async with await Newsbot.open(settings) as other:  # "another replica"
            store = SubscriptionStore(other.sessions)
            due = (now - timedelta(minutes=1)).time()
            await store.subscribe(chat, "private", due, "UTC", now=now - timedelta(hours=1))
        assert digests.scheduler.scheduled == 0
        await digests.scheduler.sweep(None)  # type: ignore[arg-type]  # the job's context
        await digests.scheduler.sweep(None)  # type: ignore[arg-type]  # twice: still once
        await emu.wait_for_messages(chat, 1, timeout=20)
        await digests.sender.join()
    assert digests_in(emu, [chat]) == {chat: 1}


async def test_forty_new_articles_all_reach_the_subscriber_none_skipped(
    emu: BotAPIEmulator, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, emu, timezone="UTC")
    now = datetime.now(UTC)
    async with await Newsbot.open(settings) as service:
        for n in range(40):
            await add_article(service, n, now - timedelta(hours=3, minutes=-n))
    async with digest_bot(settings):
        emu.user_sends("/subscribe 07:00 UTC", user_id=READER)
        await emu.wait_for_messages(READER, 1, timeout=10)
        emu.user_sends("/digest", user_id=READER)
        [first] = await emu.wait_for_messages(READER, 1, timeout=10)
        assert (first.text or "").startswith(f"{DIGEST}: 10 of 40 new articles since ")
        assert (first.text or "").endswith("30 more: /digest more")
        seen = titles(first)
        # The button shows the next ten; `/digest more` (the cursor moved) the ten after.
        [button] = inline_buttons(first)
        assert button["text"] == "Next 10 of 30 »"
        emu.user_presses(first, button["callback_data"], user_id=READER)
        _, second = await emu.wait_for_messages(READER, 2, timeout=10)
        assert (second.text or "").startswith(f"{DIGEST}: 10 of 30 new articles")
        seen += titles(second)
        emu.user_sends("/digest more", user_id=READER)
        [third] = await emu.wait_for_messages(READER, 1, timeout=10)
        seen += titles(third)
        emu.user_sends("/digest", user_id=READER)
        [fourth] = await emu.wait_for_messages(READER, 1, timeout=10)
        assert (fourth.text or "").startswith(f"{DIGEST}: 10 new articles")
        assert inline_buttons(fourth) == []
        seen += titles(fourth)
        emu.user_sends("/digest", user_id=READER)
        [done] = await emu.wait_for_messages(READER, 1, timeout=10)
        assert (done.text or "").startswith("Nothing new since ")
    assert sorted(seen) == sorted(f"Story {n}" for n in range(40))  # each once, none skipped


def titles(record: SentRecord) -> list[str]:
    return [
        line
        for line in (record.text or "").splitlines()
        if line.startswith("Story ") and "lead" not in line
    ]


async def test_a_move_west_across_the_date_line_after_the_digest_skips_no_day(
    emu: BotAPIEmulator, tmp_path: Path
) -> None:
    """UTC+14 at 08:00: the day's digest goes out; the reader moves to UTC-11 (/subscribe);
    that zone's next 08:00, 25 h later, brings the next digest (it came 49 h later)."""
    settings = make_settings(tmp_path, emu)
    east, west = "Pacific/Kiritimati", "Pacific/Pago_Pago"
    async with await Newsbot.open(settings) as service:
        store = service.subscriptions
        subscribed = datetime.now(UTC)
        first = next_due(await store.subscribe(READER, "private", time(8), east), subscribed)
        await add_article(service, 1, first.at - timedelta(hours=1))
        await add_article(service, 2, first.at + timedelta(hours=2))
    after_first = first.at + timedelta(seconds=1)
    async with digest_bot(settings, clock=lambda: after_first) as digests:
        assert digests.caught_up == 1
        await wait_for_digests(emu, [READER], within=10)
        await digests.sender.join()
        emu.user_sends(f"/subscribe 08:00 {west}", user_id=READER)
        [moved] = await emu.wait_for_messages(READER, 1, timeout=10)
        assert f"08:00 ({west})" in (moved.text or "")
    second = first.at + timedelta(hours=25)
    assert second.astimezone(ZoneInfo(west)).strftime("%H:%M") == "08:00"
    async with digest_bot(settings, clock=lambda: second + timedelta(seconds=1)) as digests:
        assert digests.caught_up == 1
        [digest] = await emu.wait_for_messages(READER, 1, timeout=10)
        await digests.sender.join()
    assert (digest.text or "").startswith(f"{DIGEST}: 1 new article since ")
    assert "Story 2" in (digest.text or "") and "Story 1" not in (digest.text or "")
