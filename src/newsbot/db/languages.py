"""The language each chat chose with /language, in the database (every replica sees it, and
it survives restarts). Nothing here knows about Telegram."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import ChatLanguage, utcnow

_LANGUAGE = select(ChatLanguage.language).where(ChatLanguage.chat_id == bindparam("chat"))


class ChatLanguageStore:
    """Chats' chosen languages; reads on `sessions` (or `reader`), writes on `write_sessions`.

    The bot reads a chat's language for every update, so that every replica answers in the
    language chosen through any other at once: with `reader` (a pooled plain engine), as one
    blocking read by primary key (~0.1 ms on SQLite, like the retriever's candidate fetch),
    not an async ORM session (~1 ms of CPU in thread hand-offs and the ORM).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        reader: Engine | None = None,
    ) -> None:
        self._sessions = sessions
        self._write = write_sessions or sessions
        self._reader = reader

    async def get(self, chat_id: int) -> str | None:
        """The language the chat chose, or None (then each reader's own applies)."""
        if self._reader is not None:
            with self._reader.connect() as connection:
                language = connection.execute(_LANGUAGE, {"chat": chat_id}).scalar()
            return str(language) if language is not None else None
        async with self._sessions() as session:
            row = await session.get(ChatLanguage, chat_id)
            return row.language if row is not None else None

    async def choose(self, chat_id: int, language: str | None) -> None:
        """Make `language` the chat's; None forgets the choice."""
        async with self._write() as session, session.begin():
            # Delete and insert rather than a dialect's upsert: the same SQL on SQLite and
            # PostgreSQL.
            await session.execute(delete(ChatLanguage).where(ChatLanguage.chat_id == chat_id))
            if language is not None:
                session.add(ChatLanguage(chat_id=chat_id, language=language, chosen_at=utcnow()))
