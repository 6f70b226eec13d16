"""The digest service: subscriptions, /subscribe arguments, DST math, digest content, and the
exactly-once claim (including a crash in the middle of a send), on real SQLite files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import update

from botapi_emulator import BotAPIEmulator
from newsbot import db
from newsbot.bot.digests.sender import DigestSender, delivery_bot
from newsbot.db.articles import NewArticle
from newsbot.db.models import Article, Base
from newsbot.digest.content import DigestService, build_digest, digest_since, lead_sentence
from newsbot.digest.flood import FloodGate
from newsbot.digest.schedule import (
    due_at,
    due_today,
    last_due,
    next_due,
    parse_subscribe_args,
)
from newsbot.digest.subscriptions import (
    BLOCKED,
    RELEASED,
    SENDING,
    SENT,
    SubscriptionInfo,
    SubscriptionStore,
)
from newsbot.errors import BadSubscription
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.databases import BOTH

BERLIN = "Europe/Berlin"
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


BACKENDS = BOTH


def settings_for(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url)


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Newsbot]:
    async with await Newsbot.open(settings_for(database_url)) as newsbot:
        yield newsbot


def subs_of(newsbot: Newsbot) -> SubscriptionStore:
    return newsbot.subscriptions


async def add_article(newsbot: Newsbot, n: int, added_at: datetime, **fields: object) -> int:
    """Store article `n` and set when it was added (the store stamps "now")."""
    text = str(fields.pop("text", f"Story {n} opens with its lead. Then come the details."))
    values: dict[str, object] = {
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "site": "Example News",
    }
    values.update(fields)
    outcome = await newsbot.store.add(
        NewArticle(text=text, passages=[text], fingerprint=f"fp-{n}", **values)  # type: ignore[arg-type]
    )
    async with newsbot.sessions() as session, session.begin():
        await session.execute(
            update(Article).where(Article.id == outcome.article_id).values(added_at=added_at)
        )
    return outcome.article_id


def sub(local_time: time, tz: str = BERLIN, **fields: object) -> SubscriptionInfo:
    values: dict[str, object] = {
        "chat_id": 1,
        "chat_type": "private",
        "local_time": local_time,
        "timezone": tz,
        "active": True,
        "subscribed_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return SubscriptionInfo(**values)  # type: ignore[arg-type]


# ---- the schema -------------------------------------------------------------------------------


def test_migration_matches_the_model_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    assert db.upgrade(url)
    # Head is the newest revision; downgrading passes back through every one.
    assert db.current_revision(url) == db.head_revision()
    engine = db.make_sync_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            diff = compare_metadata(context, Base.metadata)
        assert [d for d in diff if "subscriptions" in repr(d)] == []
    finally:
        engine.dispose()
    from alembic import command

    command.downgrade(db.alembic_config(url), "0001")
    assert db.current_revision(url) == "0001"


# ---- subscriptions ----------------------------------------------------------------------------


async def test_subscribe_is_an_upsert_and_unsubscribe_resumes(service: Newsbot) -> None:
    store = subs_of(service)
    assert await store.get(5) is None
    first = await store.subscribe(5, "private", time(7, 30), BERLIN, now=NOW)
    assert (first.chat_id, first.local_time, first.timezone, first.active) == (
        5,
        time(7, 30),
        BERLIN,
        True,
    )
    changed = await store.subscribe(5, "private", time(18, 0), "UTC", now=NOW + timedelta(hours=1))
    assert (changed.local_time, changed.timezone) == (time(18, 0), "UTC")
    assert changed.subscribed_at == NOW + timedelta(hours=1)
    await store.subscribe(-100, "group", time(9, 0), "UTC")  # a group subscribes as a chat
    assert await store.count_active() == 2
    assert await store.unsubscribe(5) is True
    assert await store.unsubscribe(5) is False
    assert [s.chat_id for s in await store.active()] == [-100]
    assert (await store.get(5)) == changed.__class__(**{**changed.__dict__, "active": False})
    again = await store.subscribe(5, "private", time(6, 0), "UTC")
    assert again.active and await store.count_active() == 2


@pytest.mark.parametrize(
    ("old_zone", "new_zone", "gap"),
    [
        ("Pacific/Kiritimati", "Pacific/Pago_Pago", timedelta(hours=25)),  # westward: +14 -> -11
        ("Pacific/Pago_Pago", "Pacific/Kiritimati", timedelta(hours=23)),  # eastward
        ("Asia/Tokyo", "America/Los_Angeles", timedelta(hours=16)),  # was 40 h: May 3 skipped
    ],
)
async def test_a_new_zone_after_the_days_digest_skips_no_day_and_doubles_none(
    service: Newsbot, old_zone: str, new_zone: str, gap: timedelta
) -> None:
    """The zone changes right after that day's digest went out: the next digest is the next
    local day's in the new zone, never two days later (the date line) nor twice in a day."""
    store = subs_of(service)
    first = await store.subscribe(7, "private", time(8, 0), old_zone, now=NOW - timedelta(days=2))
    sent = next_due(first, NOW)
    assert await store.claim(7, sent.day, now=sent.at)
    await store.finish(7, sent.day, SENT, until=sent.at)
    moved = sent.at + timedelta(minutes=30)
    changed = await store.subscribe(7, "private", time(8, 0), new_zone, now=moved)
    # What the running bot does: the chat's next job, then each job's claim, until one is won.
    now, delivered = moved, None
    while delivered is None:
        slot = next_due(changed, now)
        if await store.claim(7, slot.day, now=slot.at):
            delivered = slot
        now = slot.at
        assert now - sent.at < timedelta(hours=49), "a day was skipped"
    assert delivered.at - sent.at == gap
    # In the new zone's calendar: the day after the one on which the last digest came.
    came_on = sent.at.astimezone(ZoneInfo(new_zone)).date()
    assert delivered.day == came_on + timedelta(days=1)


