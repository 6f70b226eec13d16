"""Feeds in the database: the feeds and the entries each has listed (which process polls is
the poller role's business: `newsbot.db.leases`).

Every write is one transaction on the writer sessions (BEGIN IMMEDIATE on SQLite), so two
processes never interleave a read-then-write on the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, distinct, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import Feed, FeedEntry, record_of
from newsbot.errors import NewsbotError, NotFound

RETRIES = 3  # polls that try a failing entry again before it counts as seen


class FeedExists(NewsbotError):
    """That feed URL is already polled."""

    def __init__(self, message: str, feed: FeedInfo) -> None:
        super().__init__(message)
        self.feed = feed


@dataclass(frozen=True)
class FeedInfo:
    """A feed as `/feed list` shows it, and what the poller needs to poll it."""

    id: int
    url: str
    title: str | None
    site: str | None
    etag: str | None
    last_modified: str | None
    interval: int
    next_poll_at: datetime
    last_polled_at: datetime | None
    failures: int
    paused: bool
    status: str | None
    entries: int = 0

    @classmethod
    def from_row(cls, row: Feed, entries: int = 0) -> FeedInfo:
        return record_of(cls, row, entries=entries)

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True)
class PollRecord:
    """What one poll found, for `FeedStore.record_poll`."""

    ok: bool
    status: str
    interval: int  # the feed's interval from now on (seconds)
    next_poll_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    site: str | None = None


def entry_keys(guid: str | None, link: str | None) -> list[str]:
    """The keys an entry is known by: its GUID and its link (either may change alone)."""
    keys = []
    if guid:
        keys.append("g:" + hashlib.sha256(guid.encode()).hexdigest()[:60])
    if link:
        keys.append("u:" + hashlib.sha256(link.strip().encode()).hexdigest()[:60])
    return keys


class FeedStore:
    """Reads and writes feeds; every write is one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        self._writes = writes or sessions

    async def add(
        self, url: str, *, title: str | None, site: str | None, interval: int, now: datetime
    ) -> FeedInfo:
        """A new feed (the caller ingests its entries now; the poller's turn comes after
        `interval`); raises FeedExists."""
        async with self._writes() as session, session.begin():
            existing = await session.scalar(select(Feed).where(Feed.url == url))
            if existing is not None:
                raise FeedExists(
                    f"That feed is already there as #{existing.id}.", FeedInfo.from_row(existing)
                )
            row = Feed(
                url=url,
                title=title,
                site=site,
                interval=interval,
                next_poll_at=now + timedelta(seconds=interval),
                failures=0,
                paused=False,
                alert_pending=False,
                added_at=now,
            )
            session.add(row)
            await session.flush()
            return FeedInfo.from_row(row)

    async def get(self, feed_id: int) -> FeedInfo:
        async with self._sessions() as session:
            row = await session.get(Feed, feed_id)
            if row is None:
                raise NotFound(f"There is no feed with id {feed_id}.")
            return FeedInfo.from_row(row)

    async def all(self) -> list[FeedInfo]:
        """Every feed, oldest first, with how many entries each has brought in."""
        async with self._sessions() as session:
            rows = list(await session.scalars(select(Feed).order_by(Feed.id)))
            per_feed: dict[int, int] = {
                feed_id: count
                for feed_id, count in await session.execute(
                    select(FeedEntry.feed_id, func.count(distinct(FeedEntry.article_id)))
                    .where(FeedEntry.outcome == "added")
                    .group_by(FeedEntry.feed_id)
                )
            }
            return [FeedInfo.from_row(row, per_feed.get(row.id, 0)) for row in rows]

    async def remove(self, feed_id: int) -> FeedInfo:
        """Stop polling a feed (its articles stay); raises NotFound."""
        async with self._writes() as session, session.begin():
            row = await session.get(Feed, feed_id)
            if row is None:
                raise NotFound(f"There is no feed with id {feed_id}.")
            info = FeedInfo.from_row(row)
            await session.execute(delete(FeedEntry).where(FeedEntry.feed_id == feed_id))
            await session.execute(delete(Feed).where(Feed.id == feed_id))
            return info

    async def set_paused(self, feed_id: int, paused: bool, now: datetime) -> FeedInfo:
        """Pause a feed, or resume it (polled at once, its failure count reset)."""
        async with self._writes() as session, session.begin():
            row = await session.get(Feed, feed_id)
            if row is None:
                raise NotFound(f"There is no feed with id {feed_id}.")
            row.paused = paused
            if not paused:
                row.failures = 0
                row.alert_pending = False
                row.next_poll_at = now
            return FeedInfo.from_row(row)

    async def due(self, now: datetime, limit: int = 100) -> list[FeedInfo]:
        """Feeds whose time has come, the most overdue first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Feed)
                .where(Feed.paused.is_(False), Feed.next_poll_at <= now)
                .order_by(Feed.next_poll_at, Feed.id)
                .limit(limit)
            )
            return [FeedInfo.from_row(row) for row in rows]

    async def next_due(self) -> datetime | None:
        """When the next active feed is due."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Feed.next_poll_at)
                .where(Feed.paused.is_(False))
                .order_by(Feed.next_poll_at)
                .limit(1)
            )

    async def record_poll(
        self, feed_id: int, record: PollRecord, now: datetime, *, pause_after: int
    ) -> FeedInfo | None:
        """Store a poll's outcome; after `pause_after` failures in a row the feed is paused and
        an alert is pending. None when the feed was removed meanwhile."""
        async with self._writes() as session, session.begin():
            row = await session.get(Feed, feed_id)
            if row is None:
                return None
            row.status = record.status[:500]
            row.last_polled_at = now
            row.interval = record.interval
            row.next_poll_at = record.next_poll_at
            if record.ok:
                row.failures = 0
                row.etag, row.last_modified = record.etag, record.last_modified
                row.title = record.title or row.title
                row.site = record.site or row.site
            else:
                row.failures += 1
                if row.failures >= pause_after and not row.paused:
                    row.paused = True
                    row.alert_pending = True
            return FeedInfo.from_row(row)

    async def take_alerts(self) -> list[FeedInfo]:
        """Feeds paused by failures whose admins haven't been told; marked told."""
        async with self._writes() as session, session.begin():
            rows = list(await session.scalars(select(Feed).where(Feed.alert_pending.is_(True))))
            for row in rows:
                row.alert_pending = False
            return [FeedInfo.from_row(row) for row in rows]

    async def known(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Of `keys`, those already dealt with (ingested, duplicates, or failed too often)."""
        wanted = set(keys)
        if not wanted:
            return set()
        async with self._sessions() as session:
            rows = await session.execute(
                select(FeedEntry.key, FeedEntry.outcome, FeedEntry.attempts).where(
                    FeedEntry.feed_id == feed_id, FeedEntry.key.in_(wanted)
                )
            )
            return {
                key for key, outcome, attempts in rows if outcome != "failed" or attempts >= RETRIES
            }

    async def record_entries(
        self,
        feed_id: int,
        outcomes: Sequence[tuple[Sequence[str], str, int | None]],
        now: datetime,
    ) -> None:
        """Remember entries: (their keys, "added"/"duplicate"/"failed", article id)."""
        if not outcomes:
            return
        async with self._writes() as session, session.begin():
            if await session.get(Feed, feed_id) is None:
                return  # removed while it was being polled
            keys = {key for entry_keys_, _, _ in outcomes for key in entry_keys_}
            existing = {
                row.key: row
                for row in await session.scalars(
                    select(FeedEntry).where(FeedEntry.feed_id == feed_id, FeedEntry.key.in_(keys))
                )
            }
            fresh: dict[str, dict[str, object]] = {}
            for entry_keys_, outcome, article_id in outcomes:
                for key in entry_keys_:
                    row = existing.get(key)
                    if row is not None:
                        row.attempts += 1
                        row.outcome, row.article_id, row.seen_at = outcome, article_id, now
                        continue
                    fresh[key] = {
                        "feed_id": feed_id,
                        "key": key,
                        "article_id": article_id,
                        "outcome": outcome,
                        "attempts": 1,
                        "seen_at": now,
                    }
            if fresh:
                await session.execute(insert(FeedEntry), list(fresh.values()))
