"""Following the database's change log on PostgreSQL: LISTEN for the NOTIFY the change-log
triggers send (migration 0007_notify) and call `on_change` at once, so a replica's search
index catches up with an article another replica added within milliseconds.

NOTIFY is only a wake-up: the index still reads the change log itself, and still looks on its
own every second (`Retriever.refresh(max_age=...)`), so a notification missed while the
connection was down loses nothing. After each (re)connection `on_change` is called once, for
whatever happened while nobody listened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Final

import asyncpg

from newsbot.db.engine import async_url

log = logging.getLogger(__name__)

CHANNEL: Final = "newsbot_changes"
RETRY: Final = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between reconnection attempts
CHECK_EVERY: Final = 30.0  # seconds between checks that the connection is still alive


class ChangeListener:
    """LISTENs on one connection of its own while running; `on_change` runs in the loop."""

    def __init__(self, database_url: str, on_change: Callable[[], None]) -> None:
        url = async_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while LISTEN is in effect (tests wait for it)
        self.notifications = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, *_: Any) -> None:
        self.notifications += 1
        self._on_change()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                wait = RETRY[min(failures, len(RETRY) - 1)]
                failures += 1
                log.warning("not listening for changes (%r); again in %.0f s", exc, wait)
                await asyncio.sleep(wait)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn, timeout=10)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
            self.listening.set()
            self._on_change()  # whatever changed while nobody listened
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), CHECK_EVERY)
                if not lost.is_set():  # a silently dead connection shows here
                    await connection.execute("SELECT 1", timeout=10)
            raise ConnectionError("the listening connection was closed")
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)
            if not connection.is_closed():
                connection.terminate()