async def test_a_new_zone_leaves_a_claim_in_flight_alone(service: Newsbot) -> None:
    store = subs_of(service)
    first = await store.subscribe(8, "private", time(8, 0), "Pacific/Kiritimati", now=NOW)
    slot = next_due(first, NOW)
    assert await store.claim(8, slot.day, now=slot.at)  # SENDING: its end is recorded by day
    changed = await store.subscribe(8, "private", time(8, 0), "Pacific/Pago_Pago", now=slot.at)
    assert (changed.claimed_day, changed.claim_state) == (slot.day, SENDING)
    await store.finish(8, slot.day, SENT, until=slot.at)
    assert (await store.get(8)).claim_state == SENT  # type: ignore[union-attr]


async def test_claims_are_exactly_once_even_when_racing(
    service: Newsbot, database_url: str
) -> None:
    store = subs_of(service)
    await store.subscribe(7, "private", time(8, 0), "UTC")
    day = date(2024, 5, 2)
    # Ten concurrent claims in this process and one from another engine ("process").
    other = await Newsbot.open(settings_for(database_url))
    try:
        results = await asyncio.gather(
            *(store.claim(7, day) for _ in range(10)), subs_of(other).claim(7, day)
        )
    finally:
        await other.close()
    assert sorted(results) == [False] * 10 + [True]
    # 429 before anything went out: released, and the retry may claim it again.
    await store.release(7, day)
    assert (await store.get(7)).claim_state == RELEASED  # type: ignore[union-attr]
    assert await store.claim(7, day)
    until = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    await store.finish(7, day, SENT, until=until)
    got = await store.get(7)
    assert got is not None and (got.claim_state, got.last_sent_at) == (SENT, until)
    assert not await store.claim(7, day) and await store.claim(7, day + timedelta(days=1))
    await store.finish(7, day + timedelta(days=1), BLOCKED, until=until)
    blocked = await store.get(7)
    assert blocked is not None and not blocked.active and blocked.last_sent_at == until
    assert not await store.claim(7, day + timedelta(days=2))  # inactive: nothing to claim


# ---- /subscribe arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (time(8, 0), "UTC")),
        (["07:30"], (time(7, 30), "UTC")),
        (["7:05", "Europe/Berlin"], (time(7, 5), BERLIN)),
        (["america/new_york", "23:59"], (time(23, 59), "America/New_York")),
        (["UTC"], (time(8, 0), "UTC")),
    ],
)
def test_parse_subscribe_args(args: list[str], expected: tuple[time, str]) -> None:
    assert parse_subscribe_args(args, time(8, 0), "UTC") == expected


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["25:00"], "“25:00” is not a time of day"),
        (["7"], "“7” is not a time like 07:30"),
        (["07:3o"], "“07:3o” is not a time like 07:30"),
        (["Mars/Olympus"], "“Mars/Olympus” is not a time zone I know"),
        (["localtime"], "“localtime” is not a time zone"),
        (["07:30", "Europe/Berlin", "please"], "Too many words"),
    ],
)
def test_bad_subscribe_args_get_an_example(args: list[str], named: str) -> None:
    with pytest.raises(BadSubscription) as caught:
        parse_subscribe_args(args, time(8, 0), "UTC")
    assert named in str(caught.value)
    assert "Use /subscribe 07:30 Europe/Berlin" in str(caught.value)


# ---- when digests are due ---------------------------------------------------------------------


def consecutive(subscription: SubscriptionInfo, start: datetime, days: int) -> list[datetime]:
    """The due instants, one after the other, as the chained jobs would see them."""
    instants, now = [], start
    for _ in range(days):
        slot = next_due(subscription, now)
        instants.append(slot.at)
        now = slot.at
    return instants


