"""The update ids already taken, so that an update Telegram delivers again (a webhook replica
that answered too late, a retry after a load balancer's timeout) is processed once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.engine import insert_for
from newsbot.db.models import ProcessedUpdate, utcnow

KEEP = timedelta(days=1)  # Telegram keeps an undelivered update for 24 hours
PRUNE_EVERY = 1000


class UpdateLog:
    """`first_time(update_id)` is True for exactly one caller across every replica."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._since_prune = 0

    async def first_time(self, update_id: int) -> bool:
        """Record the update id; False if some replica recorded it before."""
        async with self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            result = await session.execute(
                insert_for(dialect, ProcessedUpdate)
                .values(update_id=update_id, seen_at=utcnow())
                .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            )
            self._since_prune += 1
            if self._since_prune >= PRUNE_EVERY:
                self._since_prune = 0
                await session.execute(
                    delete(ProcessedUpdate).where(ProcessedUpdate.seen_at < utcnow() - KEEP)
                )
        return bool(cast(CursorResult[Any], result).rowcount)
