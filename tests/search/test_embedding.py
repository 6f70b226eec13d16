"""Tests for newsbot.search.embedding and the hybrid path of the retriever: vectors written in
batches after ingest, lexical answers until then, background embedding, and removals."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import event

from newsbot.ingest.text import ExtractedArticle
from newsbot.search.dense import DIM, E5_MODEL, Encoder, Vector
from newsbot.search.embedding import EmbeddingWorker
from newsbot.search.hybrid import fuse
from newsbot.service import SAMPLE_DATA, Newsbot
from newsbot.settings import Settings

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
FORUM_DAYS = "How many days does the forum last?"


def vector_rows(settings: Settings) -> list[tuple[int, str, int]]:
    path = settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT passage_id, model, length(vector) FROM passage_vectors ORDER BY passage_id"
        ).fetchall()
    connection.close()
    return rows


async def test_ingest_is_found_at_once_and_embedded_afterwards(settings: Settings) -> None:
    async with await Newsbot.open(settings) as app:
        assert app.embedder is not None
        await app.ingestor.add_file(SEED)
        # Before any vector: the lexical answer, found at once.
        before = await app.ask(FORUM_DAYS)
        assert before.hits and all(h.score > 0 for h in before.hits)
        assert await app.embedder.pending() == 4
        done: list[tuple[int, int]] = []
        assert await app.embed_pending(lambda d, t: done.append((d, t))) == 4
        assert done[-1] == (4, 4)
        assert await app.embedder.pending() == 0
        assert vector_rows(settings) == [(p, E5_MODEL, DIM) for p in (1, 2, 3, 4)]
        after = await app.ask(FORUM_DAYS)
        assert app.retriever.vectors.size == 4
        # Re-scored: fused scores lie in [0, 1], the best is the passage with "five-day".
        assert all(0.0 <= h.score <= 1.0 for h in after.hits)
        assert "five-day" in after.hits[0].passage
        assert after.hits[0].answer is not None and "five-day" in after.hits[0].answer.sentence


async def test_another_process_sees_the_vectors(settings: Settings) -> None:
    async with await Newsbot.open(settings) as writer:
        await writer.ingestor.add_file(SEED)
        await writer.embed_pending()
    async with await Newsbot.open(settings) as reader:
        await reader.retriever.refresh()
        assert reader.retriever.vectors.size == 4


async def test_lexical_only_when_embeddings_are_off(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/off.db", embeddings=False, _env_file=None
    )
    async with await Newsbot.open(settings) as app:
        assert app.encoder is None and app.embedder is None
        await app.ingestor.add_file(SEED)
        assert await app.embed_pending() == 0
        result = await app.ask("What is Zhongguancun known as?")
        assert result.answered and result.hits[0].passage_id == 4
        assert vector_rows(settings) == []


async def test_the_background_worker_embeds_new_articles(settings: Settings) -> None:
    async with await Newsbot.open(settings) as app:
        assert app.embedder is not None
        app.start_embedding()
        await app.ingestor.add_file(SEED)
        for _ in range(300):
            if await app.embedder.pending() == 0:
                break
            await asyncio.sleep(0.1)
        assert await app.embedder.pending() == 0
        assert len(vector_rows(settings)) == 4


async def test_two_workers_write_each_vector_once_and_removals_cascade(
    settings: Settings,
) -> None:
    async with await Newsbot.open(settings) as app:
        assert app.encoder is not None
        await app.ingestor.add_file(SEED)
        workers = [
            EmbeddingWorker(app.engine, app.write_engine, app.encoder, batch=3) for _ in range(2)
        ]
        await asyncio.gather(*(w.run_until_done() for w in workers))
        assert [r[0] for r in vector_rows(settings)] == [1, 2, 3, 4]
        await app.store.remove(1)
        assert vector_rows(settings) == []


async def test_the_seed_articles_questions_with_vectors(settings: Settings) -> None:
    async with await Newsbot.open(settings) as app:
        await app.ingestor.add_file(SEED)
        await app.embed_pending()
        for question in (
            "What is Zhongguancun known as?",
            "what does technology for good mean",
            "What did Xi Jinping call for?",
            FORUM_DAYS,
            "what is the theme of the forum",
            "where is zhongguancun",
            "how much did sales grow in zhongguancun",
        ):
            result = await app.ask(question)
            assert result.answered, question
            assert result.hits[0].answer is not None
        forum = await app.ask(FORUM_DAYS)
        assert forum.hits[0].answer is not None and "five-day" in forum.hits[0].answer.sentence
        for question in (
            "Who won the 2018 football world cup?",
            "How do I bake sourdough bread?",
            "What is the price of the new iPhone?",
        ):
            assert not (await app.ask(question)).answered, question


# -- the question's vector, computed while the lexical candidates are found ----------------------


class WatchedEncoder:
    """The real encoder, telling when a question's encoding started; `broken`: it fails."""

    def __init__(self, inner: Encoder, *, broken: bool = False) -> None:
        self.inner, self.broken = inner, broken
        self.name, self.dim = inner.name, inner.dim
        self.started = threading.Event()
        self.calls = 0

    def query(self, text: str) -> Vector:
        self.calls += 1
        self.started.set()
        if self.broken:
            raise RuntimeError("the encoder broke")
        return self.inner.query(text)

    def passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.passages(texts)


