"""The digest service: what a digest holds, and sending exactly once (on SQLite and PostgreSQL).

The first digest is the last 24 hours, at most ten, the rest staying due; articles added at one
instant are never split across digests; lead sentences; and a crash in the middle of a send
never sends twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from botapi_emulator import BotAPIEmulator
from newsbot.bot.digests.sender import DigestSender, delivery_bot
from newsbot.digest.content import DigestService, build_digest, digest_since, lead_sentence
from newsbot.digest.flood import FloodGate
from newsbot.digest.schedule import due_today
from newsbot.digest.subscriptions import SENDING, SENT
from newsbot.service import Newsbot
from tests.helpers.databases import BOTH
from tests.helpers.digest import NOW, add_article, subs_of

BACKENDS = BOTH


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
            for _ in range(500):  # 101's and 103's messages are out: wait for their SENT
                states = [(await store.get(chat)).claim_state for chat in (101, 103)]  # type: ignore[union-attr]
                if states == [SENT, SENT]:
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
