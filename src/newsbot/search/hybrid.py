"""Hybrid ranking and the "answered" decision that reads the passage.

Ranking: the lexical stage's best `CANDIDATES` (20, retriever.py) are re-scored by
`(1 - a)·minmax(lexical score) + a·minmax(cosine)` (the lab found this as good as a full dense
first stage, so no vector index is needed). A candidate without a vector yet keeps its lexical
share in place of the dense one, so a new article ranks as it would lexically.

Answered: a logistic model over the evidence that a passage *answers* rather than being on the
same topic (`answer_features`, FEATURES): the lexical confidence (evidence.answer_confidence,
as a logit), the passage's cosine and its lead over the best other candidate's, the share of
the question's weight its best sentence holds, the share of the question's names and numbers
the passage holds (near misses differ in one of them; typo-aware), whether the expected kind
of answer (how many -> a number, who -> a name, ...) is missing from the best sentence,
whether the question says "not" and that sentence doesn't, and how rare the rarest question
word the passage lacks is. Fitted by benchmarks/tune_answered.py, see ANSWERED_WEIGHTS.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from newsbot.search.answer import AnswerEvidence, answer_evidence, question_names
from newsbot.search.evidence import Candidate, QueryTerm
from newsbot.search.text import normalize, spelled_terms, terms

DENSE_WEIGHT = 0.6
"""`a` of the fusion: chosen on the fit half of the tune sets with a pool of 20
(benchmarks/tune_answered.py --grid prints pools 12/20/30 x a 0.4-0.8); top-1 is flat
between 0.5 and 0.7."""

# Logistic model of "the top passage answers the question", over `answer_features` (FEATURES,
# in order); the bias has the operating point folded in. Fitted by
#     python benchmarks/evidence_dump.py && python benchmarks/tune_answered.py
# (2026-12-01): numpy logistic regression on the fit half of the tune questions, the classes
# weighed alike and each question set alike within its class: clean SQuAD in-corpus, SQuAD 2.0
# answerable and natural news questions (news_questions.json) against clean SQuAD
# out-of-corpus, SQuAD 2.0 unanswerable, NQ-open and the news near-misses and off-topic
# questions; the line set where 96% of the fit half's in-corpus SQuAD questions are answered.
# Margin, coverage and the rarest missing word are computed but weigh 0: fitted, they took the
# wrong sign (SQuAD 2.0's unanswerable questions copy their paragraph's words) or no weight.
# Sentence cosines added nothing either and would cost ~4 e5 encodings a question; the share
# of question words no article wrote cost typo'd questions (SQuAD held-out answered 84.7% ->
# 60.8%) and Russian ones. On the held-out half, against the previous fit (without the news
# questions, names only where the question writes them so), docs/benchmarks.md.
FEATURES = (
    "lexical",
    "cosine",
    "margin",
    "coverage",
    "names",
    "type_missing",
    "negation_missing",
    "rare_missing",
    "name_absent",
)
NAME_ABSENT_WEIGHT = -20.0
"""`name_absent` is a veto, not fitted: a question naming what the top passage's article never
mentions is declined (the reply lists the closest articles). Fitted with the others it got
-1.5, too little to move one news near-miss: SQuAD's and TyDi QA's "articles" are single
paragraphs, whose questions name things from the rest of their Wikipedia page. On whole news
articles (news_questions.json) it cost 1 of 88 answerable questions and declined 7 more of 35
unanswerable ones (docs/benchmarks.md)."""
ANSWERED_WEIGHTS = (0.1588, 29.8412, 0.0, 0.0, 1.2334, -0.8531, -3.6186, 0.0, NAME_ABSENT_WEIGHT)
ANSWERED_BIAS = -25.4827
_NAME_ABSENT = FEATURES.index("name_absent")


def minmax(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values)
    return (values - lo) / (hi - lo)


def fuse(
    lexical: Sequence[float], cosines: npt.NDArray[np.float32], a: float = DENSE_WEIGHT
) -> list[float]:
    """Fused scores of candidates; a NaN cosine (no vector yet) counts as its lexical share."""
    lex = minmax(np.asarray(lexical, dtype=np.float64))
    cos = np.asarray(cosines, dtype=np.float64)
    have = ~np.isnan(cos)
    dense = lex.copy()
    if have.sum() >= 2:
        dense[have] = minmax(cos[have])
    return [float(x) for x in (1 - a) * lex + a * dense]


@dataclass(frozen=True)
class Decision:
    answered: bool
    confidence: float


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def rare_missing(query: Sequence[QueryTerm], matched: Set[str]) -> float:
    """How rare the rarest question word the passage lacks is, against the question's rarest
    word (0: the passage holds every word; 1: it lacks the rarest). Only words the corpus
    knows count (a word found in no passage is missing everywhere, so it tells no passage from
    another); a typo'd word counts as found when one of its corrections is there. Near misses
    lack exactly one name or number."""
    weight: dict[int, float] = {}
    found: set[int] = set()
    for q in query:
        if q.kind == "unknown":
            continue
        weight[q.position] = max(weight.get(q.position, 0.0), q.weight)
        if q.term in matched:
            found.add(q.position)
    strongest = max(weight.values(), default=0.0)
    if strongest <= 0:
        return 0.0
    return max((w for p, w in weight.items() if p not in found), default=0.0) / strongest


NAME_CAPITALISED = 0.5
"""A question word is a name when the question writes it so (`answer.question_names`) or when
the corpus writes it with a capital in at least this share of its occurrences
(`QueryTerm.capitalised`): readers type "lowes third quarter revenue"."""


def _name_positions(
    query: Sequence[QueryTerm], names: Set[str], capitalised: float = NAME_CAPITALISED
) -> set[int]:
    """The positions of the question's words that are names or numbers."""
    return {q.position for q in query if q.surface in names or q.capitalised >= capitalised}


