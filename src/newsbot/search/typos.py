"""Typo tolerance: a question word the corpus doesn't know is matched to the corpus words
it is one (or, for long words, two) keyboard slips away from.

Scanning the whole vocabulary for every unknown word would cost tens of milliseconds at a
million passages. Instead, words are bucketed by (length, first letter) and (length, second
letter): any single slip (a swapped, dropped, doubled or replaced letter) leaves either the first
or the second letter of the word in one of those two places, so a handful of small buckets holds
every candidate, and rapidfuzz measures only those.
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 5
"""Shorter words are left alone: 'cat' is one slip from too many other words to guess."""


def max_edits(word: str) -> int:
    """Slips allowed for a word of this length."""
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) <= 7 else 2


class TypoCorrector:
    """Finds the corpus words nearest to an unknown word."""

    def __init__(self) -> None:
        self._first: defaultdict[tuple[int, str], list[str]] = defaultdict(list)
        self._second: defaultdict[tuple[int, str], list[str]] = defaultdict(list)
        self._known: set[str] = set()

    def add(self, word: str) -> None:
        """Make a corpus word findable."""
        if len(word) < MIN_LENGTH - 1 or word in self._known or not word.isalpha():
            return
        self._known.add(word)
        self._first[(len(word), word[0])].append(word)
        self._second[(len(word), word[1])].append(word)

    def copy(self) -> TypoCorrector:
        """An independent copy to add words to while this one keeps answering."""
        clone = TypoCorrector()
        clone._first.update((key, list(bucket)) for key, bucket in self._first.items())
        clone._second.update((key, list(bucket)) for key, bucket in self._second.items())
        clone._known = set(self._known)
        return clone

    def __len__(self) -> int:
        return len(self._known)

    def candidates(self, word: str, edits: int) -> list[str]:
        """Every corpus word that might be within `edits` slips of `word`."""
        keys = {word[0], word[1]}
        found: list[str] = []
        for length in range(len(word) - edits, len(word) + edits + 1):
            for key in keys:
                found.extend(self._first.get((length, key), ()))
                found.extend(self._second.get((length, key), ()))
        return found

    def corrections(self, word: str, limit: int = 3) -> list[tuple[str, int]]:
        """Up to `limit` corpus words within the allowed slips of `word`, nearest first."""
        edits = max_edits(word)
        if edits == 0 or not word.isalpha():
            return []
        pool = list(dict.fromkeys(self.candidates(word, edits)))
        if not pool:
            return []
        matches = process.extract(
            word, pool, scorer=OSA.distance, score_cutoff=edits, limit=limit * 4
        )
        ranked = sorted((int(distance), choice) for choice, distance, _ in matches)
        return [(choice, distance) for distance, choice in ranked[:limit]]
