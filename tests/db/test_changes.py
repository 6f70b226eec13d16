"""LISTEN/NOTIFY on a real PostgreSQL (newsbot.db.changes, migration 0007_notify): a process's
search index catches up with another process's new article at once, without a question, and
after its listening connection was cut it catches up with what it missed."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.conftest import SEED
from tests.db.test_copy import _article
from tests.helpers.databases import POSTGRESQL

BACKENDS = (POSTGRESQL,)
CATCH_UP = 10.0  # seconds


async def caught_up(
    service: Newsbot, passage_id: int, within: float, started: float | None = None
) -> float:
    """Seconds from `started` until the service's index holds `passage_id` (nobody asks it
    anything)."""
    started = time.monotonic() if started is None else started
    while service.retriever.index.max_passage_id < passage_id:
        assert time.monotonic() - started < within, "the index did not catch up"
        await asyncio.sleep(0.005)
    return time.monotonic() - started


async def newest_passage(service: Newsbot) -> int:
    async with service.engine.connect() as connection:
        return int((await connection.execute(text("SELECT max(id) FROM passages"))).scalar_one())


async def test_an_article_added_elsewhere_reaches_the_index_at_once(
    settings: Settings, clean_env: pytest.MonkeyPatch
) -> None:
    async with await Newsbot.open(settings) as follower, await Newsbot.open(settings) as writer:
        await follower.retriever.refresh()
        follower.start_following()
        assert follower._listener is not None
        await asyncio.wait_for(follower._listener.listening.wait(), 10)
        await writer.ingestor.add_file(SEED)
        committed = time.monotonic()
        # Nobody asks the follower anything, so only the notification can catch it up: any
        # bound proves that. A second was the bound, and a loaded CI machine (load 5-10)
        # overran it; how fast it is, the printed delay says.
        delay = await caught_up(follower, await newest_passage(writer), CATCH_UP, committed)
        assert follower._listener.notifications >= 1
        print(f"caught up {delay * 1000:.0f} ms after the commit")
        # Removals too: the follower stops finding a removed article at once.
        await writer.store.remove(1)
        started = time.monotonic()
        while follower.retriever.index.size:
            assert time.monotonic() - started < CATCH_UP, "the removal did not reach the index"
            await asyncio.sleep(0.005)


async def test_what_was_missed_while_not_listening_is_caught_up_on_reconnection(
    settings: Settings, clean_env: pytest.MonkeyPatch
) -> None:
    async with await Newsbot.open(settings) as follower, await Newsbot.open(settings) as writer:
        await follower.retriever.refresh()
        follower.start_following()
        listener = follower._listener
        assert listener is not None
        await asyncio.wait_for(listener.listening.wait(), 10)
        async with writer.engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
            await connection.commit()
        while listener.listening.is_set():  # noqa: ASYNC110  (waiting for it to be cleared)
            await asyncio.sleep(0.01)
        # Added while nobody listens: no notification reaches the follower.
        await writer.ingestor.add_extracted("x", _article())
        await caught_up(follower, await newest_passage(writer), within=10.0)
        assert listener.listening.is_set()


async def test_the_cli_and_sqlite_do_not_listen(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(database_url="sqlite:///unused.db", _env_file=None)
    service = Newsbot(settings)
    try:
        service.start_following()
        assert service._listener is None
    finally:
        await service.close()
