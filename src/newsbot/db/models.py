"""The database schema: articles, their passages, and what the search index needs."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic can alter tables on SQLite (batch mode) and diff cleanly.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


R = TypeVar("R")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def record_of(cls: type[R], row: object, **extra: Any) -> R:
    """A record dataclass (`ArticleInfo`, `FeedInfo`) filled from a mapped row's attributes of
    the same names; `extra` gives the fields the row has no column for (counts)."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in extra}  # type: ignore[arg-type]
    return cls(**values, **extra)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, gives back timezone-aware datetimes (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    """One news article; its text lives in `passages`."""

    __tablename__ = "articles"
    # AUTOINCREMENT: ids are never reused, so an id seen once (by a search index, a "More"
    # button, a removal log) always means the same article.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(300))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(20))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="article",
        order_by="Passage.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Passage(Base):
    """A few sentences of an article: the unit that answers a question."""

    __tablename__ = "passages"
    # AUTOINCREMENT: the search index follows new passages by id (see search/index.py).
    __table_args__ = (
        UniqueConstraint("article_id", "position"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="passages")


class PassageVector(Base):
    """A passage's sentence-embedding vector (search/dense.py), computed after it is stored.

    `id` grows with every vector written, so each process's retriever follows new vectors by
    id, whichever process embedded them and in whatever order.
    """

    __tablename__ = "passage_vectors"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passages.id", ondelete="CASCADE"), unique=True
    )
    model: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleRemoval(Base):
    """A log of removed articles, filled by a trigger, so that every process's in-memory search
    index can drop their passages without rescanning the table."""

    __tablename__ = "article_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer)


class QuestionLog(Base):
    """Questions asked, for `/stats` (how many, and the share answered)."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20))


# Tables that live in the database but not in this metadata: Alembic must leave them alone.
FTS_TABLE_PREFIX = "passages_fts"


class Subscription(Base):
    """A chat's daily digest: when (local time and IANA zone), and what was last delivered.

    `claimed_day`/`claim_state` make each day's digest exactly-once (see `newsbot.digest`);
    `last_sent_at` is where the next digest's articles start.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_type: Mapped[str] = mapped_column(String(20))
    local_time: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the current time and zone were set: digests due before it aren't owed.
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_day: Mapped[date | None] = mapped_column(Date)
    claim_state: Mapped[str | None] = mapped_column(String(10))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language its digests are written in ("en", "ru"): the subscriber's when subscribing,
    # then the chat's /language.
    language: Mapped[str | None] = mapped_column(String(16))


class Feed(Base):
    """An RSS or Atom feed polled by itself (see `newsbot.feeds`): where, when next, how it went.

    `etag`/`last_modified` make the next poll a conditional GET; `interval` is the feed's own
    (the setting, or its <ttl>/Cache-Control within bounds); `failures` counts consecutive
    failed polls, and at the limit the feed is paused with `alert_pending` set until the admins
    have been told. `status` is what `/feed list` shows ("404 Not Found", "turned into HTML").
    """

    __tablename__ = "feeds"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    interval: Mapped[int] = mapped_column(Integer)  # seconds
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedEntry(Base):
    """An entry a feed has listed, by GUID or link (one row each), so it is ingested once."""

    __tablename__ = "feed_entries"
    __table_args__ = (UniqueConstraint("feed_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # "g:" or "u:" and a hash of the GUID or link
    article_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # added, duplicate, failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lease(Base):
    """A named role that one process at a time holds until `expires_at` (renewed while held):
    the feed poller, the digest sender that spends Telegram's 30 messages/s, the long-polling
    replica."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnswerRecord(Base):
    """An answer the bot sent: its question and shown passages, behind its buttons' token.

    "More", "More from this article" and 👍/👎 carry only the token (callback data is 64
    bytes), so any process on the database can answer any button.
    """

    __tablename__ = "answers"

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    # The passages shown so far, as JSON [[passage_id, article_id], ...].
    shown: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ChatContext(Base):
    """A chat's last answered question and its articles, for follow-up questions."""

    __tablename__ = "chat_contexts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    article_ids: Mapped[str] = mapped_column(Text)  # JSON [int, ...], best first
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChatLanguage(Base):
    """The language a chat chose with /language (without one, each reader's Telegram's)."""

    __tablename__ = "chat_languages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """A reader's 👍/👎 on an answer: one per user per answer."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("token", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(BigInteger)
    helpful: Mapped[bool] = mapped_column(Boolean)
    question: Mapped[str] = mapped_column(Text)
    passages: Mapped[str] = mapped_column(Text)  # JSON [passage_id, ...] as shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ProcessedUpdate(Base):
    """Telegram update ids already taken by a replica, so a redelivered update runs once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
