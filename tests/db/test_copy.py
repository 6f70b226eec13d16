"""`newsbot db copy SRC DST` (newsbot.db.copy): a SQLite install moved to a new database of
each backend keeps its articles (ids, added_at), passages, subscriptions with their claims,
feeds with the entries they have listed, feedback, and the question log; a destination that
holds data is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from newsbot.db.copy import CopyRefused, copy_database
from newsbot.digest.subscriptions import SENT, SubscriptionStore
from newsbot.ingest.text import ExtractedArticle
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.conftest import SEED
from tests.helpers.databases import BOTH
from tests.helpers.feeds import FakeClock, FeedSite, article_page, feed_site, rss

BACKENDS = BOTH


async def test_copy_keeps_articles_subscribers_and_their_claims(
    tmp_path: Path, database_url: str, clean_env: pytest.MonkeyPatch
) -> None:
    source = Settings(database_url=f"sqlite:///{tmp_path}/old.db", _env_file=None)
    async with await Newsbot.open(source) as old:
        await old.ingestor.add_file(SEED)
        await old.ask("What is Zhongguancun known as?")
        store = SubscriptionStore(old.sessions)
        await store.subscribe(42, "private", time(7, 30), "Europe/Berlin")
        day = date(2026, 12, 1)
        assert await store.claim(42, day)
        await store.finish(42, day, SENT, until=datetime(2026, 12, 1, 6, 30, tzinfo=UTC))
        before_sub = await store.get(42)
        before_article = await old.store.get(1)

    copied = copy_database(source.database_url, database_url)
    assert copied == {
        "articles": 1,
        "passages": 4,
        "subscriptions": 1,
        "feeds": 0,
        "feed_entries": 0,
        "feedback": 0,
        "questions": 1,
    }

    target = Settings(database_url=database_url, _env_file=None)
    async with await Newsbot.open(target) as new:
        assert await SubscriptionStore(new.sessions).get(42) == before_sub
        assert await new.store.get(1) == before_article
        answer = await new.ask("What is Zhongguancun known as?")
        assert answer.answered and answer.hits[0].article_id == 1
        stats = await new.stats()
        assert (stats.articles, stats.passages, stats.questions, stats.subscribers) == (1, 4, 2, 1)
        # New rows get new ids after the copied ones (the sequences moved on, on PostgreSQL).
        again = await new.ingestor.add_extracted("x", _article())
        assert again.article_id == 2

    with pytest.raises(CopyRefused, match="already holds articles"):
        copy_database(source.database_url, database_url)


def _article() -> ExtractedArticle:
    return ExtractedArticle(
        title="Volcano",
        text="A volcano erupted on the Reykjanes peninsula on Monday evening.",
        url=None,
        site=None,
        author=None,
        published=None,
        language=None,
    )


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with feed_site() as running:
        yield running


async def test_copied_feeds_go_on_where_they_were(
    tmp_path: Path, database_url: str, clean_env: pytest.MonkeyPatch, site: FeedSite
) -> None:
    """After the move the feed is still polled, conditionally (its ETag came along), and an
    entry seen before isn't ingested again; a paused feed stays paused."""
    for n in (1, 2, 3):
        site.serve(f"/news/story-{n}.html", article_page(n))
    items = [(f"guid-{n}", f"{site.base}/news/story-{n}.html", f"Story {n}") for n in (2, 1)]
    feed_url = site.serve_feed("/feed.xml", rss(items))
    other_url = site.serve_feed("/other.xml", rss(items[:1]))
    source = Settings(
        database_url=f"sqlite:///{tmp_path}/old.db", allow_private_urls=True, _env_file=None
    )
    clock = FakeClock()
    async with await Newsbot.open(source) as old:
        old.feeds.clock = clock
        added = await old.feeds.add(feed_url)
        assert (added.ok, added.added) == (True, 2)
        other = await old.feeds.add(other_url)
        await old.feeds.store.set_paused(other.feed.id, True, clock())
        before = await old.feeds.store.all()

    copied = copy_database(source.database_url, database_url)
    assert (copied["feeds"], copied["articles"]) == (2, 2)
    assert copied["feed_entries"] == 6  # each entry by GUID and by link: 2 x 2, and 1 x 2

    target = Settings(database_url=database_url, allow_private_urls=True, _env_file=None)
    async with await Newsbot.open(target) as new:
        new.feeds.clock = clock
        assert await new.feeds.store.all() == before
        # A poll after the move: conditional, so the unchanged feed costs a 304.
        clock.advance(hours=1)
        [outcome] = await new.feeds.poll_due()
        assert outcome.not_modified and outcome.feed.id == added.feed.id
        assert site.requests_for("/feed.xml")[-1].status == 304
        # The feed changes: only the new story is ingested, the old two are known.
        newer = [("guid-3", f"{site.base}/news/story-3.html", "Story 3"), *items]
        site.serve_feed("/feed.xml", rss(newer))
        clock.advance(hours=1)
        [outcome] = await new.feeds.poll_due()
        assert (outcome.added, outcome.duplicates, outcome.failed) == (1, 0, 0)
        assert (await new.stats()).articles == 3
        # A new feed gets an id after the copied ones.
        third = await new.feeds.add(site.serve_feed("/third.xml", rss(items[1:])))
        assert third.feed.id == 3
