"""Tests for newsbot.search.snapshot: the index saved beside the database and loaded at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsbot import db
from newsbot.ingest.pipeline import prepare
from newsbot.ingest.records import article_from_json
from newsbot.search import snapshot
from newsbot.search.index import IndexedPassage, PassageIndex
from newsbot.search.text import terms
from newsbot.service import Newsbot
from newsbot.settings import Settings

TOPICS = [
    ("Harbour reopens", "The harbour of Kirkwall reopened after the storm damaged its pier."),
    ("Library award", "The city library won a national award for its children's programme."),
    ("Ferry timetable", "The ferry to Olkhon sails at dawn every day during the summer."),
    ("Bridge repairs", "Repairs on the old stone bridge will close it to traffic until May."),
]


async def add(service: Newsbot, title: str, body: str) -> int:
    extracted, _ = article_from_json({"title": title, "text": body * 3})
    return (await service.store.add(prepare(extracted))).article_id


async def answers(service: Newsbot, question: str) -> list[str]:
    return [hit.title for hit in (await service.retriever.search(question)).hits]


async def test_saved_index_is_loaded_and_caught_up(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = db.index_snapshot_path(settings.database_url)
    async with await Newsbot.open(settings) as first:
        ids = {title: await add(first, title, body) for title, body in TOPICS}
        await first.retriever.refresh()
        assert await first.retriever.save_snapshot(min_passages=0)
        assert not await first.retriever.save_snapshot(min_passages=0)  # nothing changed
        before = await answers(first, "When does the ferry to Olkhon sail?")
        # After the snapshot: one article added, one removed.
        await add(first, "Night market", "A night market opens on the quay every Friday evening.")
        await first.store.remove(ids["Library award"])
        first.retriever.snapshot_path = None  # keep the older snapshot on disk for the next run
    assert path.exists()

    async with await Newsbot.open(settings) as second:
        with caplog.at_level(logging.INFO, logger="newsbot.search"):
            await second.retriever.refresh()
        # Loaded, not rebuilt (a rebuild answers the same, so only this tells them apart).
        assert "search index loaded from" in caplog.text
        assert "rebuilding" not in caplog.text
        assert second.retriever.index.size == 4  # 4 from the snapshot, +1 new, -1 removed
        assert await answers(second, "When does the ferry to Olkhon sail?") == before
        assert await answers(second, "night market quay") == ["Night market"]
        assert await answers(second, "national award children's library") == []


def test_a_saved_snapshot_passes_its_own_check(tmp_path: Path) -> None:
    # Its checksum once covered only part of the arrays that loading checks: every snapshot
    # with postings was refused as damaged, and each start rebuilt the index from the database.
    index = PassageIndex()
    index.add(IndexedPassage(i + 1, i + 1, body) for i, (_, body) in enumerate(TOPICS))
    info = snapshot.SnapshotInfo(index.max_passage_id, 0, 1, snapshot.passage_digest("x"))
    snapshot.save(tmp_path / "index.npz", index, info)
    loaded = snapshot.load(tmp_path / "index.npz", max_postings=index.max_postings)
    assert loaded is not None
    again, loaded_info = loaded
    assert loaded_info == info
    assert again.size == index.size
    assert again.capitalised("olkhon") == index.capitalised("olkhon") > 0
    found = again.search([(term, 1.0) for term in terms("ferry Olkhon")], limit=3)
    assert [again.passage_id(int(doc)) for doc in found.docs] == [3]


async def test_snapshot_of_another_database_is_ignored(tmp_path: Path, settings: Settings) -> None:
    other = Settings(database_url=f"sqlite:///{tmp_path}/other.db", _env_file=None)
    async with await Newsbot.open(other) as service:
        for title, body in TOPICS:
            await add(service, title, body)
        await service.retriever.refresh()
        assert await service.retriever.save_snapshot(min_passages=0)
    # The other database's snapshot, copied beside this one, must not be believed.
    db.index_snapshot_path(settings.database_url).write_bytes(
        db.index_snapshot_path(other.database_url).read_bytes()
    )
    async with await Newsbot.open(settings) as service:
        await add(service, "Only here", "This database holds a single article about tulips.")
        await service.retriever.refresh()
        assert service.retriever.index.size == 1
        assert await answers(service, "ferry Olkhon dawn") == []
        assert await answers(service, "tulips") == ["Only here"]


async def test_unreadable_snapshot_is_ignored(settings: Settings) -> None:
    db.index_snapshot_path(settings.database_url).parent.mkdir(parents=True, exist_ok=True)
    db.index_snapshot_path(settings.database_url).write_bytes(b"not a numpy archive")
    async with await Newsbot.open(settings) as service:
        await add(service, *TOPICS[2])
        await service.retriever.refresh()
        assert await answers(service, "ferry Olkhon") == ["Ferry timetable"]


async def test_small_index_is_not_saved(settings: Settings) -> None:
    async with await Newsbot.open(settings) as service:
        await add(service, *TOPICS[0])
        await service.retriever.refresh()
        assert not await service.retriever.save_snapshot()  # default: 20,000 passages at least
    assert not db.index_snapshot_path(settings.database_url).exists()


async def _saved_snapshot(settings: Settings) -> bytes:
    async with await Newsbot.open(settings) as service:
        for title, body in TOPICS:
            await add(service, title, body)
        await service.retriever.refresh()
        assert await service.retriever.save_snapshot(min_passages=0)
        service.retriever.snapshot_path = None
    return db.index_snapshot_path(settings.database_url).read_bytes()


@pytest.mark.parametrize("damage", ["empty", "truncated", "one byte changed", "zip of nothing"])
async def test_damaged_snapshot_means_rebuild_and_says_so(
    settings: Settings, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = await _saved_snapshot(settings)
    middle = len(good) // 2
    damaged = {
        "empty": b"",
        "truncated": good[:middle],
        "one byte changed": good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1 :],
        "zip of nothing": b"PK\x05\x06" + bytes(18),
    }[damage]
    db.index_snapshot_path(settings.database_url).write_bytes(damaged)
    with caplog.at_level(logging.INFO, logger="newsbot.search"):
        async with await Newsbot.open(settings) as service:
            await service.retriever.refresh()
            assert service.retriever.index.size == 4
            assert await answers(service, "ferry Olkhon dawn") == ["Ferry timetable"]
    assert any("rebuilding" in record.getMessage() for record in caplog.records)


async def test_a_failed_save_is_logged_and_changes_nothing(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with await Newsbot.open(settings) as service:
        for title, body in TOPICS:
            await add(service, title, body)
        await service.retriever.refresh()
        # The folder can't be made: a file stands where it would go.
        blocker = Path(settings.database_url[10:]).parent / "blocker"
        blocker.write_bytes(b"")
        service.retriever.snapshot_path = blocker / "x.npz"
        with caplog.at_level(logging.WARNING):
            assert not await service.retriever.save_snapshot(min_passages=0)
    assert "could not save the search index" in caplog.text


async def test_snapshot_folder_is_created(tmp_path: Path, settings: Settings) -> None:
    # A PostgreSQL install keeps its snapshot in a cache folder that may not exist yet.
    async with await Newsbot.open(settings) as service:
        for title, body in TOPICS:
            await add(service, title, body)
        await service.retriever.refresh()
        service.retriever.snapshot_path = tmp_path / "cache" / "newsbot" / "index.npz"
        assert await service.retriever.save_snapshot(min_passages=0)
    assert (tmp_path / "cache" / "newsbot" / "index.npz").is_file()
