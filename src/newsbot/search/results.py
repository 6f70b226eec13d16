"""What a search returns: the hits, best first, and whether they answer the question."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import takewhile

from newsbot.search.answer import AnswerSpan
from newsbot.search.evidence import Candidate, PassageRef


@dataclass(frozen=True)
class Hit(PassageRef):
    """One passage that answers (or might answer) a question."""

    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)
    # How sure the "answered" decision would be if this hit were the best one (0..1): "More"
    # pages only through hits that pass it.
    confidence: float = 0.0
    answer: AnswerSpan | None = None  # the sentence of `passage` that best answers
    # The question's names and numbers that neither the passage nor its title holds
    # (hybrid.missing_names), shown as "Missing: ..." under the passage.
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """The best passages for a question, best first, and whether they answer it."""

    question: str
    answered: bool
    hits: list[Hit]
    confidence: float = 0.0
    threshold: float = 0.5  # the confidence a hit needs to count as answering
    not_a_question: bool = False  # "ok", "2", "thanks": no content word, nothing searched
    # Declined: the question's names and numbers that none of the hits' articles mentions
    # (hybrid.absent_names), as the reader wrote them ("qatar" of a question on Emirates).
    unmentioned: tuple[str, ...] = ()

    def relevant(self) -> list[Hit]:
        """The leading hits that each pass the "answered" decision (none if not answered)."""
        if not self.answered:
            return []
        return list(takewhile(lambda hit: hit.confidence >= self.threshold, self.hits))


@dataclass(frozen=True)
class Ranking:
    """The candidates best first (score, candidate), their cosines with the question (NaN
    without a vector, all NaN without the model) and the lexical stage's confidence."""

    ranked: list[tuple[float, Candidate]]
    cosines: list[float]
    lexical_confidence: float
