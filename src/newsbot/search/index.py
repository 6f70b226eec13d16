"""An in-memory inverted index over passages, with impact-ordered postings.

Why not ask FTS5 for every question: an FTS5 OR-query scores every passage that holds any
question word, so its time grows with the corpus (about 360 ms at a million passages). Here each
term's postings are sorted by their BM25 impact, so a question reads only the best few thousand
postings of each term and stops: the cost depends on the question, not on the corpus size.

The database stays the one source of truth: the index is built from it, follows it by passage id
(new passages have higher ids) and by the `article_removals` log, and can be rebuilt at any time.

Passages are indexed in segments of up to `SEGMENT_SIZE`; each segment keeps, per term, at most
`max_postings` postings (the highest impacts), which bounds memory at a million passages. IDF is
computed at query time from live document frequencies.

Per term the index also counts its occurrences and how many of them are written with a
capital where no sentence starts (`capitalised`): the words the corpus treats as names, which
a question typed in lowercase still asks about (hybrid.names_share).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from newsbot.search.text import capitalised_terms, content_terms

K1 = 1.2
B = 0.75
SEGMENT_SIZE = 50_000
# BM25 impacts lie in [0, K1 + 1); one byte each (steps of 0.4% of the range) is plenty for
# ranking and saves a sixth of the index's memory against float16.
IMPACT_SCALE = 255 / (K1 + 1)

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class IndexedPassage:
    """What the index needs of a passage."""

    passage_id: int
    article_id: int
    text: str


class Segment:
    """Immutable postings of a batch of documents: per term, doc numbers by impact, best first."""

    __slots__ = ("docs", "ends", "impacts", "starts", "term_ids")

    def __init__(
        self,
        term_ids: IntArray,
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        docs: IntArray,
        impacts: npt.NDArray[np.uint8],
    ) -> None:
        self.term_ids = term_ids
        self.starts = starts
        self.ends = ends
        self.docs = docs
        self.impacts = impacts

    def postings(self, term_id: int, limit: int) -> tuple[IntArray, npt.NDArray[np.uint8]]:
        i = int(self.term_ids.searchsorted(term_id))  # the method: no dispatch through numpy
        if i >= len(self.term_ids) or self.term_ids[i] != term_id:
            return _EMPTY_DOCS, _EMPTY_IMPACTS
        start = int(self.starts[i])
        end = min(int(self.ends[i]), start + limit)
        return self.docs[start:end], self.impacts[start:end]

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes for a in (self.term_ids, self.starts, self.ends, self.docs, self.impacts)
        )


_EMPTY_DOCS: IntArray = np.zeros(0, dtype=np.int32)
_EMPTY_IMPACTS: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True)
class Candidates:
    """First-stage results: internal doc numbers with their BM25 score and matched-IDF share."""

    docs: IntArray
    bm25: FloatArray
    coverage: FloatArray


class PassageIndex:
    """Impact-ordered inverted index; add passages in any batch size, remove by article."""

    def __init__(self, *, max_postings: int = 10_000) -> None:
        self.max_postings = max_postings
        self.term_ids: dict[str, int] = {}
        self._df = np.zeros(1024, dtype=np.int32)
        self._occurrences = np.zeros(1024, dtype=np.int32)
        self._capitals = np.zeros(1024, dtype=np.int32)
        self._passage_ids = np.zeros(1024, dtype=np.int64)
        self._article_ids = np.zeros(1024, dtype=np.int64)
        self._alive = np.zeros(1024, dtype=bool)
        self._docs = 0  # doc numbers handed out
        self._segments: list[Segment] = []
        self._pending: list[tuple[int, IntArray, npt.NDArray[np.int32]]] = []
        self._pending_capitals: list[int] = []  # term ids, one per capitalised occurrence
        self._total_len = 0
        self.size = 0  # live documents
        self.max_passage_id = 0

    # -- building ------------------------------------------------------------------------------

    def add(self, passages: Iterable[IndexedPassage]) -> int:
        """Index passages newer than `max_passage_id`; returns how many were added."""
        added = 0
        for passage in passages:
            if passage.passage_id <= self.max_passage_id:
                continue  # already indexed: passages never change, new ones get higher ids
            self._add_one(passage)
            added += 1
            if len(self._pending) >= SEGMENT_SIZE:
                self._flush()
        self._flush()
        return added

    def copy(self) -> PassageIndex:
        """An independent copy to add passages to while this one keeps answering.

        The segments are immutable and shared; the arrays and the term table are copied (at a
        million passages: ~20 MB and the vocabulary, tens of milliseconds).
        """
        self._flush()
        clone = PassageIndex(max_postings=self.max_postings)
        clone.term_ids = dict(self.term_ids)
        clone._df = self._df.copy()
        clone._occurrences = self._occurrences.copy()
        clone._capitals = self._capitals.copy()
        clone._passage_ids = self._passage_ids.copy()
        clone._article_ids = self._article_ids.copy()
        clone._alive = self._alive.copy()
        clone._docs = self._docs
        clone._segments = list(self._segments)
        clone._total_len = self._total_len
        clone.size = self.size
        clone.max_passage_id = self.max_passage_id
        return clone

    def _term_id(self, term: str) -> int:
        term_id = self.term_ids.get(term)
        if term_id is None:
            term_id = self.term_ids[term] = len(self.term_ids)
            if term_id >= len(self._df):
                grow = np.zeros(len(self._df), dtype=np.int32)
                self._df = np.concatenate([self._df, grow])
                self._occurrences = np.concatenate([self._occurrences, grow])
                self._capitals = np.concatenate([self._capitals, grow])
        return term_id

    def _add_one(self, passage: IndexedPassage) -> None:
        doc = self._docs
        self._docs += 1
        if doc >= len(self._alive):
            grow = len(self._alive)
            self._passage_ids = np.concatenate([self._passage_ids, np.zeros(grow, np.int64)])
            self._article_ids = np.concatenate([self._article_ids, np.zeros(grow, np.int64)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, bool)])
        counts = Counter(content_terms(passage.text))
        term_ids = np.fromiter((self._term_id(t) for t in counts), np.int32, len(counts))
        tfs = np.fromiter(counts.values(), np.int32, len(counts))
        self._df[term_ids] += 1
        self._occurrences[term_ids] += tfs
        ids = self.term_ids
        # Each is one of the passage's content terms, so it has an id: counted at the flush.
        self._pending_capitals.extend(ids[t] for t in capitalised_terms(passage.text) if t in ids)
        self._passage_ids[doc] = passage.passage_id
        self._article_ids[doc] = passage.article_id
        self._alive[doc] = True
        self._pending.append((doc, term_ids, tfs))
        self._total_len += int(tfs.sum())
        self.size += 1
        self.max_passage_id = passage.passage_id

    def _flush(self) -> None:
        if self._pending_capitals:
            np.add.at(self._capitals, np.array(self._pending_capitals, dtype=np.int64), 1)
            self._pending_capitals = []
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        lengths = np.array([int(tfs.sum()) for _, _, tfs in pending], dtype=np.float32)
        terms = np.concatenate([t for _, t, _ in pending])
        tfs = np.concatenate([f for _, _, f in pending]).astype(np.float32)
        docs = np.repeat(
            np.array([d for d, _, _ in pending], dtype=np.int32),
            [len(t) for _, t, _ in pending],
        )
        doc_len = np.repeat(lengths, [len(t) for _, t, _ in pending])
        avgdl = max(self._total_len / max(self.size, 1), 1.0)
        impacts = tfs * (K1 + 1) / (tfs + K1 * (1 - B + B * doc_len / avgdl))
        order = np.lexsort((-impacts, terms))
        terms, docs, impacts = terms[order], docs[order], impacts[order]
        unique, starts = np.unique(terms, return_index=True)
        ends = np.append(starts[1:], len(terms))
        # Keep each term's best postings only: bounds memory, loses nothing a question can reach.
        rank = np.arange(len(terms)) - np.repeat(starts, ends - starts)
        keep = rank < self.max_postings
        if not keep.all():
            terms, docs, impacts = terms[keep], docs[keep], impacts[keep]
            unique, starts = np.unique(terms, return_index=True)
            ends = np.append(starts[1:], len(terms))
        self._segments.append(
            Segment(
                unique.astype(np.int32),
                starts.astype(np.int64),
                ends.astype(np.int64),
                docs.astype(np.int32),
                np.rint(impacts * IMPACT_SCALE).astype(np.uint8),
            )
        )

    def remove_article(self, article_id: int) -> int:
        """Forget an article's passages; returns how many were live.

        Document frequencies (and the occurrence and capital counts) keep counting removed
        passages until the next rebuild: removals are rare, and keeping per-passage term lists
        to undo them would cost ~100 MB at 1M.
        """
        n = self._docs
        docs = np.flatnonzero((self._article_ids[:n] == article_id) & self._alive[:n])
        self._alive[docs] = False
        self.size -= len(docs)
        return len(docs)

    # -- querying ------------------------------------------------------------------------------

    def df(self, term: str) -> int:
        """How many live passages hold `term`."""
        term_id = self.term_ids.get(term)
        return int(self._df[term_id]) if term_id is not None else 0

    def capitalised(self, term: str) -> float:
        """The share of the term's occurrences written with a capital where no sentence starts
        (0 for unknown terms): near 1 for names ("tlaib", "lowes"), near 0 for other words."""
        term_id = self.term_ids.get(term)
        if term_id is None or self._occurrences[term_id] == 0:
            return 0.0
        return min(float(self._capitals[term_id] / self._occurrences[term_id]), 1.0)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency (0 for unknown terms)."""
        df = self.df(term)
        if df == 0:
            return 0.0
        # N counts removed passages too, like the document frequencies (see remove_article).
        return math.log(1 + (self._docs - df + 0.5) / (df + 0.5))

    def max_idf(self) -> float:
        """The IDF a word found in no passage would have."""
        return math.log(1 + (self._docs + 0.5) / 0.5)

    def article_holds(self, term: str, article_id: int) -> bool:
        """Whether a live passage of the article holds `term` (reads the term's postings:
        short for the names it is asked about)."""
        term_id = self.term_ids.get(term)
        if term_id is None:
            return False
        for segment in self._segments:
            docs, _ = segment.postings(term_id, len(segment.docs))
            if len(docs):
                docs = docs[self._article_ids[docs] == article_id]
                if len(docs) and self._alive[docs].any():
                    return True
        return False

    def passage_id(self, doc: int) -> int:
        return int(self._passage_ids[doc])

    def article_id(self, doc: int) -> int:
        return int(self._article_ids[doc])

    def search(
        self, weighted_terms: Sequence[tuple[str, float]], *, limit: int, budget: int = 60_000
    ) -> Candidates:
        """The `limit` best docs for terms with weights (IDF, lowered for fuzzy expansions).

        Rare terms are read first and whole; common terms only as far as the postings budget
        allows, best impacts first.
        """
        known = [(self.term_ids[t], w) for t, w in weighted_terms if t in self.term_ids and w > 0]
        if not known or self.size == 0:
            empty = np.zeros(0, dtype=np.float32)
            return Candidates(np.zeros(0, dtype=np.int32), empty, empty)
        known.sort(key=lambda tw: int(self._df[tw[0]]))
        total_weight = sum(w for _, w in known)
        doc_parts: list[IntArray] = []
        impact_parts: list[npt.NDArray[np.uint8]] = []
        part_weights: list[float] = []
        remaining = budget
        for position, (term_id, weight) in enumerate(known):
            # Leave every later term a fair share of what is left.
            share = max(remaining // (len(known) - position), 1_000)
            for segment in self._segments:
                docs, impacts = segment.postings(term_id, share)
                if len(docs):
                    doc_parts.append(docs)
                    impact_parts.append(impacts)
                    part_weights.append(weight)
                    remaining -= len(docs)
        if not doc_parts:
            empty = np.zeros(0, dtype=np.float32)
            return Candidates(np.zeros(0, dtype=np.int32), empty, empty)
        # Each part's weight spread over its postings in one pass, not an array per part (a
        # question reads ~14 terms in each of ~50 segments at a million passages).
        lengths = [len(d) for d in doc_parts]
        weights = np.repeat(np.asarray(part_weights, dtype=np.float32), lengths)
        factors = np.repeat(
            np.asarray([w / IMPACT_SCALE for w in part_weights], np.float32), lengths
        )
        scores = np.concatenate(impact_parts).astype(np.float32) * factors
        all_docs = np.concatenate(doc_parts)
        unique, inverse = np.unique(all_docs, return_inverse=True)
        bm25 = np.bincount(inverse, weights=scores).astype(np.float32)
        matched = np.bincount(inverse, weights=weights).astype(np.float32)
        alive = self._alive[unique]
        unique, bm25, matched = unique[alive], bm25[alive], matched[alive]
        coverage = matched / np.float32(total_weight)
        # Rank first by BM25 with a push for passages holding more of the question's weight.
        first_stage = bm25 * (np.float32(0.5) + coverage)
        if len(unique) > limit:
            top = np.argpartition(-first_stage, limit)[:limit]
            unique, bm25, coverage, first_stage = (
                unique[top],
                bm25[top],
                coverage[top],
                first_stage[top],
            )
        order = np.argsort(-first_stage, kind="stable")
        return Candidates(unique[order].astype(np.int32), bm25[order], coverage[order])

    @property
    def segments(self) -> list[Segment]:
        """The postings segments (for snapshots)."""
        self._flush()
        return self._segments

    def export_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Everything but the segments, as arrays (for snapshots)."""
        self._flush()
        n = self._docs
        return {
            "terms": np.array(list(self.term_ids), dtype=str),
            "df": self._df[: len(self.term_ids)],
            "occurrences": self._occurrences[: len(self.term_ids)],
            "capitals": self._capitals[: len(self.term_ids)],
            "passage_ids": self._passage_ids[:n],
            "article_ids": self._article_ids[:n],
            "alive": self._alive[:n],
            "scalars": np.array([n, self.size, self.max_passage_id, self._total_len], np.int64),
        }

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, npt.NDArray[Any]], segments: list[Segment], *, max_postings: int
    ) -> PassageIndex:
        """An index from `export_arrays` and `segments` (a snapshot)."""
        index = cls(max_postings=max_postings)
        index.term_ids = {str(term): i for i, term in enumerate(arrays["terms"])}
        index._df = np.array(arrays["df"], dtype=np.int32)
        index._occurrences = np.array(arrays["occurrences"], dtype=np.int32)
        index._capitals = np.array(arrays["capitals"], dtype=np.int32)
        if len(index._df) == 0:
            index._df = np.zeros(1024, dtype=np.int32)
            index._occurrences = np.zeros(1024, dtype=np.int32)
            index._capitals = np.zeros(1024, dtype=np.int32)
        docs, size, max_passage_id, total_len = (int(v) for v in arrays["scalars"])
        index._passage_ids = np.array(arrays["passage_ids"], dtype=np.int64)
        index._article_ids = np.array(arrays["article_ids"], dtype=np.int64)
        index._alive = np.array(arrays["alive"], dtype=bool)
        if docs == 0:
            index._passage_ids = np.zeros(1024, dtype=np.int64)
            index._article_ids = np.zeros(1024, dtype=np.int64)
            index._alive = np.zeros(1024, dtype=bool)
        index._docs, index.size, index.max_passage_id = docs, size, max_passage_id
        index._total_len = total_len
        index._segments = segments
        return index
