"""Articles and passages in the database: add (atomically, de-duplicated), list, remove, export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import Article, Passage, QuestionLog, record_of, utcnow
from newsbot.errors import NotFound

# SQLite allows 32,766 bound variables per statement; stay well below with batches.
BATCH_SIZE = 1000


@dataclass(frozen=True)
class NewArticle:
    """An article ready to store: metadata, full text, passages and content fingerprint."""

    title: str
    text: str
    passages: Sequence[str]
    fingerprint: str
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class ArticleInfo:
    """A stored article's metadata (what lists, replies and digests show)."""

    id: int
    title: str
    url: str | None
    site: str | None
    author: str | None
    published: datetime | None
    language: str | None
    added_at: datetime
    passage_count: int = 0

    @classmethod
    def from_row(cls, article: Article, passage_count: int = 0) -> ArticleInfo:
        return record_of(cls, article, passage_count=passage_count)


# The columns an `ArticleInfo` is made of (its passage count aside).
INFO_COLUMNS = tuple(
    getattr(Article, f.name) for f in fields(ArticleInfo) if f.name != "passage_count"
)


@dataclass(frozen=True)
class StoredArticle:
    """A whole article with its passages (for export)."""

    info: ArticleInfo
    text: str
    passages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AddOutcome:
    """What happened to one `NewArticle`: stored under `article_id`, or a duplicate of it."""

    article_id: int
    duplicate: bool


