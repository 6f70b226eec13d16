"""Tests for newsbot.search.index.PassageIndex on a tiny corpus with known answers."""

from __future__ import annotations

import math

import pytest

from newsbot.search.index import K1, B, IndexedPassage, PassageIndex

CORPUS = [
    IndexedPassage(1, 10, "Lake Baikal is the deepest lake in the world."),
    IndexedPassage(2, 10, "The ice road on Lake Baikal opens in January."),
    IndexedPassage(3, 20, "Volcanoes in Iceland erupted again this week."),
    IndexedPassage(4, 20, "Iceland's glaciers are melting quickly."),
    IndexedPassage(5, 30, "The deepest ocean trench is the Mariana Trench."),
]
# content terms per passage: 5, 6, 4, 4 and 5 (stop words left out) -> average length 4.8
LENGTHS = {1: 5, 2: 6, 3: 4, 4: 4, 5: 5}


@pytest.fixture
def index() -> PassageIndex:
    index = PassageIndex()
    assert index.add(CORPUS) == 5
    return index


def search(index: PassageIndex, *words: str, limit: int = 10) -> list[int]:
    found = index.search([(w, index.idf(w)) for w in words], limit=limit)
    return [index.passage_id(int(doc)) for doc in found.docs]


def bm25(index: PassageIndex, term: str, tf: int, passage_id: int) -> float:
    avgdl = sum(LENGTHS.values()) / len(LENGTHS)
    norm = K1 * (1 - B + B * LENGTHS[passage_id] / avgdl)
    return index.idf(term) * tf * (K1 + 1) / (tf + norm)


def test_add_counts_and_skips_what_is_already_indexed(index: PassageIndex) -> None:
    assert (index.size, index.max_passage_id) == (5, 5)
    assert index.add(CORPUS) == 0  # ids at or below max_passage_id are known
    assert index.add([IndexedPassage(6, 40, "Baikal seals are unique.")]) == 1
    assert (index.size, index.max_passage_id) == (6, 6)
    assert search(index, "seal") == [6]


def test_document_frequencies_and_idf(index: PassageIndex) -> None:
    assert index.df("lake") == 2  # counted once per passage, not per occurrence
    assert index.df("trench") == 1
    assert index.df("the") == 0  # stop words are not indexed
    assert index.df("volcano") == 1  # stems: "Volcanoes"
    assert index.idf("lake") == pytest.approx(math.log(1 + (5 - 2 + 0.5) / (2 + 0.5)))
    assert index.idf("trench") > index.idf("lake")
    assert index.idf("unknown") == 0.0
    assert index.max_idf() == pytest.approx(math.log(1 + 5.5 / 0.5))
    assert index.df("iceland") == 2


def test_search_orders_by_bm25_with_exact_ids(index: PassageIndex) -> None:
    # Same term frequency: the shorter passage wins.
    assert search(index, "baikal") == [1, 2]
    found = index.search([("baikal", index.idf("baikal"))], limit=10)
    assert found.bm25.tolist() == pytest.approx(
        [bm25(index, "baikal", 1, 1), bm25(index, "baikal", 1, 2)], rel=2e-3
    )
    # Both words beat one; a rare word beats a common one.
    assert search(index, "deepest", "lake") == [1, 5, 2]
    assert search(index, "deepest", "trench") == [5, 1]
    assert search(index, "iceland", "glacier") == [4, 3]
    assert search(index, "deepest", "lake", limit=1) == [1]


def test_coverage_is_the_share_of_question_weight_matched(index: PassageIndex) -> None:
    found = index.search([("deepest", 1.0), ("trench", 3.0)], limit=10)
    assert [index.passage_id(int(d)) for d in found.docs] == [5, 1]
    assert found.coverage.tolist() == pytest.approx([1.0, 0.25])


