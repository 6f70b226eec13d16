"""The retriever: candidates from the in-memory index (typos forgiven), reranked, and an honest
"no good match" when the best passage doesn't answer the question."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from rapidfuzz import fuzz
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.models import UTCDateTime
from newsbot.search.index import IndexedPassage, PassageIndex
from newsbot.search.text import (
    STOP_WORDS,
    content_terms,
    highlight_spans,
    normalize,
    terms,
    tokens_with_offsets,
)
from newsbot.search.typos import TypoCorrector

MAX_QUESTION_TERMS = 48
CANDIDATES = 40
LOAD_BATCH = 20_000


@dataclass(frozen=True)
class Weights:
    """How the reranker combines its features (tuned on the SQuAD tune set, see benchmarks)."""

    bm25: float = 1.0
    coverage: float = 1.0
    bigrams: float = 0.5
    proximity: float = 0.3
    title: float = 0.2
    fuzz: float = 0.0
    # "answered" when the best passage's evidence passes this line (see `answer_confidence`)
    answer_threshold: float = 0.5


@dataclass(frozen=True)
class Hit:
    """One passage that answers (or might answer) a question."""

    passage_id: int
    article_id: int
    title: str
    url: str | None
    site: str | None
    published: datetime | None
    passage: str
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    """The best passages for a question, best first, and whether they answer it."""

    question: str
    answered: bool
    hits: list[Hit]
    confidence: float = 0.0


@dataclass(frozen=True)
class QueryTerm:
    term: str
    weight: float
    position: int  # index of the question word it comes from
    exact: bool


@dataclass(frozen=True)
class _Features:
    bm25: float
    coverage: float
    bigrams: float
    proximity: float
    title: float
    fuzz: float
    matched: frozenset[str]


_PASSAGES_SQL = text(
    "SELECT p.id, p.article_id, p.text FROM passages p WHERE p.id > :after ORDER BY p.id LIMIT :n"
)
_CANDIDATES_SQL = text(
    "SELECT p.id, p.text, a.id, a.title, a.url, a.site, a.published FROM passages p "
    "JOIN articles a ON a.id = p.article_id WHERE p.id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_STATE_SQL = text(
    "SELECT (SELECT max(id) FROM passages), (SELECT max(id) FROM article_removals)"
)
_REMOVALS_SQL = text("SELECT id, article_id FROM article_removals WHERE id > :after ORDER BY id")
_PUBLISHED = UTCDateTime()


class Retriever:
    """Answers questions from the passages in the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        weights: Weights | None = None,
        max_postings: int = 20_000,
    ) -> None:
        self._sessions = sessions
        self.weights = weights or Weights()
        self.index = PassageIndex(max_postings=max_postings)
        self.typos = TypoCorrector()
        self._terms_seen = 0
        self._last_removal = 0
        self._lock = asyncio.Lock()
        self._ready = False

    # -- keeping in step with the database -------------------------------------------------------

    async def refresh(self) -> None:
        """Index passages added and drop articles removed since the last look (any process)."""
        async with self._lock:
            async with self._sessions() as session:
                max_passage, max_removal = (await session.execute(_STATE_SQL)).one()
                if not self._ready:
                    # Removals logged before the first load concern passages already gone.
                    self._last_removal = max_removal or 0
                    self._ready = True
                if max_removal and max_removal > self._last_removal:
                    rows = await session.execute(_REMOVALS_SQL, {"after": self._last_removal})
                    for removal_id, article_id in rows:
                        self.index.remove_article(article_id)
                        self._last_removal = removal_id
                if max_passage and max_passage > self.index.max_passage_id:
                    await self._load_new(session)

    async def _load_new(self, session: AsyncSession) -> None:
        while True:
            rows = (
                await session.execute(
                    _PASSAGES_SQL, {"after": self.index.max_passage_id, "n": LOAD_BATCH}
                )
            ).all()
            if not rows:
                break
            self.index.add(IndexedPassage(pid, aid, body) for pid, aid, body in rows)
            self._learn_new_terms()
            if len(rows) < LOAD_BATCH:
                break

    def _learn_new_terms(self) -> None:
        total = len(self.index.term_ids)
        for term in islice(self.index.term_ids, self._terms_seen, None):
            self.typos.add(term)
        self._terms_seen = total

    # -- answering -----------------------------------------------------------------------------------

    def query_terms(self, question: str) -> list[QueryTerm]:
        """The question's terms with their weights; unknown words become their nearest corpus
        words, weighted down by how far they are."""
        out: list[QueryTerm] = []
        seen: set[str] = set()
        words = [t for t in terms(question)]
        position = 0
        for word in words:
            if word in STOP_WORDS:
                position += 1
                continue
            if word in seen:
                continue
            seen.add(word)
            if self.index.df(word) > 0:
                out.append(QueryTerm(word, self.index.idf(word), position, exact=True))
            else:
                for correction, edits in self.typos.corrections(word):
                    if correction not in seen and self.index.df(correction) > 0:
                        factor = 0.9 if edits == 1 else 0.75
                        idf = self.index.idf(correction)
                        out.append(QueryTerm(correction, idf * factor, position, exact=False))
            position += 1
            if len(seen) >= MAX_QUESTION_TERMS:
                break
        return out

    async def search(self, question: str, *, limit: int = 3, offset: int = 0) -> SearchResult:
        """The best `limit` passages (after skipping `offset`) and whether they answer."""
        await self.refresh()
        query = self.query_terms(question)
        want = max(CANDIDATES, limit + offset)
        candidates = self.index.search([(q.term, q.weight) for q in query], limit=want)
        if not len(candidates.docs):
            return SearchResult(question, answered=False, hits=[])
        ids = [self.index.passage_id(int(d)) for d in candidates.docs]
        first = {pid: float(s) for pid, s in zip(ids, candidates.bm25, strict=True)}
        async with self._sessions() as session:
            rows = (await session.execute(_CANDIDATES_SQL, {"ids": ids})).all()
        top_bm25 = max(first.values()) or 1.0
        scored: list[tuple[float, _Features, tuple[object, ...]]] = []
        for row in rows:
            features = self._features(question, query, row[1], row[3], first[row[0]] / top_bm25)
            scored.append((self._score(features), features, tuple(row)))
        scored.sort(key=lambda item: (-item[0], item[2][0]))  # type: ignore[operator]
        best_confidence = self.answer_confidence(query, scored[0][1]) if scored else 0.0
        hits = [
            Hit(
                passage_id=int(row[0]),  # type: ignore[call-overload]
                article_id=int(row[2]),  # type: ignore[call-overload]
                title=str(row[3]),
                url=row[4],  # type: ignore[arg-type]
                site=row[5],  # type: ignore[arg-type]
                published=_PUBLISHED.process_result_value(_as_datetime(row[6]), None),  # type: ignore[arg-type]
                passage=str(row[1]),
                score=round(score, 4),
                highlights=highlight_spans(str(row[1]), set(features.matched)),
            )
            for score, features, row in scored[offset : offset + limit]
        ]
        return SearchResult(
            question,
            answered=bool(hits) and best_confidence >= self.weights.answer_threshold,
            hits=hits,
            confidence=round(best_confidence, 4),
        )

    def _features(
        self, question: str, query: list[QueryTerm], passage: str, title: str, bm25: float
    ) -> _Features:
        tokens = list(tokens_with_offsets(passage))
        positions: dict[str, list[int]] = {}
        for index, token in enumerate(tokens):
            for term in token.terms:
                positions.setdefault(term, []).append(index)
        total = sum(q.weight for q in query) or 1.0
        matched = [q for q in query if q.term in positions]
        coverage = sum(q.weight for q in matched) / total
        # Question word pairs that stand next to each other in the passage too.
        by_position = sorted(matched, key=lambda q: q.position)
        pairs = sum(1 for a, b in zip(query, query[1:], strict=False) if b.position == a.position + 1)
        bigrams = 0
        for a, b in zip(by_position, by_position[1:], strict=False):
            if b.position == a.position + 1:
                pa, pb = positions[a.term], set(positions[b.term])
                if any(p + 1 in pb or p + 2 in pb for p in pa):
                    bigrams += 1
        bigram_share = bigrams / pairs if pairs else 0.0
        proximity = _proximity(matched, positions)
        title_terms = set(terms(title))
        title_share = sum(q.weight for q in query if q.term in title_terms) / total
        fuzz_score = (
            fuzz.token_set_ratio(normalize(question), normalize(passage)) / 100
            if self.weights.fuzz
            else 0.0
        )
        return _Features(
            bm25,
            coverage,
            bigram_share,
            proximity,
            title_share,
            fuzz_score,
            frozenset(q.term for q in matched),
        )

    def _score(self, f: _Features) -> float:
        w = self.weights
        return (
            w.bm25 * f.bm25
            + w.coverage * f.coverage
            + w.bigrams * f.bigrams
            + w.proximity * f.proximity
            + w.title * f.title
            + w.fuzz * f.fuzz
        )

    def answer_confidence(self, query: list[QueryTerm], best: _Features) -> float:
        """How sure we are that the best passage answers: the share of the question's weight it
        holds, its rarest matched word, and whether the words stand together."""
        if not query:
            return 0.0
        weights = sorted((q.weight for q in query), reverse=True)
        strongest = weights[0] or 1.0
        matched_best = max((q.weight for q in query if q.term in best.matched), default=0.0)
        return 0.6 * best.coverage + 0.25 * (matched_best / strongest) + 0.15 * best.bigrams


def _proximity(matched: list[QueryTerm], positions: dict[str, list[int]], window: int = 12) -> float:
    """The largest share of matched question terms found together within a few words."""
    if len(matched) < 2:
        return 0.0
    events = sorted((p, q.term) for q in matched for p in positions[q.term])
    best = 1
    start = 0
    counts: dict[str, int] = {}
    for end in range(len(events)):
        counts[events[end][1]] = counts.get(events[end][1], 0) + 1
        while events[end][0] - events[start][0] > window:
            term = events[start][1]
            counts[term] -= 1
            if counts[term] == 0:
                del counts[term]
            start += 1
        best = max(best, len(counts))
    return best / len(matched)


def _as_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))



