"""What the reranker and the "answered" decision know about a candidate passage.

The features of a candidate (BM25, the share of the question's weight it holds, word pairs,
proximity, title, its article's share), and the logistic model that turns the best candidate's
evidence into the confidence that it answers the question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import pairwise
from typing import Any

from newsbot.search.text import term_positions, terms

# Logistic model of "the best passage answers the question", fitted on the SQuAD tune set by
# benchmarks/tune_answered.py (weights of answer_evidence's features, then the bias).
ANSWER_MODEL = (7.826, 0.602, 1.362, -0.186, 3.086, 1.455)
ANSWER_BIAS = -4.871


@dataclass(frozen=True)
class QueryTerm:
    term: str
    weight: float
    position: int  # index of the question word it comes from
    kind: str  # "exact", "typo" (a correction of an unknown word), "unknown" (in no passage)
    word_weight: float  # the question word's own weight: its IDF, or the unknown-word IDF
    surface: str  # the question word as written (normalized, not stemmed)
    capitalised: float = 0.0  # share of the term's corpus occurrences written as a name


@dataclass(frozen=True)
class Features:
    """What the reranker knows about a candidate passage, each in [0, 1]."""

    bm25: float
    coverage: float
    bigrams: float
    proximity: float
    title: float
    matched: frozenset[str]
    article_coverage: float = 0.0  # the share of the question its article's candidates hold


@dataclass(frozen=True)
class PassageRef:
    """A passage with the article it belongs to: what a candidate and a hit both show."""

    passage_id: int
    article_id: int
    title: str
    url: str | None
    site: str | None
    published: datetime | None
    passage: str

    def ref_fields(self) -> dict[str, Any]:
        """The passage's own fields, to build a record that extends it from this one."""
        return {f.name: getattr(self, f.name) for f in fields(PassageRef)}


@dataclass(frozen=True)
class Candidate(PassageRef):
    """A passage from the first stage, with its article and rerank features."""

    features: Features
    query: list[QueryTerm]


def weighted_share(query: Sequence[QueryTerm], found: set[str]) -> float:
    """The share of the question's weight whose words are in `found`; a word counts once,
    with its best form (a typo's corrections compete for it)."""
    weight: dict[int, float] = {}
    got: dict[int, float] = {}
    for q in query:
        weight[q.position] = max(weight.get(q.position, 0.0), q.weight)
        if q.term in found:
            got[q.position] = max(got.get(q.position, 0.0), q.weight)
    return sum(got.values()) / (sum(weight.values()) or 1.0)


def answer_evidence(ranked: Sequence[Candidate]) -> list[float]:
    """What tells an answer from a near miss, each about 0..1, from the ranked candidates.

    The share of the question's weight the best passage holds, how far ahead of the best
    passage of any other article it is (a real answer stands out; scattered partial matches
    don't), the rarest question word it lacks, the weight of question words that match only
    through a typo correction or not at all, and word pairs kept together.
    """
    best = ranked[0]
    f = best.features
    if not best.query:
        return [0.0] * len(ANSWER_MODEL)
    weight_of: dict[int, float] = {}
    word_weight: dict[int, float] = {}
    for q in best.query:
        weight_of[q.position] = max(weight_of.get(q.position, 0.0), q.weight)
        word_weight[q.position] = q.word_weight
    found = {q.position for q in best.query if q.term in f.matched}
    exact = {q.position for q in best.query if q.term in f.matched and q.kind == "exact"}
    strongest = max(weight_of.values()) or 1.0
    missing = max((w for p, w in weight_of.items() if p not in found), default=0.0)
    # Strict coverage: a corrected word counts as the unknown word it was, so a question about
    # names the corpus never saw can't borrow weight from look-alike words.
    strict = sum(word_weight[p] for p in exact) / (sum(word_weight.values()) or 1.0)
    runner_up = max(
        (c.features.coverage for c in ranked[1:] if c.article_id != best.article_id), default=0.0
    )
    return [
        f.coverage,
        strict,
        f.coverage - runner_up,
        missing / strongest,
        f.bigrams,
        f.proximity,
    ]


def proximity(matched: list[QueryTerm], positions: dict[str, list[int]], window: int = 12) -> float:
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


def rerank_features(
    query: list[QueryTerm], passage: str, title: str, bm25: float, top_bm25: float
) -> Features:
    """A candidate's rerank features (`article_coverage` is filled in later, per article)."""
    positions = term_positions(passage, {q.term for q in query})
    matched = [q for q in query if q.term in positions]
    coverage = weighted_share(query, set(positions))
    # Question word pairs that stand next to each other in the passage too.
    by_position = sorted(matched, key=lambda q: q.position)
    pairs = sum(1 for a, b in pairwise(query) if b.position == a.position + 1)
    bigrams = 0
    for a, b in pairwise(by_position):
        if b.position == a.position + 1:
            pa, pb = positions[a.term], set(positions[b.term])
            if any(p + 1 in pb or p + 2 in pb for p in pa):
                bigrams += 1
    bigram_share = bigrams / pairs if pairs else 0.0
    closeness = proximity(matched, positions)
    title_share = weighted_share(query, set(terms(title)))
    return Features(
        bm25 / top_bm25,
        coverage,
        bigram_share,
        closeness,
        title_share,
        frozenset(q.term for q in matched),
    )


def answer_confidence(ranked: Sequence[Candidate]) -> float:
    """How sure we are that the best of the ranked candidates answers (0..1)."""
    z = sum(w * x for w, x in zip(ANSWER_MODEL, answer_evidence(ranked), strict=True))
    return 1 / (1 + math.exp(-(z + ANSWER_BIAS)))