def test_unknown_and_weightless_terms_find_nothing(index: PassageIndex) -> None:
    assert search(index, "nowhere") == []
    assert index.search([], limit=5).docs.tolist() == []
    assert index.search([("lake", 0.0)], limit=5).docs.tolist() == []
    assert search(PassageIndex(), "lake") == []


def test_remove_article(index: PassageIndex) -> None:
    assert index.remove_article(10) == 2
    assert index.size == 3
    assert search(index, "baikal") == []
    assert search(index, "deepest", "lake") == [5]
    assert index.article_id(0) == 10  # doc numbers stay; they are only marked dead
    assert index.remove_article(10) == 0
    assert index.remove_article(999) == 0
    # Frequencies keep counting removed passages until a rebuild (documented trade-off).
    assert index.df("baikal") == 2


def test_article_holds_reads_every_passage_of_the_article(index: PassageIndex) -> None:
    assert index.article_holds("januari", 10)  # passage 2 ("January", stemmed), not passage 1
    assert index.article_holds("baikal", 10)
    assert not index.article_holds("iceland", 10)  # another article's word
    assert not index.article_holds("atlantis", 10)  # no passage's word
    index.remove_article(20)
    assert not index.article_holds("iceland", 20)  # removed passages hold nothing


def test_passages_added_in_several_batches_are_searched_together() -> None:
    index = PassageIndex()
    index.add(CORPUS[:2])
    index.add(CORPUS[2:4])
    index.add(CORPUS[4:])
    assert search(index, "deepest", "lake") == [1, 5, 2]
    assert search(index, "iceland", "glacier") == [4, 3]
    assert [index.article_id(d) for d in range(5)] == [10, 10, 20, 20, 30]


def test_max_postings_keeps_each_terms_best_passages() -> None:
    index = PassageIndex(max_postings=2)
    filler = ["alpha", "beta gamma", "delta epsilon zeta", "eta theta iota kappa"]
    index.add(
        IndexedPassage(i + 1, i + 1, f"news {words}") for i, words in enumerate(reversed(filler))
    )
    # Same term frequency everywhere: the two shortest passages (ids 4 and 3) are kept.
    assert search(index, "news") == [4, 3]
    assert index.df("news") == 4


def test_a_copy_grows_on_its_own_and_the_original_answers_as_before(index: PassageIndex) -> None:
    before = (search(index, "baikal"), index.idf("baikal"), index.size, index.max_passage_id)
    copy = index.copy()
    assert copy.add([IndexedPassage(6, 40, "Olkhon is the largest island in Lake Baikal.")]) == 1
    copy.remove_article(20)
    assert (search(index, "baikal"), index.idf("baikal")) == before[:2]
    assert (index.size, index.max_passage_id) == before[2:]
    assert sorted(search(index, "iceland")) == [3, 4] and search(index, "olkhon") == []
    assert search(copy, "olkhon") == [6] and search(copy, "iceland") == []
    assert (copy.size, copy.max_passage_id) == (4, 6)
    assert sorted(search(copy, "baikal")) == [1, 2, 6]


def test_capitalised_is_the_share_of_occurrences_written_as_a_name() -> None:
    index = PassageIndex()
    index.add(
        [
            IndexedPassage(1, 1, "Analysts expect Lowe's to report. Sales at Lowe's rose."),
            IndexedPassage(2, 1, "Lowe's shares fell as the market fell."),
            IndexedPassage(3, 2, "The market for homes is cooling. Market watchers agree."),
        ]
    )
    # Three "Lowe's", one opening a sentence; "market" is lowercase twice, capitalised once
    # where a sentence starts.
    assert index.capitalised("low") == pytest.approx(2 / 3)
    assert index.capitalised("market") == 0.0
    assert index.capitalised("never") == 0.0  # unknown
    copy = index.copy()
    copy.add([IndexedPassage(4, 3, "Analysts at the Market Street bank agree.")])
    assert copy.capitalised("market") == pytest.approx(1 / 4)
    assert index.capitalised("market") == 0.0  # the original is untouched