# Where a question came from (`QuestionLog.source`): these are the command line's (`ask`,
# `prompt`; "chat" is what `prompt` logged before), every other source is a reader's (the bot).
CLI_SOURCES = ("cli", "prompt", "chat")


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    questions: int  # all of them, readers' and the command line's
    answered: int
    subscribers: int = 0
    helpful: int = 0  # 👍 on answers
    unhelpful: int = 0  # 👎
    cli_questions: int = 0  # asked with `newsbot ask` / `newsbot prompt`, counted apart
    cli_answered: int = 0

    @property
    def answered_share(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def reader_questions(self) -> int:
        """Questions readers asked the bot (Telegram, inline mode)."""
        return self.questions - self.cli_questions

    @property
    def reader_answered_share(self) -> float:
        readers = self.reader_questions
        return (self.answered - self.cli_answered) / readers if readers else 0.0

    @property
    def questions_summary(self) -> str:
        """Readers' questions (the share answered), the command line's counted apart."""
        return (
            f"{self.reader_questions} from readers ({self.reader_answered_share:.0%} answered), "
            f"{self.cli_questions} from the CLI"
        )


class ArticleStore:
    """Reads and writes articles; every write is one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        # Sessions on the writer engine (db.make_engine(writer=True)): BEGIN IMMEDIATE.
        self._writes = writes or sessions
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed change to the articles (e.g. the search index)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def add_many(self, articles: Sequence[NewArticle]) -> list[AddOutcome]:
        """Store articles, skipping duplicates (same URL or same text), in batches.

        Each batch is one transaction, so an article is stored whole or not at all.
        """
        outcomes: list[AddOutcome] = []
        for start in range(0, len(articles), BATCH_SIZE):
            batch = articles[start : start + BATCH_SIZE]
            async with self._writes() as session, session.begin():
                outcomes.extend(await self._add_batch(session, batch))
        self._changed()
        return outcomes

    async def add(self, article: NewArticle) -> AddOutcome:
        """Store one article (or report the stored one it duplicates)."""
        return (await self.add_many([article]))[0]

    async def _add_batch(
        self, session: AsyncSession, batch: Sequence[NewArticle]
    ) -> list[AddOutcome]:
        urls = {a.url for a in batch if a.url}
        prints = {a.fingerprint for a in batch}
        known_url: dict[str, int] = {}
        known_print: dict[str, int] = {}
        rows = await session.execute(
            select(Article.id, Article.url, Article.fingerprint).where(
                or_(Article.url.in_(urls), Article.fingerprint.in_(prints))
            )
        )
        for article_id, url, fingerprint in rows:
            if url:
                known_url[url] = article_id
            known_print[fingerprint] = article_id

        # Each article resolves to a stored id (duplicate), or to a slot in `fresh`, shared by
        # later copies of it in the same batch (duplicates too).
        fresh: list[NewArticle] = []
        plan: list[tuple[int, bool]] = []  # (stored id or slot in fresh, is_slot)
        duplicate_slot: set[int] = set()
        slot_by_key: dict[str, int] = {}
        for index, article in enumerate(batch):
            existing = known_print.get(article.fingerprint) or (
                known_url.get(article.url) if article.url else None
            )
            if existing is not None:
                plan.append((existing, False))
                continue
            keys = [f"p:{article.fingerprint}"] + ([f"u:{article.url}"] if article.url else [])
            slot = next((slot_by_key[k] for k in keys if k in slot_by_key), None)
            if slot is not None:
                plan.append((slot, True))
                duplicate_slot.add(index)
                continue
            slot = len(fresh)
            fresh.append(article)
            for key in keys:
                slot_by_key[key] = slot
            plan.append((slot, True))

        ids: list[int] = []
        if fresh:
            now = utcnow()
            # executemany, then ids by fingerprint (unique): SQLite can't promise RETURNING's
            # order for a multi-row insert, and one statement per row is ten times slower.
            await session.execute(
                insert(Article),
                [
                    {
                        "url": a.url,
                        "title": a.title,
                        "site": a.site,
                        "author": a.author,
                        "published": a.published,
                        "language": a.language,
                        "added_at": now,
                        "fingerprint": a.fingerprint,
                        "text": a.text,
                    }
                    for a in fresh
                ],
            )
            stored = await session.execute(
                select(Article.fingerprint, Article.id).where(
                    Article.fingerprint.in_([a.fingerprint for a in fresh])
                )
            )
            id_of = {fingerprint: article_id for fingerprint, article_id in stored}
            ids = [id_of[a.fingerprint] for a in fresh]
            await session.execute(
                insert(Passage),
                [
                    {"article_id": article_id, "position": position, "text": text}
                    for article, article_id in zip(fresh, ids, strict=True)
                    for position, text in enumerate(article.passages)
                ],
            )
        return [
            AddOutcome(ids[ref], duplicate=index in duplicate_slot)
            if is_slot
            else AddOutcome(ref, duplicate=True)
            for index, (ref, is_slot) in enumerate(plan)
        ]

    async def remove(self, article_id: int) -> ArticleInfo:
        """Delete an article and its passages; raises NotFound."""
        async with self._writes() as session, session.begin():
            article = await session.get(Article, article_id)
            if article is None:
                raise NotFound(f"There is no article with id {article_id}.")
            info = ArticleInfo.from_row(article)
            await session.execute(delete(Article).where(Article.id == article_id))
        self._changed()
        return info

    async def get(self, article_id: int) -> ArticleInfo:
        """One article's metadata; raises NotFound."""
        async with self._sessions() as session:
            article = await session.get(Article, article_id)
            if article is None:
                raise NotFound(f"There is no article with id {article_id}.")
            count = await session.scalar(
                select(func.count()).select_from(Passage).where(Passage.article_id == article_id)
            )
            return ArticleInfo.from_row(article, count or 0)

    async def newest(self, limit: int, offset: int = 0) -> list[ArticleInfo]:
        """Articles, most recently added first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Article)
                .order_by(Article.added_at.desc(), Article.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [ArticleInfo.from_row(a) for a in rows]

    async def added_since(
        self,
        since: datetime,
        limit: int,
        *,
        until: datetime | None = None,
        oldest_first: bool = False,
    ) -> list[ArticleInfo]:
        """Articles added after `since` (and at or before `until`), newest first (or oldest)."""
        order = (
            (Article.added_at, Article.id)
            if oldest_first
            else (
                Article.added_at.desc(),
                Article.id.desc(),
            )
        )
        # The listed columns only: not the article's text, and neither ORM objects nor an ORM
        # session (a connection of the sessions' engine): each digest runs this.
        statement = select(*INFO_COLUMNS).where(Article.added_at > since)
        if until is not None:
            statement = statement.where(Article.added_at <= until)
        async with self._sessions.kw["bind"].connect() as connection:
            rows = await connection.execute(statement.order_by(*order).limit(limit))
            return [record_of(ArticleInfo, row, passage_count=0) for row in rows]

    async def count_added(self, since: datetime, until: datetime) -> int:
        """How many articles were added in (since, until]."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.added_at > since, Article.added_at <= until)
            )
            return count or 0

    async def first_passages(self, article_ids: Sequence[int]) -> dict[int, str]:
        """The first passage of each article (digest leads; a connection, as added_since)."""
        if not article_ids:
            return {}
        async with self._sessions.kw["bind"].connect() as connection:
            rows = await connection.execute(
                select(Passage.article_id, Passage.text).where(
                    Passage.article_id.in_(set(article_ids)), Passage.position == 0
                )
            )
            return {article_id: text for article_id, text in rows}

    async def passages(self, passage_ids: Sequence[int]) -> dict[int, str]:
        """The text of each passage that still exists, by id."""
        if not passage_ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(Passage.id, Passage.text).where(Passage.id.in_(list(passage_ids)))
            )
            return {int(pid): str(body) for pid, body in rows}

    async def count(self) -> int:
        """How many articles are stored."""
        async with self._sessions() as session:
            return (await session.scalar(select(func.count()).select_from(Article))) or 0

    async def log_questions(self, questions: Sequence[tuple[datetime, bool, str]]) -> None:
        """Count questions for `/stats`: (asked at, answered, source); their text isn't kept."""
        if not questions:
            return
        async with self._writes() as session, session.begin():
            await session.execute(
                insert(QuestionLog),
                [{"asked_at": t, "answered": a, "source": s} for t, a, s in questions],
            )

    async def stats(self) -> Stats:
        """Counts for `/stats` and `newsbot stats`."""
        async with self._sessions() as session:
            articles = await session.scalar(select(func.count()).select_from(Article))
            passages = await session.scalar(select(func.count()).select_from(Passage))
            from_cli = QuestionLog.source.in_(CLI_SOURCES)
            rows = await session.execute(
                select(from_cli, func.count(), func.count().filter(QuestionLog.answered))
                .select_from(QuestionLog)
                .group_by(from_cli)
            )
            counts = {bool(cli): (int(n), int(answered)) for cli, n, answered in rows}
        cli, readers = counts.get(True, (0, 0)), counts.get(False, (0, 0))
        return Stats(
            articles or 0,
            passages or 0,
            questions=cli[0] + readers[0],
            answered=cli[1] + readers[1],
            cli_questions=cli[0],
            cli_answered=cli[1],
        )

    async def export(self, batch: int = 500) -> AsyncIterator[StoredArticle]:
        """Every article with its passages, oldest first."""
        last_id = 0
        while True:
            async with self._sessions() as session:
                articles = list(
                    await session.scalars(
                        select(Article)
                        .where(Article.id > last_id)
                        .order_by(Article.id)
                        .limit(batch)
                    )
                )
                if not articles:
                    return
                rows = await session.execute(
                    select(Passage.article_id, Passage.text)
                    .where(Passage.article_id.in_([a.id for a in articles]))
                    .order_by(Passage.article_id, Passage.position)
                )
                passages: dict[int, list[str]] = {}
                for article_id, text in rows:
                    passages.setdefault(article_id, []).append(text)
            for article in articles:
                texts = passages.get(article.id, [])
                yield StoredArticle(ArticleInfo.from_row(article, len(texts)), article.text, texts)
            last_id = articles[-1].id
