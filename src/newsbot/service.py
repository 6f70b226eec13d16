"""The service layer the bot and the CLI share: storage, ingestion and search, wired once.

Nothing here knows about Telegram.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

from newsbot import db
from newsbot.db.articles import ArticleStore, Stats
from newsbot.db.models import utcnow
from newsbot.digest.content import DigestService
from newsbot.digest.subscriptions import SubscriptionStore
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.pipeline import Ingestor, IngestResult
from newsbot.search.retriever import Retriever, SearchResult
from newsbot.settings import Settings

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"


def no_good_match(known: int) -> str:
    """The plain answer when nothing matches well enough."""
    return (
        f"I couldn't find that in the {known} article{'s' if known != 1 else ''} I know. "
        "Try other words, or see the latest articles."
    )


class Newsbot:
    """One database, its articles and subscriptions, and the retriever that answers from them.

    Every service is built here, once; the bot and the CLI use these and build none of their own.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = db.make_engine(settings.database_url)
        self.sessions = db.make_sessionmaker(self.engine)
        self.write_engine = db.make_engine(settings.database_url, writer=True)
        self.write_sessions = db.make_sessionmaker(self.write_engine)
        self.store = ArticleStore(self.sessions, self.write_sessions)
        self.subscriptions = SubscriptionStore(self.sessions, self.write_sessions)
        self.digests = DigestService(self.subscriptions, self.store)
        self.fetcher = SafeFetcher(allow_private=settings.allow_private_urls)
        self.ingestor = Ingestor(self.store, self.fetcher)
        self.reader = db.make_sync_engine(settings.database_url, pooled=True)
        self.retriever = Retriever(
            self.engine, self.reader, snapshot_path=db.index_snapshot_path(settings.database_url)
        )
        self.store.on_change(self.retriever.invalidate)
        # Questions are counted in memory and written in batches: a write per question would
        # queue every answer behind SQLite's single writer.
        self._asked: list[tuple[datetime, bool, str]] = []
        self._asked_flushed = time.monotonic()

    @classmethod
    async def open(cls, settings: Settings) -> Newsbot:
        """Migrate the database if needed and build the service."""
        await db.upgrade_async(settings.database_url)
        return cls(settings)

    async def close(self) -> None:
        """Release the HTTP client and the database connections."""
        await self.flush_questions()
        await self.retriever.save_snapshot()
        await self.fetcher.aclose()
        await self.engine.dispose()
        await self.write_engine.dispose()
        self.reader.dispose()

    async def __aenter__(self) -> Newsbot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def ask(
        self, question: str, *, limit: int | None = None, offset: int = 0, source: str = "cli"
    ) -> SearchResult:
        """Answer a question; counted for `/stats` when it is a new question (offset 0)."""
        result = await self.retriever.search(
            question, limit=limit or self.settings.max_results, offset=offset
        )
        if offset == 0:
            self._asked.append((utcnow(), result.answered, source))
            if len(self._asked) >= 100 or time.monotonic() - self._asked_flushed > 5:
                await self.flush_questions()
        return result

    async def flush_questions(self) -> None:
        """Write the questions counted since the last flush."""
        asked, self._asked = self._asked, []
        self._asked_flushed = time.monotonic()
        await self.store.log_questions(asked)

    async def stats(self) -> Stats:
        """Counts for `/stats` and `newsbot stats`."""
        await self.flush_questions()
        stats = await self.store.stats()
        return replace(stats, subscribers=await self.subscriptions.count_active())

    async def add_sample_if_empty(self) -> list[IngestResult]:
        """Give a new database the sample article(s), so there is something to ask about."""
        if await self.store.count():
            return []
        return [await self.ingestor.add_file(path) for path in sorted(SAMPLE_DATA.glob("*.txt"))]
