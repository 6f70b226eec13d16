"""Tests for newsbot.search.typos: which corpus words a misspelt question word is matched to."""

from __future__ import annotations

import pytest

from newsbot.search.text import word_terms
from newsbot.search.typos import TypoCorrector, max_edits
from newsbot.service import Newsbot

CORPUS_WORDS = ["zhongguancun", "silicon", "silica", "valley", "beijing", "bijing", "year"]


@pytest.fixture
def corrector() -> TypoCorrector:
    corrector = TypoCorrector()
    for word in CORPUS_WORDS:
        corrector.add(word)
    return corrector


@pytest.mark.parametrize(
    ("word", "edits"),
    [("cat", 0), ("news", 0), ("newss", 1), ("silicon", 1), ("zhonggua", 2), ("zhongguancun", 2)],
)
def test_max_edits_grows_with_length(word: str, edits: int) -> None:
    assert max_edits(word) == edits


def test_add_ignores_short_non_alphabetic_and_repeated_words() -> None:
    corrector = TypoCorrector()
    for word in ["ab", "abc", "abc1", "2021", "news", "news", "world"]:
        corrector.add(word)
    # "news" is a correction target (a 5-letter slip can drop a letter), "world" too; "abc" is
    # too short to be reached from a word long enough to correct.
    assert len(corrector) == 2


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("zhongguncun", [("zhongguancun", 1)]),  # a dropped letter
        ("hzongguancun", [("zhongguancun", 1)]),  # first two letters swapped
        ("hongguancun", [("zhongguancun", 1)]),  # first letter dropped
        ("xzhongguancun", [("zhongguancun", 1)]),  # a letter added in front
        ("zhngguncun", [("zhongguancun", 2)]),  # long words forgive two slips
        ("silcon", [("silicon", 1)]),
        ("islicon", [("silicon", 1)]),
        ("ilicon", [("silicon", 1)]),
        ("valey", [("valley", 1)]),
        ("vallley", [("valley", 1)]),
        ("silicn", [("silica", 1), ("silicon", 1)]),  # ties: alphabetical
        ("bejing", [("beijing", 1), ("bijing", 1)]),
    ],
)
def test_corrections(corrector: TypoCorrector, typo: str, expected: list[tuple[str, int]]) -> None:
    assert corrector.corrections(typo) == expected


@pytest.mark.parametrize("word", ["sxlxcon", "cat", "yer", "s1licon", "zzzzzzzz", "北京大学"])
def test_no_correction_when_too_far_too_short_or_not_a_word(
    corrector: TypoCorrector, word: str
) -> None:
    assert corrector.corrections(word) == []


def test_nearest_first_and_limit() -> None:
    corrector = TypoCorrector()
    for word in ["silacon", "sillicon", "silicons", "silicon", "silicone", "siliconz"]:
        corrector.add(word)
    # One slip away first (alphabetical among equals), then two: "silacon" sorts first but is
    # two slips away, so the default limit of 3 leaves it out.
    assert corrector.corrections("siliconn") == [("silicon", 1), ("silicone", 1), ("silicons", 1)]
    assert corrector.corrections("siliconn", limit=6) == [
        ("silicon", 1),
        ("silicone", 1),
        ("silicons", 1),
        ("siliconz", 1),
        ("silacon", 2),
        ("sillicon", 2),
    ]
    assert corrector.corrections("siliconn", limit=1) == [("silicon", 1)]


def test_candidates_come_from_the_length_and_letter_buckets(corrector: TypoCorrector) -> None:
    found = set(corrector.candidates("silicn", 1))
    assert {"silicon", "silica"} <= found
    assert "zhongguancun" not in found and "year" not in found


async def test_the_retriever_corrects_a_question_word_to_a_corpus_stem(seeded: Newsbot) -> None:
    await seeded.retriever.refresh()
    [term] = [q for q in seeded.retriever.query_terms("zhongguncun") if q.surface == "zhongguncun"]
    assert (term.term, term.kind) == (word_terms("zhongguancun")[0], "typo")
    assert term.term == "zhongguancun"
    assert 0 < term.weight < term.word_weight


def test_a_copy_learns_words_the_original_does_not(corrector: TypoCorrector) -> None:
    copy = corrector.copy()
    copy.add("reykjavik")
    assert [c for c, _ in copy.corrections("reykjavk")] == ["reykjavik"]
    assert corrector.corrections("reykjavk") == []
    assert len(copy) == len(corrector) + 1
    assert copy.corrections("silicn") == corrector.corrections("silicn")
