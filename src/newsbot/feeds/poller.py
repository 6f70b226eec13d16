"""Polling feeds: fetch (conditional GET), parse, ingest the entries not seen before.

`FeedService` is the whole feed feature without Telegram: the bot and the CLI call `add`,
the bot's JobQueue calls `poll_due` now and then, and the database decides what is due and
who polls (the poller role: a lease row on SQLite, an advisory lock on PostgreSQL), so a late,
repeated or concurrent call does no harm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from newsbot.db.leases import Role
from newsbot.db.models import utcnow
from newsbot.errors import NewsbotError, NotHTML
from newsbot.feeds.content import carries_article, html_to_text
from newsbot.feeds.parse import (
    MAX_INTERVAL,
    FeedItem,
    NotAFeed,
    ParsedFeed,
    discover_feeds,
    interval_hint,
    parse_feed,
)
from newsbot.feeds.store import FeedInfo, FeedStore, PollRecord, entry_keys
from newsbot.ingest.fetch import FEED_TYPES, FetchedPage
from newsbot.ingest.pipeline import Ingestor
from newsbot.ingest.text import ExtractedArticle

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Alert = Callable[[str], Awaitable[None]]

DEFAULT_INTERVAL: Final = 15 * 60
PAUSE_AFTER: Final = 5  # consecutive failed polls
POLLER: Final = "feed-poller"
_ACCEPT: Final = (
    "application/rss+xml,application/atom+xml,application/rdf+xml;q=0.9,"
    "application/xml;q=0.8,text/xml;q=0.8,text/html;q=0.5,*/*;q=0.1"
)
FETCHES: Final = 4  # entry pages fetched at once
_HTML: Final = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class PollOutcome:
    """One poll of one feed: how many entries were new, and what became of them."""

    feed: FeedInfo
    ok: bool
    status: str
    not_modified: bool = False
    added: int = 0
    duplicates: int = 0
    failed: int = 0
    paused: bool = False  # paused by this poll (too many failures)


class FeedProblem(NewsbotError):
    """A poll that found no feed (a 404, HTML instead of a feed, a broken document)."""


class FeedService:
    """Adds feeds and polls them; `clock` is injectable so tests never wait for real time."""

    def __init__(
        self,
        store: FeedStore,
        ingestor: Ingestor,
        *,
        interval: int = DEFAULT_INTERVAL,
        pause_after: int = PAUSE_AFTER,
        clock: Clock = utcnow,
        alert: Alert | None = None,
        leader: Role | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.interval = interval
        self.pause_after = pause_after
        self.clock = clock
        self.alert = alert
        # One process polls at a time (None: this one alone). Held from the first due poll
        # until `release`.
        self.leader = leader

    # ---- adding -----------------------------------------------------------------------------

    async def add(self, url: str) -> PollOutcome:
        """Find the feed at `url` (or the one an HTML page links), store it and ingest the
        entries it lists now; raises a NewsbotError with a clear message."""
        page = await self._fetch(url.strip())
        if page.content_type in _HTML:
            found = discover_feeds(page.content, page.url)
            if not found:
                raise FeedProblem(
                    f"{url} is a web page that links no RSS or Atom feed "
                    '(no <link rel="alternate" type="application/rss+xml">).'
                )
            page = await self._fetch(found[0])
        parsed = self._parse(page)
        now = self.clock()
        feed = await self.store.add(
            page.url, title=parsed.title, site=parsed.site, interval=self.interval, now=now
        )
        return await self._ingest_and_record(feed, page, parsed)

    # ---- polling ----------------------------------------------------------------------------

    async def poll_due(self, limit: int = 100) -> list[PollOutcome]:
        """Poll the feeds that are due, if this process holds the poller role; then tell
        the admins about feeds that have just been paused."""
        if self.leader is not None and not await self.leader.try_acquire():
            return []
        now = self.clock()
        outcomes = [await self.poll(feed) for feed in await self.store.due(now, limit)]
        await self.send_alerts()
        return outcomes

    async def release(self) -> None:
        """Give up the poller role (at stop), so another process may poll at once."""
        if self.leader is not None:
            await self.leader.release()

    async def poll(self, feed: FeedInfo) -> PollOutcome:
        """One conditional GET of `feed`; a 304 costs no parsing or extraction."""
        headers = {}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            page = await self._fetch(feed.url, headers)
            if page.not_modified:
                return await self._record(
                    feed, True, "not modified", page, etag=feed.etag, modified=feed.last_modified
                )
            parsed = self._parse(page)
        except NewsbotError as exc:
            return await self._record(feed, False, str(exc), None)
        return await self._ingest_and_record(feed, page, parsed)

    async def send_alerts(self) -> None:
        """Tell the admins, once, about each feed paused by failures."""
        if self.alert is None:
            return
        for feed in await self.store.take_alerts():
            await self.alert(
                f"Feed #{feed.id} ({feed.name}) is paused after {feed.failures} failed polls "
                f"in a row: {feed.status}. Resume it with /feed resume {feed.id} once it works "
                "again, or remove it."
            )

    # ---- the steps --------------------------------------------------------------------------

    async def _fetch(self, url: str, headers: dict[str, str] | None = None) -> FetchedPage:
        return await self.ingestor.fetcher.fetch(
            url, headers={"Accept": _ACCEPT, **(headers or {})}, also_accept=FEED_TYPES
        )

    @staticmethod
    def _parse(page: FetchedPage) -> ParsedFeed:
        if page.content_type in _HTML:
            raise NotHTML(f"turned into HTML: {page.url} is now a web page, not a feed")
        try:
            return parse_feed(page.content, page.url)
        except NotAFeed as exc:
            raise FeedProblem(f"{page.url} is {exc}") from None

    async def _ingest_and_record(
        self, feed: FeedInfo, page: FetchedPage, parsed: ParsedFeed
    ) -> PollOutcome:
        keyed = [(item, entry_keys(item.guid, item.link)) for item in parsed.items]
        known = await self.store.known(feed.id, (k for _, keys in keyed for k in keys))
        fresh: list[tuple[FeedItem, list[str]]] = []
        taken: set[str] = set()
        # Feeds list the newest first: store the oldest first, so "newest" stays true.
        for item, keys in reversed(keyed):
            if keys and not any(k in known or k in taken for k in keys):
                fresh.append((item, keys))
                taken.update(keys)
        gate = asyncio.Semaphore(FETCHES)
        articles = await asyncio.gather(*(self._article(parsed, item, gate) for item, _ in fresh))
        results = await self.ingestor.add_extracted_many(
            [
                (item.link or item.guid or item.title, article)
                for (item, _), article in zip(fresh, articles, strict=True)
                if not isinstance(article, NewsbotError)
            ]
        )
        outcomes = iter(results)
        recorded: list[tuple[list[str], str, int | None]] = []
        counts = {"added": 0, "duplicate": 0, "failed": 0}
        for (item, keys), article in zip(fresh, articles, strict=True):
            if isinstance(article, NewsbotError):
                status, article_id = "failed", None
                log.info("feed #%d: entry %s failed: %s", feed.id, item.link, article)
            else:
                result = next(outcomes)
                status, article_id = result.status, result.article_id
            counts[status] += 1
            recorded.append((keys, status, article_id))
        await self.store.record_entries(feed.id, recorded, self.clock())
        added, failed = counts["added"], counts["failed"]
        status = f"ok: {added} new" + (f", {failed} failed" if failed else "")
        outcome = await self._record(
            feed,
            True,
            status,
            page,
            etag=page.headers.get("etag"),
            modified=page.headers.get("last-modified"),
            parsed=parsed,
        )
        return replace(outcome, added=added, duplicates=counts["duplicate"], failed=failed)

    async def _article(
        self, parsed: ParsedFeed, item: FeedItem, gate: asyncio.Semaphore
    ) -> ExtractedArticle | NewsbotError:
        """An entry's article: its own content when it carries the whole article, else its
        link fetched and extracted like /add (the entry fills what the page lacks)."""
        text = carries_article(item.content)
        if text is not None or not item.link:
            return ExtractedArticle(
                title=item.title,
                text=text or html_to_text(item.content or item.summary or ""),
                url=item.link,
                site=parsed.title,
                author=item.author,
                published=item.published,
                language=None,
            )
        try:
            async with gate:
                article = await self.ingestor.fetch_article(item.link)
        except NewsbotError as exc:
            return exc
        return replace(
            article,
            title=article.title or item.title,
            published=article.published or item.published,
            site=article.site or parsed.title,
        )

    async def _record(
        self,
        feed: FeedInfo,
        ok: bool,
        status: str,
        page: FetchedPage | None,
        *,
        etag: str | None = None,
        modified: str | None = None,
        parsed: ParsedFeed | None = None,
    ) -> PollOutcome:
        now = self.clock()
        hint = interval_hint(parsed.ttl_minutes if parsed else None, page.headers if page else {})
        # A new document without a hint goes back to the setting; a 304 or a failure says
        # nothing new about it, so the feed keeps the interval it had.
        kept = page is None or page.not_modified
        interval = hint or (feed.interval if kept else self.interval)
        wait = interval if ok else min(interval * 2 ** (feed.failures + 1), MAX_INTERVAL)
        record = PollRecord(
            ok=ok,
            status=status,
            interval=interval,
            next_poll_at=now + timedelta(seconds=wait),
            etag=etag,
            last_modified=modified,
            title=parsed.title if parsed else None,
            site=parsed.site if parsed else None,
        )
        stored = await self.store.record_poll(feed.id, record, now, pause_after=self.pause_after)
        after = stored or feed
        return PollOutcome(
            after,
            ok,
            status,
            not_modified=page is not None and page.not_modified,
            paused=after.paused and not feed.paused and not ok,
        )
