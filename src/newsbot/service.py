"""The service layer the bot and the CLI share: storage, ingestion and search, wired once.

Nothing here knows about Telegram.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from newsbot import db
from newsbot.fetch import SafeFetcher
from newsbot.ingest import Ingestor, IngestResult
from newsbot.search.retriever import Retriever, SearchResult
from newsbot.settings import Settings
from newsbot.store import ArticleStore, Stats

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"


class Newsbot:
    """One database, its articles, and the retriever that answers from them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = db.make_engine(settings.database_url)
        self.sessions = db.make_sessionmaker(self.engine)
        self.store = ArticleStore(self.sessions)
        self.fetcher = SafeFetcher(allow_private=settings.allow_private_urls)
        self.ingestor = Ingestor(self.store, self.fetcher)
        self.reader = db.make_sync_engine(settings.database_url, pooled=True)
        self.retriever = Retriever(self.engine, self.reader)
        self.store.on_change(self.retriever.invalidate)

    @classmethod
    async def open(cls, settings: Settings) -> Newsbot:
        """Migrate the database if needed and build the service."""
        await db.upgrade_async(settings.database_url)
        return cls(settings)

    async def close(self) -> None:
        """Release the HTTP client and the database connections."""
        await self.fetcher.aclose()
        await self.engine.dispose()
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
            await self.store.log_question(answered=result.answered, source=source)
        return result

    async def stats(self) -> Stats:
        """Counts for `/stats` and `newsbot stats`."""
        return await self.store.stats()

    async def add_sample_if_empty(self) -> list[IngestResult]:
        """Give a new database the sample article(s), so there is something to ask about."""
        if await self.store.count():
            return []
        return [await self.ingestor.add_file(path) for path in sorted(SAMPLE_DATA.glob("*.txt"))]
