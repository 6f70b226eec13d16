"""The conversation state every bot process shares, in the database (never process memory):
the answers behind buttons, each chat's follow-up context, and readers' 👍/👎.

Several bot processes may serve one database, so a button pressed under one process's answer
is answered by whichever process gets the press. Nothing here knows about Telegram.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import AnswerRecord, ChatContext, Feedback, utcnow

ANSWER_TTL = timedelta(days=2)
"""How long an answer's buttons work; after that they say "ask again"."""
CONTEXT_TTL = timedelta(minutes=15)
"""How long a chat's last answer stays the context of its follow-up questions."""
PRUNE_EVERY = 500
"""Expired rows are deleted on every this many-th answer recorded (by this process)."""


@dataclass(frozen=True)
class ShownPassage:
    passage_id: int
    article_id: int


@dataclass(frozen=True)
class Answer:
    """An answer behind a token: its chat, question and the passages shown so far."""

    token: str
    chat_id: int
    question: str
    shown: tuple[ShownPassage, ...]
    created_at: datetime


@dataclass(frozen=True)
class Context:
    """What a chat's follow-up questions lean on: the last question and its articles."""

    question: str
    article_ids: tuple[int, ...]


@dataclass(frozen=True)
class Vote:
    """A 👎 (or 👍) as admins review it."""

    helpful: bool
    question: str
    passage_ids: tuple[int, ...]
    created_at: datetime


def _shown_json(shown: Sequence[ShownPassage]) -> str:
    return json.dumps([[s.passage_id, s.article_id] for s in shown])


def _shown_of(text: str) -> tuple[ShownPassage, ...]:
    try:
        rows = json.loads(text)
        return tuple(ShownPassage(int(p), int(a)) for p, a in rows)
    except (ValueError, TypeError):
        return ()


class ChatStateStore:
    """Answers, contexts and feedback; reads on `sessions`, writes on `write_sessions`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        answer_ttl: timedelta = ANSWER_TTL,
        context_ttl: timedelta = CONTEXT_TTL,
    ) -> None:
        self._sessions = sessions
        self._write = write_sessions or sessions
        self.answer_ttl = answer_ttl
        self.context_ttl = context_ttl
        self._recorded = 0

    # -- answers and their buttons ---------------------------------------------------------

    async def record_answer(
        self,
        chat_id: int,
        question: str,
        shown: Sequence[ShownPassage],
        *,
        context: Context | None = None,
        now: datetime | None = None,
    ) -> str:
        """Keep a new answer (and, with `context`, make it the chat's context); its token.

        One transaction: an answer costs one write, not two.
        """
        now = now or utcnow()
        token = secrets.token_urlsafe(6)
        async with self._write() as session, session.begin():
            session.add(
                AnswerRecord(
                    token=token,
                    chat_id=chat_id,
                    question=question,
                    shown=_shown_json(shown),
                    created_at=now,
                )
            )
            if context is not None:
                await self._put_context(session, chat_id, context, now)
            self._recorded += 1
            if self._recorded % PRUNE_EVERY == 0:
                await self._prune(session, now)
        return token

    async def answer(self, token: str, *, now: datetime | None = None) -> Answer | None:
        """The answer behind a token; None when it is unknown (forged) or expired."""
        async with self._sessions() as session:
            row = await session.get(AnswerRecord, token)
        if row is None or row.created_at < (now or utcnow()) - self.answer_ttl:
            return None
        return Answer(row.token, row.chat_id, row.question, _shown_of(row.shown), row.created_at)

    async def add_shown(self, token: str, shown: Sequence[ShownPassage]) -> None:
        """A further page of the answer was shown: remember its passages too."""
        async with self._write() as session, session.begin():
            row = await session.get(AnswerRecord, token)
            if row is not None:
                row.shown = _shown_json([*_shown_of(row.shown), *shown])

    # -- follow-up context -----------------------------------------------------------------

    async def context(self, chat_id: int, *, now: datetime | None = None) -> Context | None:
        """The chat's context, unless it has expired."""
        async with self._sessions() as session:
            row = await session.get(ChatContext, chat_id)
        if row is None or row.expires_at <= (now or utcnow()):
            return None
        try:
            ids = tuple(int(i) for i in json.loads(row.article_ids))
        except (ValueError, TypeError):
            return None
        return Context(row.question, ids)

    async def set_context(
        self, chat_id: int, context: Context, *, now: datetime | None = None
    ) -> None:
        """Make `context` the chat's context for the next `context_ttl`."""
        async with self._write() as session, session.begin():
            await self._put_context(session, chat_id, context, now or utcnow())

    async def _put_context(
        self, session: AsyncSession, chat_id: int, context: Context, now: datetime
    ) -> None:
        # Delete and insert rather than a dialect's upsert: the same SQL on SQLite and PostgreSQL.
        await session.execute(delete(ChatContext).where(ChatContext.chat_id == chat_id))
        session.add(
            ChatContext(
                chat_id=chat_id,
                question=context.question,
                article_ids=json.dumps(list(context.article_ids)),
                expires_at=now + self.context_ttl,
            )
        )

    # -- feedback ----------------------------------------------------------------------------

    async def vote(self, token: str, user_id: int, helpful: bool) -> bool | None:
        """Record a user's 👍/👎 on an answer: True if recorded, False if they already voted,
        None if the answer is unknown or expired."""
        answer = await self.answer(token)
        if answer is None:
            return None
        try:
            async with self._write() as session, session.begin():
                session.add(
                    Feedback(
                        token=token,
                        user_id=user_id,
                        helpful=helpful,
                        question=answer.question,
                        passages=json.dumps([s.passage_id for s in answer.shown]),
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:  # the unique (token, user_id): one vote per user per answer
            return False
        return True

    async def votes(self) -> tuple[int, int]:
        """(👍, 👎) counts over all answers."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Feedback.helpful, func.count()).group_by(Feedback.helpful)
                )
            ).all()
        counts = {bool(helpful): int(n) for helpful, n in rows}
        return counts.get(True, 0), counts.get(False, 0)

    async def recent_unhelpful(self, limit: int = 10) -> list[Vote]:
        """The newest 👎, for admins."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Feedback)
                .where(Feedback.helpful.is_(False))
                .order_by(Feedback.created_at.desc(), Feedback.id.desc())
                .limit(limit)
            )
            return [
                Vote(r.helpful, r.question, tuple(json.loads(r.passages)), r.created_at)
                for r in rows
            ]

    # -- housekeeping ------------------------------------------------------------------------

    async def _prune(self, session: AsyncSession, now: datetime) -> None:
        await session.execute(
            delete(AnswerRecord).where(AnswerRecord.created_at < now - self.answer_ttl)
        )
        await session.execute(delete(ChatContext).where(ChatContext.expires_at <= now))

    async def prune(self, *, now: datetime | None = None) -> None:
        """Delete expired answers and contexts (feedback is kept)."""
        async with self._write() as session, session.begin():
            await self._prune(session, now or utcnow())