def is_held(q: QueryTerm, holds: Callable[[str], bool]) -> bool:
    """Whether `holds` the question word's term, or, for a number typed in digits, one of the
    words it is spelled with ("5" of "the 5-day forum" in an article that says "five-day")."""
    return holds(q.term) or any(holds(t) for t in spelled_terms(q.surface))


def _as_written(query: Sequence[QueryTerm], positions: Set[int]) -> list[str]:
    """The question's words at `positions`, as the reader wrote them, in the question's order."""
    written: dict[int, str] = {}
    for q in query:
        if q.position in positions:
            written.setdefault(q.position, q.surface)
    return [written[p] for p in sorted(written)]


def names_share(
    query: Sequence[QueryTerm],
    matched: Set[str],
    names: Set[str],
    capitalised: float = NAME_CAPITALISED,
) -> float:
    """The share of the question's names and numbers the passage holds (1: the question has
    none); a typo'd name counts when one of its corrections is there."""
    asked = _name_positions(query, names, capitalised)
    if not asked:
        return 1.0
    found = {q.position for q in query if q.position in asked and q.term in matched}
    return len(found) / len(asked)


ABSENT_CAPITALISED = 0.8
"""For `name_absent`, a lowercase question word is a name when the corpus capitalises at least
this share of it: above NAME_CAPITALISED, as a veto needs surer names ("center", "east" and
"project" were names at 0.5 in the SQuAD tune corpus)."""

_YEAR = re.compile(r"(1[5-9][0-9]{2}|20[0-9]{2})s?")
_QUESTION_WORDS_TEXT = """
    кто кого кому кем ком что чего чему чем где куда откуда когда как какой какая какое какие
    каким какого каких какую каком сколько почему зачем чей чья чьё чье чьи
"""
_QUESTION_WORDS = frozenset(map(normalize, _QUESTION_WORDS_TEXT.split()))
"""Russian question words: not stop words (the index keeps every Russian word), and written with
a capital where they open a question, so a small corpus may count them as names."""
_PATRONYMIC = re.compile(r"..(?:ич|овна|евна|ична)$")  # -ович, -евич, -ич; -овна, -евна, -ична


def name_absent(
    query: Sequence[QueryTerm],
    held: Callable[[str], bool],
    names: Set[str],
    capitalised: float = ABSENT_CAPITALISED,
) -> float:
    """1.0 when one of the question's names or numbers is nowhere in the candidate's article
    (`held(term)`: its title or one of its passages holds the term), else 0.0.

    A near miss asks about another team, model or country than the article's ("lowes third
    quarter revenue" on Home Depot's results); a question the article answers names what the
    article names, even where the answer's passage doesn't repeat it. Years don't count (the
    "2015 season" of a paragraph that says "this season"), nor a Russian patronymic between
    two held names. Typo-aware: a word counts as held when one of its corrections is."""
    return float(bool(absent_names(query, held, names, capitalised)))


