"""The database schema: articles, their passages, and what the search index needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
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


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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
