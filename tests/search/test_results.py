"""Which hits of a search result count as answering: the leading ones over the line."""

from __future__ import annotations

from newsbot.search.results import Hit, SearchResult


def hit(n: int, confidence: float) -> Hit:
    return Hit(n, n, f"T{n}", None, None, None, "p", 1.0, confidence=confidence)


def test_relevant_hits_are_the_leading_ones_over_the_line() -> None:
    hits = [hit(1, 0.9), hit(2, 0.6), hit(3, 0.2), hit(4, 0.8)]
    assert [h.passage_id for h in SearchResult("q", True, hits).relevant()] == [1, 2]
    assert SearchResult("q", False, hits).relevant() == []  # not answered: none
    assert SearchResult("q", True, hits, threshold=0.95).relevant() == []
