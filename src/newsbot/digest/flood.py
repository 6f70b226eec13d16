"""Telegram's flood limits as sliding windows, and the gate that keeps digests inside them.

Pure pacing logic, no Telegram in it; why a gate of our own rather than PTB's AIORateLimiter is
explained in `newsbot.bot.digests.sender`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits: messages per period (seconds)."""

    overall: int = 30
    overall_period: float = 1.0
    private: int = 1
    private_period: float = 1.0
    group: int = 20
    group_period: float = 60.0


class _Window:
    """One sliding window: messages completed within `period` ago, plus those in flight."""

    __slots__ = ("busy", "done", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.done: deque[float] = deque()
        self.busy = 0

    def wait(self, now: float) -> float | None:
        """Seconds until one more message fits; None when a message in flight must end first."""
        while self.done and self.done[0] <= now - self.period:
            self.done.popleft()
        excess = len(self.done) + self.busy - self.limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(self.done):
            return None
        return self.done[excess - 1] + self.period - now


@dataclass(frozen=True)
class Ticket:
    """A message admitted by the gate; give it back with `FloodGate.release`."""

    windows: tuple[_Window, ...]


class FloodGate:
    """Admits messages so that no sliding window of Telegram's limits is ever exceeded."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._overall = _Window(self.limits.overall, self.limits.overall_period)
        self._chats: dict[int, _Window] = {}
        # The process before us (a restart) may have spent this second's budget just now.
        self._paused_until = clock() + self.limits.overall_period
        self._closed = False
        # The acquire calls waiting for a release or a close (each also wakes on its own
        # timeout): plain futures, not `wait_for` on an Event, which makes a task per wait, and
        # a fan-out waits at the gate a few dozen times a message.
        self._waiters: set[asyncio.Future[None]] = set()

    def _chat(self, chat_id: int, is_group: bool) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            lim = self.limits
            limit, period = (
                (lim.group, lim.group_period) if is_group else (lim.private, lim.private_period)
            )
            window = self._chats[chat_id] = _Window(limit, period)
        return window

    def _notify(self) -> None:
        for waiter in self._waiters:
            _wake(waiter)
        self._waiters.clear()

    async def _wait(self, seconds: float | None) -> None:
        """Until the next release or close, or `seconds` (None: no limit)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        timer = None if seconds is None else loop.call_later(seconds, _wake, waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)
            if timer is not None:
                timer.cancel()

    async def acquire(self, chat_id: int, *, is_group: bool) -> Ticket | None:
        """Wait until one more message to `chat_id` fits; None once the gate is closed."""
        while not self._closed:
            now = self._clock()
            windows = (self._overall, self._chat(chat_id, is_group))
            waits = [window.wait(now) for window in windows]
            waits.append(max(0.0, self._paused_until - now))
            if all(wait == 0 for wait in waits):
                for window in windows:
                    window.busy += 1
                return Ticket(windows)
            known = [wait for wait in waits if wait]
            await self._wait(max(known) if known else None)  # a release or close is sooner
        return None

    def release(self, ticket: Ticket, *, sent: bool = True) -> None:
        """The request is over; if it may have reached Telegram it counts from now on."""
        now = self._clock()
        for window in ticket.windows:
            window.busy -= 1
            if sent:
                window.done.append(now)
        if len(self._chats) > 4096:  # forget chats whose windows are empty again
            for chat_id, window in list(self._chats.items()):
                if window.busy == 0 and window.wait(now) == 0 and not window.done:
                    del self._chats[chat_id]
        self._notify()

    def pause(self, seconds: float) -> None:
        """Admit nothing for `seconds` (Telegram throttles the whole bot)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def close(self) -> None:
        """Admit nothing more; waiting `acquire` calls return None."""
        self._closed = True
        self._notify()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