def test_a_time_skipped_by_spring_forward_fires_once_an_hour_later() -> None:
    assert due_at(time(2, 30), BERLIN, date(2024, 3, 31)) == datetime(
        2024, 3, 31, 1, 30, tzinfo=UTC
    )
    at = consecutive(sub(time(2, 30)), datetime(2024, 3, 29, 12, tzinfo=UTC), 4)
    local = [a.astimezone(sub(time(2, 30)).zone).strftime("%m-%d %H:%M") for a in at]
    assert local == ["03-30 02:30", "03-31 03:30", "04-01 02:30", "04-02 02:30"]


def test_a_time_that_happens_twice_fires_once_at_the_first() -> None:
    at = consecutive(sub(time(2, 30)), datetime(2024, 10, 25, 12, tzinfo=UTC), 4)
    assert at[1] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET
    assert [a.date() for a in at] == [date(2024, 10, d) for d in (26, 27, 28, 29)]
    assert len(set(at)) == 4 and at == sorted(at)


@pytest.mark.parametrize("tz", ["UTC", BERLIN, "America/New_York", "Asia/Kathmandu"])
def test_one_digest_per_local_day_across_a_year(tz: str) -> None:
    subscription = sub(time(2, 30), tz)
    at = consecutive(subscription, datetime(2024, 1, 1, tzinfo=UTC), 366)
    days = [a.astimezone(subscription.zone).date() for a in at]
    assert days == [days[0] + timedelta(days=n) for n in range(366)]


def test_due_today_is_the_catch_up_rule() -> None:
    morning = sub(time(8, 0), BERLIN)  # 06:00 UTC in May
    today = date(2024, 5, 2)
    assert due_today(morning, NOW) == last_due(morning, NOW)
    assert due_today(morning, NOW) is not None and due_today(morning, NOW).day == today  # type: ignore[union-attr]
    assert due_today(morning, datetime(2024, 5, 2, 5, 0, tzinfo=UTC)) is None  # not yet
    claimed = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=SENT)
    assert due_today(claimed, NOW) is None
    released = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=RELEASED)
    assert due_today(released, NOW) is not None
    in_doubt = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=SENDING)
    assert due_today(in_doubt, NOW) is None  # never twice
    late_subscriber = sub(time(8, 0), BERLIN, subscribed_at=datetime(2024, 5, 2, 9, tzinfo=UTC))
    assert due_today(late_subscriber, NOW) is None  # 08:00 had passed when they subscribed
    yesterday = sub(time(23, 0), BERLIN, claimed_day=date(2024, 4, 30), claim_state=SENT)
    assert due_today(yesterday, NOW) is None  # May 1st's digest was missed: that day is over
    assert due_today(sub(time(8, 0), BERLIN, active=False), NOW) is None


# ---- digest content ---------------------------------------------------------------------------


async def test_first_digest_is_the_last_24_hours_at_most_ten_and_the_rest_stay_due(
    service: Newsbot,
) -> None:
    now = datetime.now(UTC)
    for n, hours_ago in enumerate([30, 25, *range(23, 11, -1)]):
        await add_article(service, n, now - timedelta(hours=hours_ago))
    since = digest_since(None, now)
    assert since == now - timedelta(hours=24)
    digest = await build_digest(service.store, since, until=now)
    # Twelve are new: the first ten added, newest first; the digest ends at the tenth.
    assert digest is not None and len(digest.items) == 10
    assert (digest.total, digest.remaining) == (12, 2)
    assert [i.title for i in digest.items] == [f"Story {n}" for n in range(11, 1, -1)]
    first = digest.items[0]
    assert (first.url, first.site, first.lead) == (
        "https://news.example/11",
        "Example News",
        "Story 11 opens with its lead.",
    )
    # The next digest starts where this one ended: the two left, then one new article.
    rest = await build_digest(service.store, digest.until, until=now)
    assert rest is not None and [i.title for i in rest.items] == ["Story 13", "Story 12"]
    assert (rest.total, rest.remaining) == (2, 0)
    assert await build_digest(service.store, rest.until, until=now) is None
    await add_article(service, 99, now + timedelta(seconds=1), published=datetime(2021, 9, 25))
    later = await build_digest(service.store, rest.until, until=now + timedelta(seconds=2))
    assert later is not None and [(i.title, i.date.date()) for i in later.items] == [
        ("Story 99", date(2021, 9, 25))
    ]


