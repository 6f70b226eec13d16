"""End to end through the Bot API emulator: /feed as a newsroom uses it.

Feeds are served on 127.0.0.1; the feed service's clock is the test's, moved instead of
waited for, and the bot's JobQueue looks for due feeds every 0.1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator, SentRecord
from newsbot.bot.admin import FOR_ADMINS
from newsbot.bot.app import build_application, running
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.bot import ADMIN, READER, RunningBot, hermetic, make_settings
from tests.helpers.feeds import FakeClock, FeedSite, article_page, feed_site, rss

TICK = 0.1


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with feed_site() as running_site:
        yield running_site


@contextlib.asynccontextmanager
async def feed_bot(
    emu: BotAPIEmulator, settings: Settings, clock: FakeClock
) -> AsyncIterator[RunningBot]:
    for user in (ADMIN, READER):
        emu.add_user(user, f"User{user}")
        emu.private_chat(user)
    service = await Newsbot.open(settings)
    service.feeds.clock = clock
    app = build_application(settings, service, feed_tick=TICK)
    async with running(app, poll_timeout=1.0):
        yield RunningBot(app, service, emu)


async def eventually(check: Callable[[], object], within: float = 30.0) -> None:
    """Wait (on the bot's own polling) until `check()` (or what it returns, awaited) is true."""
    async with asyncio.timeout(within):
        # What we wait for happens in the bot's jobs and the HTTP server's threads: there is
        # no event to await.
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await asyncio.sleep(TICK / 2)


async def admin_says(bot: RunningBot, text: str, count: int = 1) -> list[SentRecord]:
    """An admin command that fetches and extracts: slower than a question on a busy machine."""
    bot.emu.user_sends(text, user_id=ADMIN)
    return await bot.emu.wait_for_messages(ADMIN, count, timeout=60)


async def failures_are(bot: RunningBot, count: int) -> bool:
    """Whether feed #1's poll has been recorded with `count` failures in a row."""
    return (await bot.service.feeds.store.get(1)).failures == count


async def polled_now(bot: RunningBot, clock: FakeClock) -> bool:
    """Whether the poller has polled feed #1 at the clock's present time."""
    [feed] = await bot.service.feeds.store.all()
    return feed.last_polled_at == clock()


def story_feed(site: FeedSite, numbers: list[int]) -> str:
    for n in numbers:
        site.serve(f"/news/story-{n}.html", article_page(n))
    items = [(f"guid-{n}", f"{site.base}/news/story-{n}.html", f"Story {n}") for n in numbers]
    return site.serve_feed("/feed.xml", rss(items))


async def test_feed_add_brings_articles_in_later_ones_arrive_nothing_twice_across_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: FeedSite
) -> None:
    hermetic(monkeypatch)
    clock = FakeClock()
    url = story_feed(site, [1, 2])
    async with BotAPIEmulator() as emu:
        settings = make_settings(tmp_path, emu)
        async with feed_bot(emu, settings, clock) as bot:
            progress, added = await admin_says(bot, f"/feed add {url}", count=2)
            assert progress.text == f"Reading the feed at {url}…"
            assert added.is_edit and added.text == (
                f"Added feed #1: Loopback Herald\n{url}\n2 new articles. Polled every 15 min."
            )
            assert await bot.service.store.count() == 2
            # Feed articles go into digests like any others.
            digest = await bot.one("/digest")
            assert digest.text is not None
            assert "Story 1: the new" in digest.text and "Story 2: the new" in digest.text
            answer = await bot.one("When will the observatory in Valparaíso open?")
            assert answer.text is not None and "Valparaíso" in answer.text

            story_feed(site, [3, 2, 1])  # a new entry is published
            clock.advance(minutes=16)
            await eventually(lambda: polled_now(bot, clock))
            assert await bot.service.store.count() == 3, "the later entry arrived by itself"
            [listed] = await bot.say("/feed list", user=ADMIN)
            assert listed.text is not None
            assert listed.text.startswith(f"#1 Loopback Herald\n{url}\nevery 15 min · 3 articles")
            assert "last poll: ok: 1 new" in listed.text

        # A restart; the feed now lists an entry twice. Nothing is stored twice.
        site.serve_feed(
            "/feed.xml",
            rss([(f"guid-{n}", f"{site.base}/news/story-{n}.html", f"S{n}") for n in (3, 3, 2, 1)]),
        )
        polls = len(site.requests_for("/feed.xml"))
        clock.advance(minutes=16)
        async with feed_bot(emu, settings, clock) as bot:
            await eventually(lambda: polled_now(bot, clock))
            assert len(site.requests_for("/feed.xml")) == polls + 1
            assert await bot.service.store.count() == 3
        for n in (1, 2, 3):
            assert len(site.requests_for(f"/news/story-{n}.html")) == 1
        assert emu.messages_in(READER)[-1].text == answer.text  # readers heard nothing of it
        assert emu.rejected == []


