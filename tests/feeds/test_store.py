"""Tests for newsbot.feeds.store on a real SQLite file: seen entries, removal (the poller's
role: tests/db/test_leases.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from newsbot.errors import NotFound
from newsbot.feeds.store import RETRIES, FeedExists, FeedStore, entry_keys
from newsbot.service import Newsbot
from newsbot.settings import Settings

NOW = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[FeedStore]:
    async with await Newsbot.open(settings) as service:
        yield service.feeds.store


async def test_entries_are_known_by_guid_or_link_and_failures_retry(store: FeedStore) -> None:
    feed = await store.add("http://x.example/feed", title="X", site=None, interval=900, now=NOW)
    with pytest.raises(FeedExists, match=f"#{feed.id}"):
        await store.add("http://x.example/feed", title="X", site=None, interval=900, now=NOW)
    ok, bad = entry_keys("g1", "http://x.example/1"), entry_keys("g2", "http://x.example/2")
    await store.record_entries(feed.id, [(ok, "added", 1), (bad, "failed", None)], NOW)
    assert await store.known(feed.id, ok + bad) == set(ok)
    # The same link under a new GUID is known; the failing entry counts only after RETRIES.
    assert await store.known(feed.id, entry_keys("g-new", "http://x.example/1")) == {ok[1]}
    for _ in range(RETRIES - 1):
        await store.record_entries(feed.id, [(bad, "failed", None)], NOW)
    assert await store.known(feed.id, bad) == set(bad)
    assert [f.entries for f in await store.all()] == [1]


async def test_remove_forgets_the_entries_and_unknown_ids_say_so(store: FeedStore) -> None:
    feed = await store.add("http://x.example/feed", title=None, site=None, interval=900, now=NOW)
    keys = entry_keys("g1", None)
    await store.record_entries(feed.id, [(keys, "added", 7)], NOW)
    removed = await store.remove(feed.id)
    assert removed.name == "http://x.example/feed"  # no title: the URL names it
    assert await store.known(feed.id, keys) == set()
    await store.record_entries(feed.id, [(keys, "added", 7)], NOW)  # a poll that ends late
    assert await store.known(feed.id, keys) == set()
    for call in (store.remove(feed.id), store.set_paused(feed.id, True, NOW), store.get(feed.id)):
        with pytest.raises(NotFound, match=f"no feed with id {feed.id}"):
            await call
