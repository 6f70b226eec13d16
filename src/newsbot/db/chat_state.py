"""The conversation state every bot process shares, in the database (never process memory):
the answers behind buttons, each chat's follow-up context, and readers' 👍/👎.

Several bot processes may serve one database, so a button pressed under one process's answer
is answered by whichever process gets the press. Nothing here knows about Telegram.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db.models import AnswerRecord, ChatContext, Feedback, utcnow

log = logging.getLogger(__name__)

ANSWER_TTL = timedelta(days=2)
"""How long an answer's buttons work; after that they say "ask again"."""
CONTEXT_TTL = timedelta(minutes=15)
"""How long a chat's last answer stays the context of its follow-up questions."""
PRUNE_EVERY = 500
"""Expired rows are deleted on every this many-th answer recorded (by this process)."""
FLUSH_DELAY = 0.05
"""Seconds an answer may wait to be written with the others of that moment: one transaction
for a burst of answers instead of one each (SQLite has one writer; a write per answer capped
the bot near 40 answers/s). Other processes see an answer's buttons this much later."""
FLUSH_AT = 200


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


@dataclass
class _AnswerRow:
    """An answers row not written yet (plain: an ORM object per answer cost the bot ~3% of
    its time; a batch is written with one bulk INSERT)."""

    token: str
    chat_id: int
    question: str
    shown: str
    created_at: datetime


@dataclass
class _ContextRow:
    """A chat_contexts row not written yet."""

    chat_id: int
    question: str
    article_ids: str
    expires_at: datetime


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
        # Written behind: answers and contexts recorded, not yet in the database.
        self._answers: dict[str, _AnswerRow] = {}
        self._contexts: dict[int, _ContextRow] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._writing: tuple[dict[str, _AnswerRow], dict[int, _ContextRow]] = ({}, {})

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

        Written behind (see FLUSH_DELAY): this process sees it at once, others a moment later.
        """
        now = now or utcnow()
        token = secrets.token_urlsafe(6)
        self._answers[token] = _AnswerRow(token, chat_id, question, _shown_json(shown), now)
        if context is not None:
            self._contexts[chat_id] = self._context_row(chat_id, context, now)
        if len(self._answers) >= FLUSH_AT:
            await self.flush()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        return token

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        try:
            await self.flush()
        except Exception:  # the buttons of these answers will say "expired"; nothing else
            log.exception("could not write answers behind their buttons")

    async def flush(self) -> None:
        """Write the answers and contexts recorded since the last flush, in one transaction."""
        async with self._flush_lock:  # in order: a chat's newer context is written last
            answers, self._answers = self._answers, {}
            contexts, self._contexts = self._contexts, {}
            if answers or contexts:
                # Still readable while in flight (not pending any more, not committed yet).
                self._writing = (answers, contexts)
                try:
                    await self._write_batch(answers, contexts)
                finally:
                    self._writing = ({}, {})

    async def _write_batch(
        self, answers: dict[str, _AnswerRow], contexts: dict[int, _ContextRow]
    ) -> None:
        async with self._write() as session, session.begin():
            if answers:
                rows = [asdict(row) for row in answers.values()]
                await session.execute(insert(AnswerRecord), rows)
            if contexts:
                await session.execute(
                    delete(ChatContext).where(ChatContext.chat_id.in_(list(contexts)))
                )
                rows = [asdict(row) for row in contexts.values()]
                await session.execute(insert(ChatContext), rows)
            self._recorded += len(answers)
            if self._recorded >= PRUNE_EVERY:
                self._recorded = 0
                await self._prune(session, utcnow())

    async def close(self) -> None:
        """Write what is pending (the service calls this when it closes)."""
        if self._flusher is not None:  # never cancelled: it may be writing a batch
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()

    async def answer(self, token: str, *, now: datetime | None = None) -> Answer | None:
        """The answer behind a token; None when it is unknown (forged) or expired."""
        pending = self._answers.get(token) or self._writing[0].get(token)
        row: _AnswerRow | AnswerRecord | None = pending
        if row is None:
            async with self._sessions() as session:
                row = await session.get(AnswerRecord, token)
        if row is None or row.created_at < (now or utcnow()) - self.answer_ttl:
            return None
        return Answer(row.token, row.chat_id, row.question, _shown_of(row.shown), row.created_at)

    async def add_shown(self, token: str, shown: Sequence[ShownPassage]) -> None:
        """A further page of the answer was shown: remember its passages too."""
        pending = self._answers.get(token)
        if pending is not None:
            pending.shown = _shown_json([*_shown_of(pending.shown), *shown])
            return
        # Under the flush lock: an answer in flight (a batch waiting for the writer's
        # connection) is committed before it is read here, or this page would find no row and
        # be lost (the pool hands a free connection to whoever asks first, not in turn).
        async with self._flush_lock, self._write() as session, session.begin():
            row = await session.get(AnswerRecord, token)
            if row is not None:
                row.shown = _shown_json([*_shown_of(row.shown), *shown])

    # -- follow-up context -----------------------------------------------------------------

    async def context(self, chat_id: int, *, now: datetime | None = None) -> Context | None:
        """The chat's context, unless it has expired."""
        pending = self._contexts.get(chat_id) or self._writing[1].get(chat_id)
        row: _ContextRow | ChatContext | None = pending
        if row is None:
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
        """Make `context` the chat's context for the next `context_ttl` (written now)."""
        self._contexts.pop(chat_id, None)
        row = self._context_row(chat_id, context, now or utcnow())
        # Under the flush lock: a batch in flight with this chat's older context is written
        # first, not after this one (see add_shown).
        async with self._flush_lock, self._write() as session, session.begin():
            # Delete and insert rather than a dialect's upsert: the same SQL on SQLite and
            # PostgreSQL.
            await session.execute(delete(ChatContext).where(ChatContext.chat_id == chat_id))
            await session.execute(insert(ChatContext), [asdict(row)])

    def _context_row(self, chat_id: int, context: Context, now: datetime) -> _ContextRow:
        return _ContextRow(
            chat_id, context.question, json.dumps(list(context.article_ids)), now + self.context_ttl
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
