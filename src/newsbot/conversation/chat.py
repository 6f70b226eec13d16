"""A chat's questions as a conversation: chatter gets a hint, a follow-up is answered from the
last answer's articles first, "More" pages only while results stay relevant, and every answer
is kept (in the database) behind the token its buttons carry.

The service side of the bot's replies; nothing here knows about Telegram.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from newsbot import metrics
from newsbot.conversation.followup import fits_context, is_chatter, leans_on_context, leans_strongly
from newsbot.db.articles import ArticleStore
from newsbot.db.chat_state import Answer, ChatStateStore, Context, ShownPassage
from newsbot.db.models import utcnow
from newsbot.search.evidence import Candidate
from newsbot.search.retriever import Hit, Retriever, SearchResult
from newsbot.search.text import content_terms, terms, terms_in

Kind = Literal["answer", "no_match", "hint", "expired"]
CLOSEST = 3


def is_close(wanted: set[str], hit: Hit) -> bool:
    """Whether a hit that doesn't answer is still worth naming: its article's title shares a
    word with the question, or its passage holds at least half of the question's words."""
    if not wanted:
        return False
    if not wanted.isdisjoint(terms(hit.title)):
        return True
    return 2 * len(terms_in(hit.passage, wanted)) >= len(wanted)


@dataclass(frozen=True)
class Reply:
    """What to say to a message, or to a "More" press."""

    kind: Kind
    question: str
    hits: list[Hit] = field(default_factory=list)  # the page's passages, best first
    page: int = 0
    has_more: bool = False
    token: str | None = None
    context_title: str | None = None  # a follow-up: the article it was answered from
    known: int = 0  # articles in the database (for "no good match")
    closest: list[Hit] = field(default_factory=list)  # one per article, when nothing answers
    unmentioned: tuple[str, ...] = ()  # the question's names none of those articles says


def shown_of(hits: Sequence[Hit]) -> list[ShownPassage]:
    return [ShownPassage(hit.passage_id, hit.article_id) for hit in hits]


def _distinct_articles(hits: Sequence[Hit]) -> list[int]:
    return list(dict.fromkeys(hit.article_id for hit in hits))


class Conversation:
    """Questions in a chat, answered with what the chat said before in mind."""

    def __init__(
        self,
        retriever: Retriever,
        articles: ArticleStore,
        state: ChatStateStore,
        count_question: Callable[[bool], Awaitable[None]],
        *,
        per_page: int = 3,
    ) -> None:
        self.retriever = retriever
        self.articles = articles
        self.state = state
        self.count_question = count_question
        self.per_page = per_page

    async def reply(self, chat_id: int, text: str, *, now: datetime | None = None) -> Reply:
        """The reply to a new message in a chat."""
        now = now or utcnow()
        question = " ".join(text.split())
        context = await self.state.context(chat_id, now=now) if leans_on_context(text) else None
        if context is None and is_chatter(text):
            return Reply("hint", question)
        if context is not None:
            followed = await self._follow_up(chat_id, question, context, now)
            if followed is not None:
                return followed
        started = time.perf_counter()
        result = await self.retriever.search(question, limit=self.per_page + 1)
        if result.not_a_question:
            return Reply("hint", question)
        metrics.ANSWER_SECONDS.observe(time.perf_counter() - started)
        await self.count_question(result.answered)
        relevant = result.relevant()
        if not relevant:
            return await self._no_match(question, result)
        hits = relevant[: self.per_page]
        context = Context(question, tuple(_distinct_articles(hits)))
        token = await self.state.record_answer(
            chat_id, question, shown_of(hits), context=context, now=now
        )
        return Reply("answer", question, hits, has_more=len(relevant) > self.per_page, token=token)

    async def _follow_up(
        self, chat_id: int, question: str, context: Context, now: datetime
    ) -> Reply | None:
        """Answer from the context's articles: the last question and this one searched
        together, the passages of those articles that hold this one's own words first. A
        weak lean ("is there …?") without such a passage is a new question (None)."""
        combined = f"{context.question} {question}"

        def pick(candidates: list[Candidate]) -> list[Candidate]:
            ours = [c for c in candidates if c.article_id in context.article_ids]
            fitting = [c for c in ours if fits_context(question, c.passage)]
            return (fitting or (ours if leans_strongly(question) else []))[: self.per_page]

        result = await self.retriever.search(combined, limit=self.per_page * 4, pick=pick)
        hits = result.hits
        if not hits:
            return None
        await self.count_question(True)
        token = await self.state.record_answer(
            chat_id,
            combined,
            shown_of(hits),
            context=Context(context.question, tuple(_distinct_articles(hits))),
            now=now,
        )
        return Reply("answer", question, hits, token=token, context_title=hits[0].title)

    async def _no_match(self, question: str, result: SearchResult) -> Reply:
        known = await self.articles.count()
        wanted = set(content_terms(question))
        closest: dict[int, Hit] = {}
        for hit in result.hits:
            if hit.article_id not in closest and is_close(wanted, hit):
                closest[hit.article_id] = hit
        return Reply(
            "no_match",
            question,
            known=known,
            closest=list(closest.values())[:CLOSEST],
            unmentioned=result.unmentioned,
        )

    async def more(self, token: str, page: int) -> Reply:
        """Page `page` (0 is the first) of the answer behind a "More" button."""
        answer = await self.state.answer(token)
        if answer is None or page < 1:
            return Reply("expired", "")
        # The passages not shown yet, not an offset into a fresh ranking: another replica (or
        # this one after an index catch-up or new vectors) may order near-ties differently,
        # and an offset would then show a passage of an earlier page again.
        seen = {s.passage_id for s in answer.shown}

        def unseen(candidates: list[Candidate]) -> list[Candidate]:
            return [c for c in candidates if c.passage_id not in seen][: self.per_page + 1]

        result = await self.retriever.search(
            answer.question, limit=len(seen) + self.per_page + 1, pick=unseen
        )
        # Only while the results stay relevant: the first that isn't ends the paging.
        relevant = result.relevant()
        if not relevant:
            return Reply("no_match", answer.question, page=page, known=-1)
        hits = relevant[: self.per_page]
        await self.state.add_shown(token, shown_of(hits))
        return Reply(
            "answer",
            answer.question,
            hits,
            page=page,
            has_more=len(relevant) > self.per_page,
            token=token,
        )

    async def answer(self, token: str) -> Answer | None:
        """The answer behind a token (None: unknown or expired)."""
        return await self.state.answer(token)
