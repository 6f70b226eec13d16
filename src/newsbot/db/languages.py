"""The language each chat chose with /language, in the database (every replica sees it, and
it survives restarts). Nothing here knows about Telegram."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import ChatLanguage, utcnow


class ChatLanguageStore:
    """Chats' chosen languages; reads on `sessions`, writes on `write_sessions`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        self._write = write_sessions or sessions

    async def get(self, chat_id: int) -> str | None:
        """The language the chat chose, or None (then each reader's own applies)."""
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