async def test_articles_added_at_one_instant_are_never_split_across_digests(
    service: Newsbot,
) -> None:
    now = datetime.now(UTC)
    at = now - timedelta(hours=1)
    for n in range(8):
        await add_article(service, n, now - timedelta(hours=2, minutes=n))
    for n in range(8, 12):  # four stored in one instant, across the tenth place
        await add_article(service, n, at)
    digest = await build_digest(service.store, now - timedelta(hours=3), until=now)
    assert digest is not None and len(digest.items) == 8 and digest.until < at
    rest = await build_digest(service.store, digest.until, until=now)
    assert rest is not None and sorted(i.title for i in rest.items) == [
        f"Story {n}" for n in range(10, 12)
    ] + [f"Story {n}" for n in range(8, 10)]


def test_lead_sentence_is_one_sentence_and_not_endless() -> None:
    assert lead_sentence("Dr. Smith arrived at 5 p.m. on Monday. She left.") == (
        "Dr. Smith arrived at 5 p.m. on Monday."
    )
    long = lead_sentence("word " * 200)
    assert len(long) <= 280 and long.endswith("word…")
    assert lead_sentence("") == ""


def test_lead_sentence_skips_datelines_headings_and_glued_headlines() -> None:
    assert lead_sentence("HAYWARD, Calif. (AP) — A fire closed the bridge. It reopened.") == (
        "A fire closed the bridge."
    )
    assert lead_sentence("LONDON (Reuters) - Shares fell on Monday. Then rose.") == (
        "Shares fell on Monday."
    )
    title = "Bridge closed by fire"
    assert lead_sentence("Bridge closed by fire A fire closed the bridge. More.", title) == (
        "A fire closed the bridge."
    )
    assert lead_sentence("Live updates\nA fire closed the bridge. More.", title) == (
        "A fire closed the bridge."
    )
    assert lead_sentence("No full stop in this one", title) == "No full stop in this one"


# ---- exactly once across a crash in the middle of a send ------------------------------------


async def test_a_crash_during_the_send_never_sends_twice(
    service: Newsbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    now = datetime.now(UTC)
    await add_article(service, 1, now - timedelta(hours=1))
    store = subs_of(service)
    digests = DigestService(store, service.store)
    chats = [101, 102, 103]
    async with BotAPIEmulator() as emu:
        for chat in chats:
            emu.private_chat(chat)
            await store.subscribe(chat, "private", time(0, 0), "UTC", now=now - timedelta(days=2))
        day = now.date()
        # Telegram takes a while to answer for 102: the process dies while it waits.
        emu.delay_next("sendMessage", 2.0, chat_id=102)
        async with delivery_bot(emu.token, emu.base_url) as bot:
            crashed = DigestSender(bot, digests, gate=FloodGate())
            crashed.start()
            for chat in chats:
                crashed.enqueue(chat, day)
            await emu.wait_for_messages(101)
            await emu.wait_for_messages(103)
            for _ in range(500):  # 103's message is out: wait for its SENT to be recorded
                if (await store.get(103)).claim_state == SENT:  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.01)
            await emu.wait_for_call("sendMessage")  # 102's request is under way...
            for _ in range(100):  # ...and its claim committed (it is, before the request)
                if (await store.get(102)).claim_state == SENDING:  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.01)
            assert (await store.get(102)).claim_state == SENDING  # type: ignore[union-attr]
            await crashed.stop(grace=0)  # a hard stop: the request to 102 is cut off
        assert [s.chat_id for s in await store.in_doubt()] == [102]
        # The restart: nothing is due (102 is in doubt), and queueing all sends nothing.
        restarted_at = datetime.now(UTC)
        assert [due_today(s, restarted_at) for s in await store.active()] == [None] * 3
        async with delivery_bot(emu.token, emu.base_url) as bot:
            restarted = DigestSender(bot, digests, gate=FloodGate())
            restarted.start()
            for chat in chats:
                restarted.enqueue(chat, day)
            await restarted.join()
            await restarted.stop()
        assert restarted.counts.skipped == 3 and restarted.counts.sent == 0
        await emu.wait_for_messages(102)  # Telegram did get the cut-off request in the end
        assert [len(emu.messages_in(chat)) for chat in chats] == [1, 1, 1]


async def test_in_doubt_since_leaves_out_claims_reported_at_earlier_starts(
    service: Newsbot,
) -> None:
    store = subs_of(service)
    for chat in (7, 8):
        await store.subscribe(chat, "private", time(8, 0), "UTC", now=NOW - timedelta(days=5))
    old_day, today = (NOW - timedelta(days=3)).date(), NOW.date()
    assert await store.claim(7, old_day, now=NOW - timedelta(days=3))  # killed mid-send, 3 days ago
    assert await store.claim(8, today, now=NOW - timedelta(hours=1))  # killed mid-send, just now
    assert sorted(s.chat_id for s in await store.in_doubt()) == [7, 8]
    assert [s.chat_id for s in await store.in_doubt(since=NOW - timedelta(days=1))] == [8]
