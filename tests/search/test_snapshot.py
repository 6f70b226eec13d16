"""Tests for newsbot.search.snapshot: the index saved beside the database and loaded at start."""

from __future__ import annotations

from pathlib import Path

from newsbot import db
from newsbot.ingest.pipeline import prepare
from newsbot.ingest.records import article_from_json
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


async def test_saved_index_is_loaded_and_caught_up(settings: Settings) -> None:
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
        await second.retriever.refresh()
        assert second.retriever.index.size == 4  # 4 from the snapshot, +1 new, -1 removed
        assert await answers(second, "When does the ferry to Olkhon sail?") == before
        assert await answers(second, "night market quay") == ["Night market"]
        assert await answers(second, "national award children's library") == []


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
