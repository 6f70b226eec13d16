"""Hybrid ranking and the "answered" decision that reads the passage.

Ranking: the lexical stage's best `CANDIDATES` are re-scored by
`(1 - a)·minmax(lexical score) + a·minmax(cosine)` (the lab found this as good as a full dense
first stage, so no vector index is needed). A candidate without a vector yet keeps its lexical
share in place of the dense one, so a new article ranks as it would lexically.

Answered: a logistic model over the evidence that a passage *answers* rather than being on the
same topic: the lexical confidence (evidence.answer_confidence, as a logit), the cosine of the
final top passage, the share of the question's weight its best sentence holds, the share of
the question's names and numbers the passage holds (near misses differ in one of them), and
whether the expected kind of answer (how many -> a number, who -> a name, ...) is in the best
sentence. Fitted by benchmarks/tune_answered.py, see ANSWERED_WEIGHTS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from newsbot.search.answer import AnswerEvidence

DENSE_WEIGHT = 0.6
"""`a` of the fusion: chosen on squad-tune (benchmarks/tune_answered.py --fusion prints the
grid); top-1 is flat between 0.4 and 0.7."""

# Logistic model of "the top passage answers the question", over `answer_features`:
# (logit of the lexical confidence, cosine of the top passage, best sentence's coverage,
#  names/numbers share, expected answer type missing); the bias has the operating point folded
# in. These are the lab's line (shared/reviews/2026-12-semantic-retrieval-lab.md: fitted on
# squad-tune, set where 98% of its in-corpus questions are answered), kept because it did best
# on this project's tune sets (benchmarks/tune_answered.py, 2026-12-01): at 96.0% of in-corpus
# SQuAD answered it declines 94.2% out-of-corpus and 91.3% of NQ-open, against 93.1% / 90.3%
# for the 5-feature logistic refit (English sets) and 91.6% / 90.6% with the Russian sets
# pooled in, which answer more Russian questions (93% against 87% of TyDi ru). The sentence
# features got small weights in every refit: SQuAD 2.0's unanswerable questions are declined
# by none of these rules (6-8%). Refit with `benchmarks/tune_answered.py`.
ANSWERED_WEIGHTS = (1.0, 139.3, 0.0, 0.0, 0.0)
ANSWERED_BIAS = -115.1


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


def answer_features(
    lexical_confidence: float, cosine: float, evidence: AnswerEvidence | None
) -> list[float]:
    """The "answered" model's inputs for the top passage (see ANSWERED_WEIGHTS)."""
    if evidence is None:
        return [logit(lexical_confidence), cosine, 0.0, 0.0, 1.0]
    return [
        logit(lexical_confidence),
        cosine,
        evidence.coverage,
        evidence.names,
        float(evidence.type_expected and not evidence.type_found),
    ]


def decide(features: Sequence[float], lexical_threshold: float) -> Decision:
    """Whether the top passage answers, from its `answer_features`; without its vector (the
    cosine is NaN), today's lexical rule: its confidence against `lexical_threshold`."""
    if math.isnan(features[1]):
        confidence = 1 / (1 + math.exp(-features[0]))
        return Decision(confidence >= lexical_threshold, confidence)
    z = ANSWERED_BIAS + sum(w * x for w, x in zip(ANSWERED_WEIGHTS, features, strict=True))
    p = 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))
    return Decision(p >= 0.5, p)