SEED_QUESTIONS = (
    "What is Zhongguancun known as?",
    FORUM_DAYS,
    "What did Xi Jinping call for?",
    "where is zhongguancun",
    "Who won the 2018 football world cup?",
    "How do I bake sourdough bread?",
)


async def test_the_overlapped_encoding_ranks_and_decides_as_encoding_after_the_candidates(
    settings: Settings,
) -> None:
    async with await Newsbot.open(settings) as app:
        assert app.encoder is not None
        await app.ingestor.add_file(SEED)
        await app.embed_pending()
        retriever = app.retriever
        await retriever.refresh()
        watched = WatchedEncoder(app.encoder)
        retriever.encoder = watched
        # The reader's read of the candidates' rows waits (up to 5 s) for the encoding to start:
        # it starts at once only if it runs beside the lexical stage, not after it.
        started_first: list[bool] = []

        def before_read(*_: Any) -> None:
            started_first.append(watched.started.wait(5))

        for question in SEED_QUESTIONS:
            watched.started.clear()
            calls = watched.calls
            event.listen(app.reader, "before_cursor_execute", before_read)
            try:
                ranking = await retriever.rank(question)
            finally:
                event.remove(app.reader, "before_cursor_execute", before_read)
            # What `rank` did before: the lexical ranking, then the question encoded, then
            # the cosines and the fused order.
            lexical = await retriever.rank(question, dense=False)
            ids = [c.passage_id for _, c in lexical.ranked]
            cosines = retriever.vectors.cosines(app.encoder.query(question), ids)
            fused = fuse([score for score, _ in lexical.ranked], cosines) if ids else []
            order = sorted(range(len(ids)), key=lambda i: (-fused[i], ids[i]))
            assert [c.passage_id for _, c in ranking.ranked] == [ids[i] for i in order], question
            assert [score for score, _ in ranking.ranked] == [fused[i] for i in order]
            assert ranking.cosines == [float(cosines[i]) for i in order]
            assert ranking.lexical_confidence == lexical.lexical_confidence
            # The decisions: the same search with the question's vector already known.
            overlapped = await retriever.search(question)
            assert await retriever.search(question) == overlapped
            if ids:  # encoded once: the searches found the vector in the cache
                assert watched.calls == calls + 1
        # Each question with candidates read their rows once (the sourdough one has none).
        assert started_first == [True] * (len(SEED_QUESTIONS) - 1)
        assert [(await app.ask(q)).answered for q in SEED_QUESTIONS] == [True] * 4 + [False] * 2


async def test_no_encoding_without_vectors_or_with_the_vector_cached(settings: Settings) -> None:
    async with await Newsbot.open(settings) as app:
        assert app.encoder is not None
        watched = WatchedEncoder(app.encoder)
        app.retriever.encoder = watched
        await app.ingestor.add_file(SEED)
        assert (await app.ask(FORUM_DAYS)).hits  # lexical: no vector anywhere
        assert watched.calls == 0
        await app.embed_pending()
        assert (await app.ask(FORUM_DAYS)).answered
        assert (await app.ask(FORUM_DAYS, offset=1)).hits  # "More": the vector is cached
        assert watched.calls == 1


VOLCANO = ExtractedArticle(
    title="Volcano erupts in Iceland",
    text="A volcano erupted on the Reykjanes peninsula on Monday evening, the Icelandic Met "
    "Office said. Lava flowed towards the town of Grindavik, which had been evacuated.",
    url=None,
    site=None,
    author=None,
    published=None,
    language="en",
)


async def test_a_broken_encoder_fails_the_question_as_before_and_nothing_is_left_unseen(
    settings: Settings,
) -> None:
    unseen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: unseen.append(context))
    try:
        async with await Newsbot.open(settings) as app:
            assert app.encoder is not None
            await app.ingestor.add_file(SEED)
            await app.embed_pending()
            app.retriever.encoder = WatchedEncoder(app.encoder, broken=True)
            # Candidates with vectors: the encoder's error reaches the caller (the bot's error
            # handler: "something went wrong"), as when the encoding came after the candidates.
            with pytest.raises(RuntimeError, match="the encoder broke"):
                await app.ask(FORUM_DAYS)
            # Candidates without vectors (an article not embedded yet): answered lexically,
            # the failed encoding unused.
            added = await app.ingestor.add_extracted("volcano", VOLCANO)
            question = "Where did the lava flow towards Grindavik?"
            await app.retriever.refresh()
            ranking = await app.retriever.rank(question)
            assert ranking.ranked
            assert not any(app.retriever.vectors.has(c.passage_id) for _, c in ranking.ranked)
            result = await app.ask(question)
            assert result.hits and result.hits[0].article_id == added.article_id
            assert "Grindavik" in result.hits[0].passage
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert unseen == []
