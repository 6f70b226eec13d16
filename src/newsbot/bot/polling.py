"""Long polling by one replica at a time: Telegram lets one getUpdates consumer per bot (a
second gets 409 Conflict), so replicas take the poller lease, and only its holder polls. The
others run digests (and answer nothing, having no updates) until the holder stops or dies;
then one of them takes the lease over and starts polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from telegram.ext import Updater

from newsbot.db.leases import Role

log = logging.getLogger(__name__)


class Poller:
    """Polls while it holds `leader`'s lease; `start` polls at once if the lease is free."""

    def __init__(
        self, updater: Updater, leader: Role, *, timeout: float, allowed_updates: list[str]
    ) -> None:
        self._updater, self._leader = updater, leader
        self._timeout, self._allowed = timeout, allowed_updates
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def polling(self) -> bool:
        return bool(self._updater.running)

    async def start(self) -> None:
        if await self._leader.try_acquire():
            await self._begin()
        else:
            log.info("another replica polls Telegram; this one waits to take over")
        self._task = asyncio.create_task(self._watch())

    async def _begin(self) -> None:
        await self._updater.start_polling(
            timeout=dt.timedelta(seconds=self._timeout), allowed_updates=self._allowed
        )

    async def _watch(self) -> None:
        while not self._stop.is_set():
            if not self.polling:
                if not await self._leader.acquire(self._stop):
                    return
                log.info("this replica polls Telegram now")
                await self._begin()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._leader.poll)
            if self.polling and not self._leader.valid and not await self._retake():
                log.warning("the poller role lapsed: stop polling")
                await self._updater.stop()

    async def _retake(self) -> bool:
        """Whether the role, lapsed (a busy event loop renewed it late), is still ours."""
        try:
            return await self._leader.try_acquire()
        except Exception:
            log.exception("could not renew the poller role")
            return False

    async def stop(self) -> None:
        """Stop polling and let another replica take over at once."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        if self.polling:
            await self._updater.stop()
        with contextlib.suppress(Exception):  # it expires by itself
            await self._leader.release()