async def test_a_broken_feed_pauses_and_tells_the_admins_once_never_the_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: FeedSite
) -> None:
    hermetic(monkeypatch)
    clock = FakeClock()
    url = story_feed(site, [1])
    async with BotAPIEmulator() as emu:
        async with feed_bot(emu, make_settings(tmp_path, emu), clock) as bot:
            await admin_says(bot, f"/feed add {url}", count=2)
            site.serve("/feed.xml", b"upstream timeout", "text/plain", status=503)
            for attempt in range(1, 6):
                clock.advance(hours=24)  # past any back-off
                await eventually(functools.partial(failures_are, bot, attempt))
            [alert] = await emu.wait_for_messages(ADMIN, timeout=30)
            assert alert.text is not None
            assert alert.text.startswith("Feed #1 (Loopback Herald) is paused after 5 failed polls")
            assert "503" in alert.text
            clock.advance(hours=72)
            await asyncio.sleep(10 * TICK)
            assert len(site.requests_for("/feed.xml")) == 6  # paused: no more polls
            [listed] = await bot.say("/feed list", user=ADMIN)
            assert listed.text is not None and "⏸ paused" in listed.text and "503" in listed.text
            assert emu.messages_in(READER) == []
            assert [m.text for m in emu.messages_in(ADMIN)].count(alert.text) == 1

            resumed = await bot.one("/feed resume 1", user=ADMIN)
            assert resumed.text == "Resumed feed #1: Loopback Herald; polling it now."
            removed = await bot.one("/feed remove 1", user=ADMIN)
            assert removed.text == "Removed feed #1: Loopback Herald (its articles stay)."
            assert await bot.service.store.count() == 1
        assert emu.rejected == []


async def test_feed_is_for_admins_and_in_their_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: FeedSite
) -> None:
    hermetic(monkeypatch)
    url = story_feed(site, [1])
    async with BotAPIEmulator() as emu:
        async with feed_bot(emu, make_settings(tmp_path, emu), FakeClock()) as bot:
            refused = await bot.one(f"/feed add {url}")
            assert refused.text == FOR_ADMINS
            assert await bot.service.feeds.store.all() == []
            help_text = (await bot.one("/help", user=ADMIN)).text or ""
            assert "/feed add <url> | list | remove <id> | pause <id> | resume <id>" in help_text
            assert "/feed" not in ((await bot.one("/help")).text or "")
            usage = await bot.one("/feed", user=ADMIN)
            assert usage.text is not None and usage.text.startswith("Usage:\n/feed add <url>")
            _, bad = await admin_says(bot, "/feed add http://127.0.0.1:1/nothing.xml", count=2)
            assert bad.text is not None
            assert bad.text.startswith("Could not add that feed: Could not connect to")
            assert await bot.service.feeds.store.all() == []
        assert emu.rejected == []
