"""The search state kept in step with the database: the passage index, its typo vocabulary and
the passage vectors, following the passages table by id, the `article_removals` log and
`passage_vectors`.

Catching up after a bulk ingest by another process (`newsbot ingest` of a folder) means
tokenising and indexing tens of thousands of passages: seconds of CPU. That work runs in a
thread, on a copy of the index and of the typo vocabulary (segments are immutable and shared),
and the copies replace the live ones in one assignment on the event loop once they are whole.
A question asked meanwhile is answered from the index as it was, complete, never from a
half-built one, and the other chats are not frozen.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from newsbot.db.models import ArticleRemoval, Passage, PassageVector
from newsbot.search import snapshot, vector_snapshot
from newsbot.search.dense import VectorStore, from_blobs
from newsbot.search.index import IndexedPassage, PassageIndex
from newsbot.search.typos import TypoCorrector

__all__ = ["LOAD_BATCH", "SNAPSHOT_MIN_PASSAGES", "LiveIndex"]

log = logging.getLogger(__name__)

LOAD_BATCH = 20_000
SNAPSHOT_MIN_PASSAGES = 20_000
"""Below this, rebuilding at start takes under two seconds: no snapshot file."""

_STATE = select(
    select(func.max(Passage.id)).scalar_subquery(),
    select(func.max(ArticleRemoval.id)).scalar_subquery(),
    select(func.max(PassageVector.id)).scalar_subquery(),
)


def _passages_after(after: int, n: int) -> Any:
    return (
        select(Passage.id, Passage.article_id, Passage.text)
        .where(Passage.id > after)
        .order_by(Passage.id)
        .limit(n)
    )


def _vectors_after(after: int, model: str, n: int) -> Any:
    return (
        select(PassageVector.id, PassageVector.passage_id, PassageVector.vector)
        .where(PassageVector.id > after, PassageVector.model == model)
        .order_by(PassageVector.id)
        .limit(n)
    )


def _removals_after(after: int) -> Any:
    return (
        select(ArticleRemoval.id, ArticleRemoval.article_id)
        .where(ArticleRemoval.id > after)
        .order_by(ArticleRemoval.id)
    )


class LiveIndex:
    """The in-memory search state, caught up with the database on `refresh`."""

    def __init__(
        self, engine: AsyncEngine, *, max_postings: int, snapshot_path: Path | None
    ) -> None:
        self._engine = engine
        self.max_postings = max_postings
        self.index = PassageIndex(max_postings=max_postings)
        # Where the index is saved between runs (None: always rebuild from the database).
        self.snapshot_path = snapshot_path
        self._saved: tuple[int, int] | None = None  # (max passage id, last removal) on disk
        self.typos = TypoCorrector()
        self._terms_seen = 0  # how many of the index's terms the typo vocabulary holds
        self.vectors = VectorStore()
        self._model: str | None = None  # whose vectors `vectors` holds
        self._saved_vectors: tuple[str, int] | None = None  # (model, high-water mark) on disk
        self._last_removal = 0
        self._lock = asyncio.Lock()
        self._ready = False
        self._loaded = False
        self._checked_at = -math.inf
        self._changes = 0  # our own writes announced by `invalidate`
        self._covered = 0  # how many of them the last finished catch-up covers

    @property
    def loaded(self) -> bool:
        """Whether the index has caught up with the database at least once (/readyz)."""
        return self._loaded

    def invalidate(self) -> None:
        """The database changed: look again before the next question."""
        self._checked_at = -math.inf
        self._changes += 1

    async def refresh(self, *, max_age: float = 0.0, model: str | None = None) -> None:
        """Index passages added and drop articles removed since the last look (by any process);
        with `model`, load the passage vectors of that model too.

        With `max_age`, skip the look if the last one is more recent than that many seconds:
        questions then cost no extra query, and another process's changes show within it. A
        question (`max_age` > 0) that finds a catch-up running doesn't wait for it, unless this
        process's own writes are not in the index yet: it is answered from the whole index as
        it was, and the new passages show when the catch-up is done.
        """
        if time.monotonic() - self._checked_at < max_age:
            return
        if max_age > 0 and self._lock.locked() and self._loaded and self._changes == self._covered:
            return
        async with self._lock:
            # Questions that queued behind a load find it done: look again inside the lock.
            if time.monotonic() - self._checked_at < max_age:
                return
            started, changes = time.monotonic(), self._changes
            await self._catch_up(model)
            self._loaded = True
            self._covered = changes
            # Only now: until the load is done, other questions must wait for it (or use the
            # whole previous index). A change announced meanwhile keeps the next look due.
            if changes == self._changes:
                self._checked_at = started

    async def _catch_up(self, model: str | None) -> None:
        async with self._engine.connect() as connection:
            max_passage, max_removal, max_vector = (await connection.execute(_STATE)).one()
            if not self._ready:
                self._ready = True
                if not await self._load_snapshot(connection):
                    # Removals logged before the first load concern passages already gone.
                    self._last_removal = max_removal or 0
            if max_removal and max_removal > self._last_removal:
                # Vectorised, milliseconds: on the loop, between questions.
                rows = await connection.execute(_removals_after(self._last_removal))
                for removal_id, article_id in rows:
                    self.index.remove_article(article_id)
                    self._last_removal = removal_id
            if max_passage and max_passage > self.index.max_passage_id:
                await self._load_new(connection)
            if model and self._model is None:
                self._model = model
                await self._load_vector_snapshot(connection, model)
            if model and max_vector and max_vector > self.vectors.max_seq:
                await self._load_vectors(connection, model)

    async def _load_vectors(self, connection: AsyncConnection, model: str) -> None:
        while True:
            statement = _vectors_after(self.vectors.max_seq, model, LOAD_BATCH)
            rows = (await connection.execute(statement)).all()
            if not rows:
                break
            # Decoding and merging 20,000 rows is CPU work: in a thread, while questions read
            # the store (it publishes each add in one assignment, see VectorStore).
            await asyncio.to_thread(_add_vectors, self.vectors, rows)
            self.vectors.max_seq = int(rows[-1][0])
            if len(rows) < LOAD_BATCH:
                break

    async def _load_new(self, connection: AsyncConnection) -> None:
        """Index the passages newer than the index's newest, off the loop, then swap."""
        after = self.index.max_passage_id
        rows: Sequence[Any] = (await connection.execute(_passages_after(after, LOAD_BATCH))).all()
        if not rows:
            return
        # Nothing else changes the live index while we hold the lock, so the thread may read it
        # to copy it while questions on the loop keep reading it too.
        index, typos = await asyncio.to_thread(self._copies)
        terms_seen = self._terms_seen
        while rows:
            terms_seen = await asyncio.to_thread(_index_batch, index, typos, terms_seen, rows)
            if len(rows) < LOAD_BATCH:
                break
            statement = _passages_after(index.max_passage_id, LOAD_BATCH)
            rows = (await connection.execute(statement)).all()
        # One assignment, no await: a question sees the old state or the new one, never a mix.
        self.index, self.typos, self._terms_seen = index, typos, terms_seen

    def _copies(self) -> tuple[PassageIndex, TypoCorrector]:
        return self.index.copy(), self.typos.copy()

    async def _load_snapshot(self, connection: AsyncConnection) -> bool:
        """Start from the saved index if it still fits this database."""
        if self.snapshot_path is None:
            return False
        loaded = await asyncio.to_thread(
            snapshot.load, self.snapshot_path, max_postings=self.max_postings
        )
        if loaded is None:
            return False
        index, info = loaded
        statement = select(Passage.text).where(Passage.id == info.check_id)
        body = (await connection.execute(statement)).scalar()
        if body is None or snapshot.passage_digest(body) != info.check_digest:
            log.info("search index snapshot doesn't match this database: rebuilding")
            return False
        typos = TypoCorrector()
        terms_seen = await asyncio.to_thread(_learn_new_terms, index, typos, 0)
        self.index, self.typos, self._terms_seen = index, typos, terms_seen
        self._last_removal = info.last_removal
        self._saved = (info.max_passage_id, info.last_removal)
        log.info("search index loaded from %s (%d passages)", self.snapshot_path, index.size)
        return True

    async def _load_vector_snapshot(self, connection: AsyncConnection, model: str) -> None:
        """Start from the saved vectors if they still fit this database."""
        if self.snapshot_path is None or self.vectors.size:
            return
        path = vector_snapshot.path_beside(self.snapshot_path)
        loaded = await asyncio.to_thread(vector_snapshot.load, path, model)
        if loaded is None:
            return
        store, info = loaded
        statement = (
            select(PassageVector.passage_id, PassageVector.vector)
            .where(PassageVector.id <= info.max_seq, PassageVector.model == model)
            .order_by(PassageVector.id.desc())
            .limit(1)
        )
        row = (await connection.execute(statement)).first()
        if row is None or not vector_snapshot.holds(store, int(row[0]), bytes(row[1])):
            log.info("passage vectors %s don't match this database: reading them from it", path)
            return
        self.vectors = store
        self._saved_vectors = (model, info.max_seq)
        log.info("passage vectors loaded from %s (%d)", path, info.size)

    async def save_snapshot(self, *, min_passages: int = SNAPSHOT_MIN_PASSAGES) -> bool:
        """Save the index and the vectors for the next start, each if it is big enough to be
        worth it and changed since it was saved or loaded; whether anything was saved."""
        if self.snapshot_path is None:
            return False
        saved = False
        state = (self.index.max_passage_id, self._last_removal)
        if self.index.size >= min_passages and self._saved != state:
            saved = await self._save_index(state)
        model, vectors = self._model, self.vectors
        big_enough = vectors.size and vectors.size >= min_passages
        if model and big_enough and self._saved_vectors != (model, vectors.max_seq):
            saved = await self._save_vectors(self.snapshot_path, model) or saved
        return saved

    async def _save_vectors(self, index_path: Path, model: str) -> bool:
        path = vector_snapshot.path_beside(index_path)
        async with self._lock:  # no catch-up adds to the store meanwhile
            try:
                info = await asyncio.to_thread(vector_snapshot.save, path, self.vectors, model)
            except OSError as exc:  # it's only a cache
                log.warning("could not save the passage vectors to %s: %s", path, exc)
                return False
        self._saved_vectors = (model, info.max_seq)
        return True

    async def _save_index(self, state: tuple[int, int]) -> bool:
        if self.snapshot_path is None:
            return False
        async with self._lock, self._engine.connect() as connection:
            statement = (
                select(Passage.id, Passage.text)
                .where(Passage.id <= self.index.max_passage_id)
                .order_by(Passage.id.desc())
                .limit(1)
            )
            row = (await connection.execute(statement)).first()
            if row is None:
                return False
            info = snapshot.SnapshotInfo(
                state[0], state[1], int(row[0]), snapshot.passage_digest(str(row[1]))
            )
            try:
                await asyncio.to_thread(snapshot.save, self.snapshot_path, self.index, info)
            except OSError as exc:  # a full disk, a read-only folder: it's only a cache
                log.warning("could not save the search index to %s: %s", self.snapshot_path, exc)
                return False
        self._saved = state
        return True


def _index_batch(
    index: PassageIndex, typos: TypoCorrector, terms_seen: int, rows: Sequence[Any]
) -> int:
    """Add a batch of passage rows to `index` and their new words to `typos` (in a thread)."""
    index.add(IndexedPassage(pid, aid, body) for pid, aid, body in rows)
    return _learn_new_terms(index, typos, terms_seen)


def _learn_new_terms(index: PassageIndex, typos: TypoCorrector, terms_seen: int) -> int:
    """Teach `typos` the index's terms from number `terms_seen` on; returns the new count."""
    for term in islice(index.term_ids, terms_seen, None):
        typos.add(term)
    return len(index.term_ids)


def _add_vectors(vectors: VectorStore, rows: Sequence[Any]) -> None:
    vectors.add([int(r[1]) for r in rows], from_blobs([bytes(r[2]) for r in rows]))
