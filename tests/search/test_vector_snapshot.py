"""Tests for newsbot.search.vector_snapshot: the passage vectors saved beside the search index
and read back at start instead of every row of passage_vectors."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from newsbot import db
from newsbot.ingest.pipeline import prepare
from newsbot.ingest.records import article_from_json
from newsbot.search import vector_snapshot
from newsbot.search.dense import DIM, E5_MODEL, VectorStore, from_blobs, quantize, to_blob
from newsbot.service import SAMPLE_DATA, Newsbot
from newsbot.settings import Settings

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
FORUM_DAYS = "How many days does the forum last?"


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def filled_store(n: int = 300) -> tuple[VectorStore, np.ndarray]:
    rows = unit_rows(n)
    store = VectorStore()
    store.add(list(range(10, 10 + 2 * n, 2)), quantize(rows))  # even ids from 10
    store.max_seq = 777
    return store, rows


def test_saved_vectors_come_back_the_same_and_take_new_ones(tmp_path: Path) -> None:
    store, rows = filled_store()
    path = tmp_path / "index.npz.vectors"
    info = vector_snapshot.save(path, store, E5_MODEL)
    assert (info.model, info.max_seq, info.size) == (E5_MODEL, 777, 300)
    loaded = vector_snapshot.load(path, E5_MODEL)
    assert loaded is not None
    again, again_info = loaded
    assert again_info == info and again.max_seq == 777 and again.size == 300
    ids = list(range(10, 610, 2))
    query = unit_rows(1, seed=1)[0]
    assert np.array_equal(again.cosines(query, ids), store.cosines(query, ids))
    (ids_before, rows_before, norms_before), (ids_after, rows_after, norms_after) = (
        store.export(),
        again.export(),
    )
    assert np.array_equal(ids_before, ids_after) and np.array_equal(rows_before, rows_after)
    assert np.array_equal(norms_before, norms_after)
    # After the load: an append (in the room kept past the rows), then an older passage
    # embedded later (a merge), as the catch-up adds them.
    extra = unit_rows(3, seed=2)
    again.add([1000, 1001], quantize(extra[:2]))
    again.add([11], quantize(extra[2:]))
    assert again.size == 303
    got = again.cosines(extra[0], [1000])[0]
    assert got == pytest.approx(1.0, abs=0.01)
    assert again.cosines(extra[2], [11])[0] == pytest.approx(1.0, abs=0.01)
    assert again.cosines(rows[5], [20])[0] == pytest.approx(1.0, abs=0.01)


def test_vectors_of_another_model_are_not_loaded(tmp_path: Path) -> None:
    store, _ = filled_store(10)
    path = tmp_path / "v"
    vector_snapshot.save(path, store, E5_MODEL)
    assert vector_snapshot.load(path, "another-model") is None
    assert vector_snapshot.load(tmp_path / "missing", E5_MODEL) is None


@pytest.mark.parametrize(
    "damage", ["empty", "truncated", "one byte changed", "trailing bytes", "not ours"]
)
def test_a_damaged_vector_file_is_refused_and_says_so(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, _ = filled_store(50)
    path = tmp_path / "v"
    vector_snapshot.save(path, store, E5_MODEL)
    good = path.read_bytes()
    at = len(good) - 1000  # inside the rows
    path.write_bytes(
        {
            "empty": b"",
            "truncated": good[:at],
            "one byte changed": good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :],
            "trailing bytes": good + b"\0",
            "not ours": b"PK\x05\x06" + bytes(18),
        }[damage]
    )
    with caplog.at_level(logging.WARNING):
        assert vector_snapshot.load(path, E5_MODEL) is None
    assert "reading them from the database" in caplog.text


def test_blobs_in_one_piece_match_blob_by_blob() -> None:
    rows = quantize(unit_rows(20))
    blobs = [to_blob(r) for r in rows]
    assert np.array_equal(from_blobs(blobs), rows)
    mixed = from_blobs([*blobs[:2], b"\x01"])  # one of the wrong size: zeros, the rest kept
    assert np.array_equal(mixed[:2], rows[:2]) and not mixed[2].any()


async def add(app: Newsbot, title: str, body: str) -> None:
    extracted, _ = article_from_json({"title": title, "text": body * 3})
    await app.store.add(prepare(extracted))


async def answers(app: Newsbot, question: str) -> list[tuple[str, float]]:
    return [(h.passage, h.score) for h in (await app.ask(question)).hits]


async def test_a_restart_reads_the_saved_vectors_and_catches_up(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    vectors_path = vector_snapshot.path_beside(db.index_snapshot_path(settings.database_url))
    async with await Newsbot.open(settings) as first:
        await first.ingestor.add_file(SEED)
        assert await first.embed_pending() == 4
        before = await answers(first, FORUM_DAYS)
        assert first.retriever.vectors.size == 4
        assert await first.retriever.save_snapshot(min_passages=0)
        assert vectors_path.is_file()
        assert not await first.retriever.save_snapshot(min_passages=0)  # nothing changed
        first.retriever.snapshot_path = None  # keep these files for the next start
        # After the snapshot: another article and its vectors.
        await add(first, "Harbour reopens", "The harbour of Kirkwall reopened after the storm. ")
        assert await first.embed_pending() >= 1
        await first.retriever.refresh()
        total = first.retriever.vectors.size
    assert total > 4

    async with await Newsbot.open(settings) as second:
        with caplog.at_level(logging.INFO, logger="newsbot.search"):
            await second.retriever.refresh()
        assert "passage vectors loaded from" in caplog.text
        assert "reading them from" not in caplog.text
        assert second.retriever.vectors.size == total  # 4 from the file, the rest caught up
        assert await answers(second, FORUM_DAYS) == before
        assert second.retriever.vectors.has(total)


async def test_vectors_saved_from_another_database_are_not_believed(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    other = Settings(database_url=f"sqlite:///{tmp_path}/other.db", _env_file=None)
    async with await Newsbot.open(other) as service:
        await service.ingestor.add_file(SEED)
        await service.embed_pending()
        await service.retriever.refresh()
        assert await service.retriever.save_snapshot(min_passages=0)
        service.retriever.snapshot_path = None
    theirs = vector_snapshot.path_beside(db.index_snapshot_path(other.database_url))
    ours = vector_snapshot.path_beside(db.index_snapshot_path(settings.database_url))
    ours.write_bytes(theirs.read_bytes())
    async with await Newsbot.open(settings) as service:
        # The same passage ids hold other text here, embedded by this database.
        await add(service, "Ferry timetable", "The ferry to Olkhon sails at dawn every day. ")
        await service.embed_pending()
        with caplog.at_level(logging.INFO, logger="newsbot.search"):
            await service.retriever.refresh()
        assert "don't match this database" in caplog.text
        path = settings.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            rows = connection.execute(
                "SELECT passage_id, vector FROM passage_vectors ORDER BY passage_id"
            ).fetchall()
        connection.close()
        ids, held, _ = service.retriever.vectors.export()
        assert ids.tolist() == [pid for pid, _ in rows]  # this database's vectors only
        assert [row.tobytes() for row in held] == [blob for _, blob in rows]
        service.retriever.snapshot_path = None
