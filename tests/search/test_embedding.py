"""Tests for newsbot.search.embedding and the hybrid path of the retriever: vectors written in
batches after ingest, lexical answers until then, background embedding, and removals."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from newsbot.search.dense import DIM, E5_MODEL
from newsbot.search.embedding import EmbeddingWorker
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
