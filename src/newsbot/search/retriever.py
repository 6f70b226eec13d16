"""The retriever: candidates from the in-memory index (typos forgiven), reranked, and an honest
"no good match" when the best passage doesn't answer the question."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from newsbot.db.models import Article, Passage
from newsbot.search.answer import AnswerSpan, is_not_a_question, question_names
from newsbot.search.dense import Encoder, Vector, VectorStore
from newsbot.search.evidence import (
    Candidate,
    Features,
    QueryTerm,
    answer_confidence,
    rerank_features,
    weighted_share,
)
from newsbot.search.hybrid import (
    Decision,
    absent_names,
    candidate_features,
    decide,
    fuse,
    held_by,
    missing_names,
)
from newsbot.search.index import PassageIndex
from newsbot.search.live import SNAPSHOT_MIN_PASSAGES, LiveIndex
from newsbot.search.query import query_terms
from newsbot.search.results import Hit as Hit
from newsbot.search.results import Ranking as Ranking
from newsbot.search.results import SearchResult as SearchResult
from newsbot.search.text import (
    highlight_spans,
    spelled_terms,
    terms,
    terms_in,
)
from newsbot.search.typos import TypoCorrector

__all__ = ["Hit", "Ranking", "Retriever", "SearchResult", "Weights"]

CANDIDATES = 20
"""First-stage candidates re-scored by the cosines: 20 held-out SQuAD top-1 0.843 -> 0.851
against 12 (benchmarks/tune_answered.py --grid); 30 was no better."""
QUERY_CACHE = 256
"""Question vectors kept (the bot's "More" button asks the same question again)."""
REFRESH_SECONDS = 1.0
"""How stale the index may be for changes made by other processes (ours refresh at once)."""


@dataclass(frozen=True)
class Weights:
    """How the reranker combines its features (tuned on the SQuAD tune set, see benchmarks)."""

    bm25: float = 1.0
    coverage: float = 2.0
    bigrams: float = 0.5
    proximity: float = 0.6
    title: float = 0.2
    article_coverage: float = 2.0
    # "answered" when the best passage's evidence passes this line (see `answer_confidence`)
    answer_threshold: float = 0.5


_CANDIDATES = (
    select(
        Passage.id,
        Passage.text,
        Article.id,
        Article.title,
        Article.url,
        Article.site,
        Article.published,
    )
    .join(Article, Article.id == Passage.article_id)
    .where(Passage.id.in_(bindparam("ids", expanding=True)))
)


def _retrieved(future: asyncio.Future[Vector]) -> None:
    """Mark a finished future's exception as seen (asyncio logs the unseen ones)."""
    if not future.cancelled():
        future.exception()


class Retriever:
    """Answers questions from the passages in the database."""

    def __init__(
        self,
        engine: AsyncEngine,
        reader: Engine,
        *,
        weights: Weights | None = None,
        max_postings: int = 10_000,
        snapshot_path: Path | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        # Core connections, not ORM sessions: this is the hot read path and needs no objects.
        # Catching up with the database may read many rows: async, in `live`. Fetching a question's
        # CANDIDATES (12) by primary key takes ~0.1 ms: a plain blocking read saves the ~1.5 ms of
        # thread hand-offs an async round trip costs.
        self._reader = reader
        self.weights = weights or Weights()
        self.live = LiveIndex(engine, max_postings=max_postings, snapshot_path=snapshot_path)
        # Dense re-scoring (None: lexical only); vectors follow passage_vectors by id.
        self.encoder = encoder
        self._query_vectors: OrderedDict[str, Vector] = OrderedDict()

    # -- keeping in step with the database (newsbot.search.live) ---------------------------------

    @property
    def index(self) -> PassageIndex:
        """The passage index questions are answered from (swapped whole on a catch-up)."""
        return self.live.index

    @property
    def typos(self) -> TypoCorrector:
        return self.live.typos

    @property
    def vectors(self) -> VectorStore:
        return self.live.vectors

    @property
    def snapshot_path(self) -> Path | None:
        """Where the index is saved between runs (None: always rebuild from the database)."""
        return self.live.snapshot_path

    @snapshot_path.setter
    def snapshot_path(self, path: Path | None) -> None:
        self.live.snapshot_path = path

    @property
    def loaded(self) -> bool:
        """Whether the index has caught up with the database at least once (/readyz)."""
        return self.live.loaded

    def invalidate(self) -> None:
        """The database changed: look again before the next question."""
        self.live.invalidate()

    async def refresh(self, *, max_age: float = 0.0) -> None:
        """Catch up with the database (see `LiveIndex.refresh`), vectors included."""
        model = self.encoder.name if self.encoder else None
        await self.live.refresh(max_age=max_age, model=model)

    async def save_snapshot(self, *, min_passages: int = SNAPSHOT_MIN_PASSAGES) -> bool:
        """Save the index for the next start, if it is big enough to be worth it and changed."""
        return await self.live.save_snapshot(min_passages=min_passages)

    # -- answering ---------------------------------------------------------------------------

    def query_terms(self, question: str) -> list[QueryTerm]:
        """The question's terms with their weights, typos corrected (`search.query`)."""
        return query_terms(question, self.index, self.typos)

    async def candidates(self, question: str, want: int = CANDIDATES) -> list[Candidate]:
        """The first-stage candidates with their rerank features, in no particular order."""
        query = self.query_terms(question)
        found = self.index.search([(q.term, q.weight) for q in query], limit=want)
        if not len(found.docs):
            return []
        first = {
            self.index.passage_id(int(doc)): float(score)
            for doc, score in zip(found.docs, found.bm25, strict=True)
        }
        with self._reader.connect() as connection:
            rows = connection.execute(_CANDIDATES, {"ids": list(first)}).all()
        top_bm25 = max(first.values()) or 1.0
        features = {
            pid: rerank_features(query, body, title, first[pid], top_bm25)
            for pid, body, _, title, *_ in rows
        }
        # What the question's words find across each article's candidates: a passage of an
        # article that holds more of the question as a whole is the likelier answer.
        by_article: dict[int, set[str]] = {}
        for pid, _, aid, *_ in rows:
            by_article.setdefault(aid, set()).update(features[pid].matched)
        article_share = {aid: weighted_share(query, terms) for aid, terms in by_article.items()}
        return [
            Candidate(
                passage_id=pid,
                article_id=aid,
                title=title,
                url=url,
                site=site,
                published=published,
                passage=body,
                features=replace(features[pid], article_coverage=article_share[aid]),
                query=query,
            )
            for pid, body, aid, title, url, site, published in rows
        ]

    async def rank(self, question: str, want: int = CANDIDATES, *, dense: bool = True) -> Ranking:
        """The candidates ranked: lexically, then (unless not `dense`) re-scored with the
        question's cosines."""
        # The question's vector is computed in a thread while the lexical candidates are found
        # on this one (ONNX Runtime releases the GIL): on 2 cores the two overlap.
        encoding = self._start_encoding(question) if dense else None
        try:
            found = await self.candidates(question, want)
            ranked = sorted(
                ((self.score(c.features), c) for c in found),
                key=lambda sc: (-sc[0], sc[1].passage_id),
            )
            confidence = answer_confidence([c for _, c in ranked]) if ranked else 0.0
            cosines = [math.nan] * len(ranked)
            if dense:
                cosines = await self._cosines(question, [c.passage_id for _, c in ranked], encoding)
        finally:
            if encoding is not None:
                encoding.cancel()  # unused (or done): nothing waits for it
        if any(not math.isnan(x) for x in cosines):
            fused = fuse([score for score, _ in ranked], np.asarray(cosines, dtype=np.float32))
            order = sorted(range(len(ranked)), key=lambda i: (-fused[i], ranked[i][1].passage_id))
            ranked = [(fused[i], ranked[i][1]) for i in order]
            cosines = [cosines[i] for i in order]
        return Ranking(ranked, cosines, confidence)

    def _start_encoding(self, question: str) -> asyncio.Future[Vector] | None:
        """The question's vector, started in a thread now, if the cosines may want it: not
        without an encoder or vectors, nor for a question whose vector is cached."""
        if self.encoder is None or not self.vectors.size or question in self._query_vectors:
            return None
        # As `asyncio.to_thread`, but submitted now: a task would only start at the first
        # await, after the (synchronous) lexical stage.
        call = functools.partial(contextvars.copy_context().run, self.encoder.query, question)
        encoding = asyncio.get_running_loop().run_in_executor(None, call)
        # Its failure is raised where the vector is used; unused, it is dropped unlogged.
        encoding.add_done_callback(_retrieved)
        return encoding

    async def _cosines(
        self,
        question: str,
        passage_ids: list[int],
        encoding: asyncio.Future[Vector] | None = None,
    ) -> list[float]:
        """The question's cosines to these passages (NaN without vectors); `encoding`, the
        question's vector if it was started already (`_start_encoding`)."""
        nothing = [math.nan] * len(passage_ids)
        if self.encoder is None or not any(self.vectors.has(p) for p in passage_ids):
            return nothing
        query = self._query_vectors.get(question)
        if query is None:
            if encoding is None:
                query = await asyncio.to_thread(self.encoder.query, question)
            else:
                query = await encoding
            self._query_vectors[question] = query
            if len(self._query_vectors) > QUERY_CACHE:
                self._query_vectors.popitem(last=False)
        return [float(x) for x in self.vectors.cosines(query, passage_ids)]

    async def search(
        self,
        question: str,
        *,
        limit: int = 3,
        offset: int = 0,
        pick: Callable[[list[Candidate]], list[Candidate]] | None = None,
    ) -> SearchResult:
        """The best `limit` passages (after skipping `offset`) and whether they answer.

        `pick` chooses, in order, which of those candidates become hits (all, without it): a
        hit's answer sentence and confidence are only worked out for the chosen."""
        if is_not_a_question(question):
            return SearchResult(question, answered=False, hits=[], not_a_question=True)
        await self.refresh(max_age=REFRESH_SECONDS)
        # The index the candidates come from (`rank` reads it before its first await): the
        # decision uses its IDFs even if a catch-up swaps in a new index while the question's
        # vector is computed.
        index = self.index
        ranking = await self.rank(question, max(CANDIDATES, limit + offset))
        ranked = ranking.ranked
        if not ranked:
            return SearchResult(question, answered=False, hits=[])
        top = self._decide(question, ranking, 0, index)
        page = list(enumerate(ranked[offset : offset + limit], start=offset))
        if pick is not None:
            rank_of = {id(scored[1]): (rank, scored) for rank, scored in page}
            page = [rank_of[id(c)] for c in pick([c for _, (_, c) in page])]
        hits = []
        names = question_names(question)
        for rank, (score, c) in page:
            # How sure the decision would be with this hit first ("More" pages while it holds).
            decision, span = top if rank == 0 else self._decide(question, ranking, rank, index)
            hits.append(
                Hit(
                    **c.ref_fields(),
                    score=round(score, 4),
                    highlights=highlight_spans(c.passage, set(c.features.matched)),
                    confidence=round(decision.confidence, 4),
                    answer=span,
                    missing=self._missing(c, names),
                )
            )
        decision = top[0]
        answered = bool(hits) and decision.answered
        shown = [c for _, (_, c) in page]
        return SearchResult(
            question,
            answered=answered,
            hits=hits,
            confidence=round(decision.confidence, 4),
            threshold=self.weights.answer_threshold,
            unmentioned=() if answered else self._unmentioned(shown, names, index),
        )

    @staticmethod
    def _unmentioned(
        candidates: list[Candidate], names: set[str], index: PassageIndex
    ) -> tuple[str, ...]:
        """The question's names and numbers that none of the candidates' articles mentions."""
        if not candidates:
            return ()
        held = held_by(candidates, index.article_holds)
        return tuple(absent_names(candidates[0].query, held, names))

    def _decide(
        self, question: str, ranking: Ranking, rank: int, index: PassageIndex
    ) -> tuple[Decision, AnswerSpan | None]:
        """The "answered" decision were the candidate at `rank` the best, and its sentence."""
        candidates = [c for _, c in ranking.ranked]
        c = candidates[rank]
        lexical = (
            ranking.lexical_confidence
            if rank == 0
            else answer_confidence([c, *candidates[:rank], *candidates[rank + 1 :]])
        )
        features, evidence = candidate_features(
            question, c, lexical, ranking.cosines, rank, index.idf, index.article_holds
        )
        return decide(features, self.weights.answer_threshold), evidence.span if evidence else None

    @staticmethod
    def _missing(c: Candidate, names: set[str]) -> tuple[str, ...]:
        """The question's names and numbers (`names`: those it writes so) that the candidate
        and its title lack."""
        found = c.features.matched | set(terms(c.title))
        spelled = {t for q in c.query for t in spelled_terms(q.surface)}  # numbers as words
        if spelled:
            found |= terms_in(c.passage, spelled)
        return tuple(missing_names(c.query, found, names))

    def score(self, f: Features) -> float:
        """The rerank score of a candidate."""
        w = self.weights
        return (
            w.bm25 * f.bm25
            + w.coverage * f.coverage
            + w.bigrams * f.bigrams
            + w.proximity * f.proximity
            + w.title * f.title
            + w.article_coverage * f.article_coverage
        )
