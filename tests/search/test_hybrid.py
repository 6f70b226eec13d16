"""Tests for newsbot.search.hybrid: score fusion and the "answered" decision."""

from __future__ import annotations

import math

import numpy as np
import pytest

from newsbot.search.answer import answer_evidence
from newsbot.search.hybrid import answer_features, decide, fuse, logit


def test_fuse_mixes_min_max_normalized_scores() -> None:
    fused = fuse([3.0, 2.0, 1.0], np.array([0.80, 0.90, 0.85], dtype=np.float32), a=0.6)
    assert fused == pytest.approx([0.4, 0.6 * 1 + 0.4 * 0.5, 0.6 * 0.5])


def test_a_candidate_without_a_vector_keeps_its_lexical_share() -> None:
    fused = fuse([3.0, 2.0, 1.0], np.array([0.80, np.nan, 0.90], dtype=np.float32), a=0.6)
    assert fused[1] == pytest.approx(0.5)
    assert fused[2] == pytest.approx(0.6)
    # One vector alone can't be normalized against anything: lexical order stays.
    assert fuse([2.0, 1.0], np.array([np.nan, 0.9], dtype=np.float32)) == pytest.approx([1, 0])


def test_without_the_top_passages_vector_the_lexical_rule_decides() -> None:
    assert decide(answer_features(0.7, math.nan, None), 0.5).answered
    assert not decide(answer_features(0.3, math.nan, None), 0.5).answered
    assert decide(answer_features(0.7, math.nan, None), 0.5).confidence == pytest.approx(0.7)


def test_the_decision_reads_the_cosine_and_the_sentence() -> None:
    question = "How many days does the forum last?"
    passage = "The forum opened in Beijing. It is a five-day discussion of technology."
    evidence = answer_evidence(question, passage)
    assert evidence is not None and evidence.type_expected and evidence.type_found
    features = answer_features(0.4, 0.85, evidence)
    assert features[0] == pytest.approx(logit(0.4))
    assert features[1] == pytest.approx(0.85)
    assert features[4] == 0.0  # the number is there
    high = decide(answer_features(0.9, 0.90, evidence), 0.5)
    low = decide(answer_features(0.05, 0.70, evidence), 0.5)
    assert high.answered and not low.answered
    assert 0.0 <= low.confidence < high.confidence <= 1.0