def absent_names(
    query: Sequence[QueryTerm],
    held: Callable[[str], bool],
    names: Set[str],
    capitalised: float = ABSENT_CAPITALISED,
) -> list[str]:
    """The names and numbers of `name_absent` that `held` lacks, as the reader wrote them."""
    asked = {
        q.position
        for q in query
        if (q.surface in names or (q.kind == "exact" and q.capitalised >= capitalised))
        and not _YEAR.fullmatch(q.surface)
        and q.surface not in _QUESTION_WORDS
        and (len(q.surface) > 1 or q.surface.isdigit())
    }
    held_at = {q.position for q in query if q.position in asked and is_held(q, held)}
    # A patronymic between two names the article holds is no other person: "Казимир
    # Северинович Малевич" of an article that writes "Казимир Малевич", as Russian news does.
    # (Not any middle word: "North Carolina State" is another team than "North Dakota State".)
    patronymics = {
        q.position
        for q in query
        if q.position - 1 in held_at and q.position + 1 in held_at and _PATRONYMIC.search(q.surface)
    }
    return _as_written(query, asked - held_at - patronymics)


def held_by(
    candidates: Sequence[Candidate], article_holds: Callable[[str, int], bool]
) -> Callable[[str], bool]:
    """Whether one of the candidates' articles holds a term: the passage's matched terms, its
    title, or another passage of the article (`article_holds(term, article_id)`)."""
    titles = [set(terms(c.title)) for c in candidates]

    def held(term: str) -> bool:
        return any(
            term in c.features.matched or term in title or article_holds(term, c.article_id)
            for c, title in zip(candidates, titles, strict=True)
        )

    return held


def missing_names(query: Sequence[QueryTerm], found: Set[str], names: Set[str]) -> list[str]:
    """The question's names, numbers and words no article has, as the reader wrote them, that
    none of `found` (a passage's terms and its title's) holds: a near miss shows the one it
    differs in ("qatar" of "how many 787s did qatar airways order" on Emirates' order).
    Typo-aware as names_share: a word counts as held when one of its corrections is."""
    unknown = {
        q.position for q in query if q.kind == "unknown" and q.surface not in _QUESTION_WORDS
    }
    asked = _name_positions(query, names) | unknown
    held = {q.position for q in query if q.position in asked and is_held(q, found.__contains__)}
    return _as_written(query, asked - held)


def margin(cosines: Sequence[float], rank: int) -> float:
    """How far the candidate's cosine is above the best other candidate's (0 alone)."""
    others = [c for i, c in enumerate(cosines) if i != rank and not math.isnan(c)]
    return cosines[rank] - max(others) if others else 0.0


def answer_features(
    lexical_confidence: float,
    cosines: Sequence[float],
    rank: int,
    evidence: AnswerEvidence | None,
    missing: float,
    names: float = 1.0,
    absent: float = 0.0,
) -> list[float]:
    """The "answered" model's inputs for the candidate at `rank` (see FEATURES); `cosines` are
    the ranked candidates' cosines (NaN without a vector), `missing` its `rare_missing`,
    `names` its `names_share`."""
    cosine = cosines[rank]
    common = [logit(lexical_confidence), cosine, margin(cosines, rank) if cosines else 0.0]
    if evidence is None:
        return [*common, 0.0, names, 1.0, 0.0, missing, absent]
    return [
        *common,
        evidence.coverage,
        names,
        float(evidence.type_expected and not evidence.type_found),
        float(evidence.negation_missing),
        missing,
        absent,
    ]


def candidate_features(
    question: str,
    candidate: Candidate,
    lexical_confidence: float,
    cosines: Sequence[float],
    rank: int,
    idf: Callable[[str], float],
    article_holds: Callable[[str, int], bool],
) -> tuple[list[float], AnswerEvidence | None]:
    """The `answer_features` of a ranked candidate, and its best sentence's evidence;
    `article_holds(term, article_id)`: whether one of the article's passages holds the term."""
    evidence = answer_evidence(question, candidate.passage, idf)
    matched = candidate.features.matched
    asked = question_names(question)
    names = names_share(candidate.query, matched, asked)
    missing = rare_missing(candidate.query, matched)
    absent = name_absent(candidate.query, held_by([candidate], article_holds), asked)
    features = answer_features(lexical_confidence, cosines, rank, evidence, missing, names, absent)
    return features, evidence


def decide(features: Sequence[float], lexical_threshold: float) -> Decision:
    """Whether the top passage answers, from its `answer_features`; without its vector (the
    cosine is NaN), today's lexical rule: its confidence against `lexical_threshold`."""
    if math.isnan(features[1]):
        z = features[0] + NAME_ABSENT_WEIGHT * features[_NAME_ABSENT]
        confidence = 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))
        return Decision(confidence >= lexical_threshold, confidence)
    z = ANSWERED_BIAS + sum(w * x for w, x in zip(ANSWERED_WEIGHTS, features, strict=True))
    p = 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))
    return Decision(p >= 0.5, p)
