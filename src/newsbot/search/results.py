"""What a search returns: the passages (hits) with their answer sentences, and the decision;
the reranker's weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsbot.search.answer import AnswerSpan
from newsbot.search.evidence import Candidate


@dataclass(frozen=True)
class Weights:
    """How the reranker combines its features (tuned on the SQuAD tune set, see benchmarks)."""

    bm25: float = 1.0
    coverage: float = 2.0
    bigrams: float = 0.5
    proximity: float = 0.6
    title: float = 0.2
    fuzz: float = 0.0
    article_coverage: float = 2.0
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
    answer: AnswerSpan | None = None  # the sentence of `passage` that best answers


@dataclass(frozen=True)
class SearchResult:
    """The best passages for a question, best first, and whether they answer it."""

    question: str
    answered: bool
    hits: list[Hit]
    confidence: float = 0.0
    not_a_question: bool = False  # "ok", "2", "thanks": no content word, nothing searched


@dataclass(frozen=True)
class Ranking:
    """The candidates best first (score, candidate), their cosines with the question (NaN
    without a vector, all NaN without the model) and the lexical stage's confidence."""

    ranked: list[tuple[float, Candidate]]
    cosines: list[float]
    lexical_confidence: float
