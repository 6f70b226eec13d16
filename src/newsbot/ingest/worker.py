"""Extraction in a worker process with a deadline, so a hostile page can't hold the bot.

trafilatura is CPU-bound and, on some pages, slow (its cost grows with the square of the number
of elements). A thread running it can't be stopped: neither a deadline nor SIGTERM reaches it.
A worker process can be killed. `ExtractionWorker.run` sends one call to a one-process pool and
waits at most `timeout` seconds; past that the worker is killed (a new one starts on the next
call) and the caller gets a NoArticleText that says so.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.pool import AsyncResult, Pool
from typing import TypeVar

from newsbot.errors import NoArticleText

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
START_TIMEOUT = 120.0  # seconds a new worker may take to start (imports, a loaded machine)
# The modules whose functions are sent to the worker (see Ingestor), and the command line's,
# which `newsbot` (the console script, or `python -m newsbot.cli`) imports: each worker imports
# the main module again (as __mp_main__) when it starts, and preloading "__main__" itself does
# nothing before Python 3.13.8 (the fork server was never told the main module's path: CPython
# gh-126631): without this, every new worker spent 1-2 s importing the CLI before its call.
PRELOAD: tuple[str, ...] = ("newsbot.ingest.html", "newsbot.ingest.pipeline", "newsbot.cli")


def _ready() -> bool:
    """A worker's first call: it is up, its imports done."""
    return True


class ExtractionWorker:
    """One worker process for extraction calls, started on first use, killed on a deadline."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        self.timeout = timeout
        self._pool: Pool | None = None
        self._started: AsyncResult[bool] | None = None
        self._lock = threading.Lock()  # one pool, whichever thread asks first

    def _get_pool(self) -> tuple[Pool, AsyncResult[bool]]:
        """The worker, started if need be, and its first call (done once it is up). Making the
        pool waits for the fork server's first start (its preload imports: ~1.3 s here)."""
        with self._lock:
            return self._get_pool_locked()

    def _get_pool_locked(self) -> tuple[Pool, AsyncResult[bool]]:
        if self._pool is None or self._started is None:
            # forkserver, not fork: the calling process has threads (aiosqlite's). The server
            # imports the extraction code (and the main script) once, and every worker forks
            # from it with them loaded: a worker otherwise spends seconds importing them
            # before its first call, and again after each kill.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["__main__", *PRELOAD])
            self._pool = context.Pool(processes=1)
            self._started = self._pool.apply_async(_ready)
        return self._pool, self._started

    async def _started_pool(self, where: str) -> Pool:
        """The worker once it is up: the deadline counts the call, not the start. A fresh
        worker imports what the fork server hasn't (the first waits for the fork server's own
        start): seconds on a busy machine, which no file's deadline should pay. Calls at once
        all wait for the same start (a multiprocessing result: no event loop of its own)."""
        waited = 0.0
        while True:
            if self._pool is None:
                # In a thread: on the event loop the fork server's start froze every chat (a
                # feed poll due then was dropped).
                pool, started = await asyncio.to_thread(self._get_pool)
            else:
                pool, started = self._get_pool()
            if started.ready():
                return pool
            if waited >= START_TIMEOUT:
                self.kill()
                raise NoArticleText(f"Could not start the extraction worker for {where}")
            # In steps: a worker killed meanwhile (a stop) never finishes starting.
            await asyncio.to_thread(started.wait, 0.5)
            waited += 0.5

    async def run(self, function: Callable[..., T], *args: object, where: str) -> T:
        """`function(*args)` in the worker; NoArticleText if it takes longer than the deadline.

        Exceptions raised by `function` (NewsbotError and the like) come back as they are.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def done(value: T) -> None:
            loop.call_soon_threadsafe(_settle, future, value, None)

        def failed(error: BaseException) -> None:
            loop.call_soon_threadsafe(_settle, future, None, error)

        pool = await self._started_pool(where)
        pool.apply_async(function, args, callback=done, error_callback=failed)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self.kill()
            raise NoArticleText(
                f"Reading {where} took longer than {self.timeout:g} s; not added"
            ) from None
        except asyncio.CancelledError:
            self.kill()  # shutting down (SIGTERM): don't leave the worker busy
            raise

    def kill(self) -> None:
        """Stop the worker at once (whatever it is doing); the next call starts a new one."""
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.terminate()
            pool.join()

    def close(self) -> None:
        """Let the worker finish and exit."""
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.close()
            pool.terminate()
            pool.join()


def _settle(future: asyncio.Future[T], value: T | None, error: BaseException | None) -> None:
    if future.done():
        return  # timed out or cancelled meanwhile
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)  # type: ignore[arg-type]
