"""The service layer the bot and the CLI share: storage, ingestion and search, wired once.

Nothing here knows about Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

from newsbot import db, metrics
from newsbot.conversation.chat import Conversation
from newsbot.db.articles import ArticleStore, Stats
from newsbot.db.changes import ChangeListener
from newsbot.db.chat_state import ChatStateStore
from newsbot.db.languages import ChatLanguageStore
from newsbot.db.leases import leader_for
from newsbot.db.models import utcnow
from newsbot.digest.content import DigestService
from newsbot.digest.subscriptions import SubscriptionStore
from newsbot.feeds import FeedService, FeedStore
from newsbot.feeds.poller import POLLER as FEED_POLLER
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.pipeline import Ingestor, IngestResult
from newsbot.search.dense import Encoder, load_encoder
from newsbot.search.embedding import EmbeddingWorker
from newsbot.search.retriever import Retriever, SearchResult
from newsbot.settings import Settings

log = logging.getLogger(__name__)

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"


def no_good_match(
    known: int, latest: str = "/latest", add: str = "an admin can add some with /add"
) -> str:
    """The plain answer when nothing matches well enough; `latest` and `add` name the commands
    that list the articles and add some, where the question came from (the bot, the CLI)."""
    if known == 0:
        return f"I don't know any articles yet, so I can't answer that: {add}."
    return (
        f"I couldn't find that in the {known} article{'s' if known != 1 else ''} I know. "
        f"Try other words, or see {latest}."
    )


class Newsbot:
    """One database, its articles and subscriptions, and the retriever that answers from them.

    Every service is built here, once; the bot and the CLI use these and build none of their own.
    """

    def __init__(
        self, settings: Settings, *, encoder: Encoder | Literal["auto"] | None = "auto"
    ) -> None:
        self.settings = settings
        if encoder == "auto":
            off = settings.embeddings == "off"
            encoder = None if off else load_encoder(settings.embeddings)
        self.encoder = encoder
        self.engine = db.make_engine(settings.database_url)
        self.sessions = db.make_sessionmaker(self.engine)
        self.write_engine = db.make_engine(settings.database_url, writer=True)
        self.write_sessions = db.make_sessionmaker(self.write_engine)
        self.store = ArticleStore(self.sessions, self.write_sessions)
        self.subscriptions = SubscriptionStore(self.sessions, self.write_sessions)
        self.digests = DigestService(self.subscriptions, self.store)
        self.fetcher = SafeFetcher(allow_private=settings.allow_private_urls)
        self.ingestor = Ingestor(self.store, self.fetcher)
        self.feeds = FeedService(
            FeedStore(self.sessions, self.write_sessions),
            self.ingestor,
            interval=settings.feed_interval * 60,
            leader=leader_for(self.write_sessions, FEED_POLLER),
        )
        self.reader = db.make_sync_engine(settings.database_url, pooled=True)
        self.retriever = Retriever(
            self.engine,
            self.reader,
            snapshot_path=db.index_snapshot_path(settings.database_url),
            encoder=encoder,
        )
        self.store.on_change(self.retriever.invalidate)
        # Passages get their vectors after they are stored, in the background (or, for the
        # CLI, by `embed_pending`); until then they are found lexically.
        self.embedder = (
            EmbeddingWorker(
                self.engine, self.write_engine, encoder, on_written=self.retriever.invalidate
            )
            if encoder
            else None
        )
        if self.embedder:
            self.store.on_change(self.embedder.wake)
        self._embedding: asyncio.Task[None] | None = None
        self._listener: ChangeListener | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self.chat_state = ChatStateStore(self.sessions, self.write_sessions)
        self.languages = ChatLanguageStore(self.sessions, self.write_sessions)
        self.conversation = Conversation(
            self.retriever,
            self.store,
            self.chat_state,
            self._count_telegram_question,
            per_page=settings.max_results,
        )
        # Questions are counted in memory and written in batches: a write per question would
        # queue every answer behind SQLite's single writer.
        self._asked: list[tuple[datetime, bool, str]] = []
        self._asked_flushed = time.monotonic()

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        create: bool = True,
        encoder: Encoder | Literal["auto"] | None = "auto",
    ) -> Newsbot:
        """Migrate the database if needed and build the service.

        `create=False` (read-only commands): a database that doesn't exist is refused."""
        await db.upgrade_async(settings.database_url, create=create)
        return cls(settings, encoder=encoder)

    def start_embedding(self) -> None:
        """Embed new passages in a background task until the service closes (the bot)."""
        if self.embedder and self._embedding is None:
            self._embedding = asyncio.create_task(self.embedder.run_forever())

    def start_following(self) -> None:
        """On PostgreSQL, catch the index up as soon as another process changes the articles
        (LISTEN/NOTIFY, `newsbot.db.changes`); the index's own look every second stays the
        truth. The bot calls this; short CLI commands needn't."""
        if self._listener is None and db.is_postgres(self.settings.database_url):
            self._listener = ChangeListener(self.settings.database_url, self._changed_elsewhere)
            self._listener.start()

    def _changed_elsewhere(self) -> None:
        self.retriever.invalidate()
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            await self.retriever.refresh()
        except Exception:  # the next question looks again
            log.exception("could not catch the search index up")

    async def embed_pending(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed every passage that has no vector yet (the CLI's ingest); how many."""
        if self.embedder is None:
            return 0
        return await self.embedder.run_until_done(progress)

    async def close(self) -> None:
        """Release the HTTP client and the database connections."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        if self._catching_up is not None:
            await asyncio.gather(self._catching_up, return_exceptions=True)
        if self._embedding:
            self._embedding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._embedding
            self._embedding = None
        await self.flush_questions()
        await self.feeds.release()
        await self.chat_state.close()
        await self.retriever.save_snapshot()
        await self.fetcher.aclose()
        self.ingestor.close()
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
        """Answer a question; counted for `/stats` when it is a new question (offset 0).

        Messages that are not questions ("ok", "2") get no passages and are not counted.
        """
        started = time.perf_counter()
        result = await self.retriever.search(
            question, limit=limit or self.settings.max_results, offset=offset
        )
        if offset == 0 and not result.not_a_question:
            metrics.ANSWER_SECONDS.observe(time.perf_counter() - started)
            await self.count_question(result.answered, source)
        return result

    async def count_question(self, answered: bool, source: str) -> None:
        """Count a question for `/stats` (written in batches) and `/metrics`."""
        metrics.QUESTIONS.labels(answered=str(answered).lower()).inc()
        self._asked.append((utcnow(), answered, source))
        if len(self._asked) >= 100 or time.monotonic() - self._asked_flushed > 5:
            await self.flush_questions()

    async def _count_telegram_question(self, answered: bool) -> None:
        await self.count_question(answered, "telegram")

    async def flush_questions(self) -> None:
        """Write the questions counted since the last flush."""
        asked, self._asked = self._asked, []
        self._asked_flushed = time.monotonic()
        await self.store.log_questions(asked)

    async def stats(self) -> Stats:
        """Counts for `/stats` and `newsbot stats`."""
        await self.flush_questions()
        stats = await self.store.stats()
        helpful, unhelpful = await self.chat_state.votes()
        return replace(
            stats,
            subscribers=await self.subscriptions.count_active(),
            helpful=helpful,
            unhelpful=unhelpful,
        )

    async def add_sample_if_empty(self) -> list[IngestResult]:
        """Give a new database the sample article(s), so there is something to ask about."""
        if await self.store.count():
            return []
        return [await self.ingestor.add_file(path) for path in sorted(SAMPLE_DATA.glob("*.txt"))]
