"""Tests for newsbot.feeds.poller: real feeds served on 127.0.0.1, a real SQLite file.

The fixtures are in the shapes of real feeds (a WordPress RSS with content:encoded, a Hugo
Atom feed with xml:base and relative links); the clock is the service's injectable one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from newsbot.db.leases import leader_for
from newsbot.errors import NewsbotError
from newsbot.feeds import FeedService
from newsbot.feeds.poller import POLLER
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.pipeline import Ingestor
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.feeds import FIXTURES, FakeClock, FeedSite, article_page, feed_site, rss


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with feed_site() as running:
        yield running


@pytest.fixture
def feed_settings(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/newsbot.db", allow_private_urls=True, _env_file=None
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot(feed_settings: Settings, clock: FakeClock) -> AsyncIterator[Newsbot]:
    service = await Newsbot.open(feed_settings)
    service.feeds.clock = clock
    try:
        yield service
    finally:
        await service.close()


def serve_story_feed(site: FeedSite, numbers: list[int], **options: object) -> str:
    """An RSS feed of article pages story-N.html (newest first), each page served too."""
    for n in numbers:
        site.serve(f"/news/story-{n}.html", article_page(n))
    items = [(f"guid-{n}", f"{site.base}/news/story-{n}.html", f"Story {n}") for n in numbers]
    return site.serve_feed("/feed.xml", rss(items), **options)


async def test_rss_with_content_encoded_is_stored_from_the_feed_itself(
    bot: Newsbot, site: FeedSite
) -> None:
    url = site.serve("/feed/", (FIXTURES / "wordpress_content_encoded.xml").read_bytes())
    outcome = await bot.feeds.add(url)
    assert (outcome.ok, outcome.added, outcome.failed) == (True, 2, 0)
    articles = {a.title: a for a in await bot.store.newest(10)}
    ferry = articles["Ferry timetable changes as the spring season starts"]
    assert ferry.url == "https://fjord.example/2024/03/12/ferry-timetable-spring/"
    assert (ferry.site, ferry.author) == ("The Fjord Gazette", "Ingrid Solberg")
    assert ferry.published is not None and ferry.published.isoformat().startswith("2024-03-12")
    [stored] = [a async for a in bot.store.export() if a.info.id == ferry.id]
    assert "four extra crossings" in stored.text and "Per Haugland" in stored.text
    assert "appeared first on" not in stored.text and "Photo:" not in stored.text
    # The links (fjord.example) were never fetched: the feed carried the articles.
    assert [hit.path for hit in site.hits] == ["/feed/"]
    # <ttl>30</ttl>: polled every 30 minutes, not the default 15.
    assert outcome.feed.interval == 1800


async def test_atom_relative_links_are_fetched_and_extracted_like_add(
    bot: Newsbot, site: FeedSite
) -> None:
    for n in (1, 2):
        site.serve(f"/news/story-{n}.html", article_page(n))
    url = site.serve(
        "/news/atom.xml",
        (FIXTURES / "atom_relative_links.xml").read_bytes(),
        "application/atom+xml",
    )
    outcome = await bot.feeds.add(url)
    assert (outcome.added, outcome.failed) == (2, 0)
    newest = await bot.store.newest(10)
    # Oldest entry stored first, so the newest article is the feed's first entry.
    assert [a.url for a in newest] == [
        f"{site.base}/news/story-2.html",
        f"{site.base}/news/story-1.html",
    ]
    assert newest[0].site == "The Loopback Herald"
    assert outcome.feed.title == "Loopback Herald — World"


async def test_a_site_page_leads_to_its_feed_by_autodiscovery(bot: Newsbot, site: FeedSite) -> None:
    feed_url = serve_story_feed(site, [1])
    page = site.serve(
        "/index.html",
        '<html><head><link rel="alternate" type="application/rss+xml" title="RSS" '
        'href="/feed.xml"></head><body><p>Home</p></body></html>',
    )
    outcome = await bot.feeds.add(page)
    assert outcome.feed.url == feed_url and outcome.added == 1


async def test_a_page_without_a_feed_or_a_404_is_refused_and_stores_nothing(
    bot: Newsbot, site: FeedSite
) -> None:
    page = site.serve("/plain.html", "<html><body><p>No feed here</p></body></html>")
    with pytest.raises(NewsbotError, match="links no RSS or Atom feed"):
        await bot.feeds.add(page)
    with pytest.raises(NewsbotError, match="404"):
        await bot.feeds.add(site.base + "/missing.xml")
    assert await bot.feeds.store.all() == []


async def test_a_304_costs_no_parsing_and_no_extraction(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    await bot.feeds.add(serve_story_feed(site, [1, 2]))
    fetched_pages = len(site.hits)
    clock.advance(minutes=16)
    [outcome] = await bot.feeds.poll_due()
    assert outcome.not_modified and outcome.ok and outcome.added == 0
    [first, second] = site.requests_for("/feed.xml")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"] == site.routes["/feed.xml"].etag
    assert second.headers["if-modified-since"] == site.routes["/feed.xml"].last_modified
    assert second.status == 304 and len(site.hits) == fetched_pages + 1


async def test_later_entries_arrive_on_the_next_poll_and_not_before(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    await bot.feeds.add(serve_story_feed(site, [1]))
    serve_story_feed(site, [2, 1])
    clock.advance(minutes=5)
    assert await bot.feeds.poll_due() == []  # not due yet: 15 minutes by default
    clock.advance(minutes=11)
    [outcome] = await bot.feeds.poll_due()
    assert (outcome.added, outcome.duplicates) == (1, 0)
    assert await bot.store.count() == 2
    assert len(site.requests_for("/news/story-1.html")) == 1  # never fetched again


async def test_duplicates_and_changed_guids_store_each_article_once(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    for n in (1, 2):
        site.serve(f"/news/story-{n}.html", article_page(n))
    link1, link2 = f"{site.base}/news/story-1.html", f"{site.base}/news/story-2.html"
    # The same entry listed twice (it happens when a CMS republishes).
    url = site.serve_feed("/feed.xml", rss([("a", link1, "One"), ("a", link1, "One")]))
    outcome = await bot.feeds.add(url)
    assert (outcome.added, outcome.duplicates) == (1, 0)
    # A CMS migration changes every GUID; the links stay. Then a copy of story 1's text
    # appears under a new GUID and a tracking link.
    site.serve("/news/story-1-copy.html", article_page(1, title="Story 1 again"))
    site.serve_feed(
        "/feed.xml",
        rss(
            [
                ("new-guid-copy", f"{site.base}/news/story-1-copy.html", "One again"),
                ("new-guid-2", link2, "Two"),
                ("new-guid-1", link1, "One"),
            ]
        ),
    )
    clock.advance(minutes=16)
    [outcome] = await bot.feeds.poll_due()
    assert (outcome.added, outcome.duplicates, outcome.failed) == (1, 1, 0)
    assert await bot.store.count() == 2
    assert len(site.requests_for("/news/story-1.html")) == 1


async def test_nothing_is_stored_twice_across_a_restart(
    feed_settings: Settings, site: FeedSite, clock: FakeClock
) -> None:
    async with await Newsbot.open(feed_settings) as first:
        first.feeds.clock = clock
        await first.feeds.add(serve_story_feed(site, [1, 2]))
    site.serve_feed(
        "/feed.xml",
        rss(
            [
                ("guid-2", f"{site.base}/news/story-2.html", "Two"),
                ("guid-1", f"{site.base}/news/story-1.html", "One"),
                ("guid-1", f"{site.base}/news/story-1.html", "One"),
            ]
        ),
    )
    clock.advance(hours=1)
    async with await Newsbot.open(feed_settings) as second:
        second.feeds.clock = clock
        [outcome] = await second.feeds.poll_due()
        assert (outcome.ok, outcome.added, outcome.duplicates) == (True, 0, 0)
        assert await second.store.count() == 2
    assert len(site.requests_for("/news/story-1.html")) == 1


@pytest.mark.parametrize(
    ("cache_control", "ttl", "expected"),
    [
        ("max-age=30", 0, 60),  # shorter than a minute: one minute
        ("public, max-age=3600", 0, 3600),
        ("max-age=999999", 0, 86400),  # longer than a day: a day
        (None, 5, 300),  # <ttl> in minutes
        (None, 0, 900),  # nothing said: NEWSBOT_FEED_INTERVAL
    ],
)
async def test_the_feed_sets_its_own_interval_within_bounds(
    bot: Newsbot, site: FeedSite, cache_control: str | None, ttl: int, expected: int
) -> None:
    site.serve("/news/story-1.html", article_page(1))
    body = rss([("g", f"{site.base}/news/story-1.html", "One")], ttl=ttl)
    outcome = await bot.feeds.add(site.serve_feed("/feed.xml", body, cache_control=cache_control))
    assert outcome.feed.interval == expected
    assert (outcome.feed.next_poll_at - bot.feeds.clock()).total_seconds() == expected


async def test_a_slow_feed_times_out_and_backs_off(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    await bot.feeds.add(serve_story_feed(site, [1]))
    site.routes["/feed.xml"].delay = 1.0
    site.routes["/feed.xml"].etag = None
    async with SafeFetcher(allow_private=True, timeout=0.3) as impatient:
        feeds = FeedService(bot.feeds.store, Ingestor(bot.store, impatient), clock=clock)
        clock.advance(minutes=16)
        [outcome] = await feeds.poll_due()
    assert not outcome.ok and "Timed out" in outcome.status
    assert outcome.feed.failures == 1
    # Backed off: twice the interval before the next try.
    assert (outcome.feed.next_poll_at - clock()).total_seconds() == 2 * 900


async def test_a_broken_feed_is_paused_after_five_failures_and_admins_told_once(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    told: list[str] = []

    async def alert(text: str) -> None:
        told.append(text)

    bot.feeds.alert = alert
    added = await bot.feeds.add(serve_story_feed(site, [1]))
    site.serve("/feed.xml", b"Internal error", "text/plain", status=500)
    for _ in range(5):
        clock.advance(hours=24)
        [outcome] = await bot.feeds.poll_due()
        assert not outcome.ok and "500" in outcome.status
    assert outcome.paused and outcome.feed.paused
    clock.advance(hours=48)
    assert await bot.feeds.poll_due() == []  # paused: not polled, not told again
    assert len(told) == 1 and f"#{added.feed.id}" in told[0] and "500" in told[0]
    [listed] = await bot.feeds.store.all()
    assert listed.paused and "500" in (listed.status or "")
    # Resumed by an admin, it is polled at once, and works again once the server does.
    serve_story_feed(site, [1])
    await bot.feeds.store.set_paused(listed.id, False, clock())
    [outcome] = await bot.feeds.poll_due()
    assert outcome.ok and outcome.feed.failures == 0


async def test_a_feed_that_turns_into_html_or_404_says_so(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    await bot.feeds.add(serve_story_feed(site, [1]))
    site.serve("/feed.xml", "<html><body><p>We moved!</p></body></html>", "text/html")
    clock.advance(minutes=16)
    [outcome] = await bot.feeds.poll_due()
    assert "turned into HTML" in outcome.status
    del site.routes["/feed.xml"]
    clock.advance(hours=1)
    [outcome] = await bot.feeds.poll_due()
    assert "404" in outcome.status
    [listed] = await bot.feeds.store.all()
    assert "404" in (listed.status or "") and listed.failures == 2


async def test_an_entry_whose_page_fails_is_retried_on_later_polls(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    url = serve_story_feed(site, [1])
    del site.routes["/news/story-1.html"]
    site.routes["/feed.xml"].etag = site.routes["/feed.xml"].last_modified = None
    outcome = await bot.feeds.add(url)
    assert (outcome.added, outcome.failed) == (0, 1)
    site.serve("/news/story-1.html", article_page(1))
    clock.advance(minutes=16)
    [outcome] = await bot.feeds.poll_due()
    assert (outcome.added, outcome.failed) == (1, 0)


async def test_the_poller_role_is_the_shared_leader(
    bot: Newsbot, site: FeedSite, clock: FakeClock
) -> None:
    # The feed poller holds a role like the digest sender's (db/leases.py: a lease row on
    # SQLite), so another process sees it held and takes it once it is given up.
    await bot.feeds.add(serve_story_feed(site, [1]))
    clock.advance(minutes=16)
    assert len(await bot.feeds.poll_due()) == 1
    mine = bot.feeds.leader
    assert mine is not None and await mine.holder_now() == mine.holder
    other = leader_for(bot.write_sessions, POLLER, holder="another process")
    assert not await other.try_acquire()
    await bot.feeds.release()
    assert await mine.holder_now() is None
    assert await other.try_acquire()
    clock.advance(minutes=16)
    assert await bot.feeds.poll_due() == []  # the other process polls now
    await other.release()


async def test_one_poller_at_a_time_across_processes(
    bot: Newsbot, feed_settings: Settings, site: FeedSite, clock: FakeClock
) -> None:
    added = await bot.feeds.add(serve_story_feed(site, [1]))
    store = bot.feeds.store

    async def make_due() -> None:
        await store.set_paused(added.feed.id, False, clock())

    async with await Newsbot.open(feed_settings) as other_process:
        other = other_process.feeds
        other.clock = clock
        clock.advance(minutes=16)
        assert len(await bot.feeds.poll_due()) == 1  # takes the poller role (and keeps it)
        clock.advance(minutes=1)
        await make_due()
        assert await other.poll_due() == []  # due, but the role is held
        assert len(await bot.feeds.poll_due()) == 1  # the holder polls
        await bot.feeds.release()  # the holder stops (a dead one: tests/db/test_leases.py)
        await make_due()
        assert len(await other.poll_due()) == 1
        await make_due()
        assert await bot.feeds.poll_due() == []
        await other.release()
        await make_due()
        assert len(await bot.feeds.poll_due()) == 1  # released: taken back at once
