"""The one way a report reaches the admins: throttled, so an outage doesn't flood their chats.

The error handler (`failures.py`), the digest sender of the running bot, `newsbot digest
--now` and the feed poller all report through an `AdminNotifier`; in the bot there is one, in
`bot_data.notifier`. Error reports that come too soon are dropped and counted in the next one
(a burst of the same failure); notices that must reach the admins (a feed paused) are held
instead, and everything held goes out as one message as soon as the throttle allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

log = logging.getLogger(__name__)

REPORT_EVERY = 10.0  # seconds: a burst of failures makes one admin report, not hundreds
MESSAGE_LIMIT = 4000  # characters of HTML per message of held notices (Telegram's is 4,096)


class ErrorReports:
    """The throttle: at most one report per `every` seconds, counting the ones skipped."""

    def __init__(self, every: float = REPORT_EVERY) -> None:
        self.every = every
        self._last = -math.inf
        self._suppressed = 0

    def due(self, *, count: bool = True) -> bool:
        """Whether to send a report now (else, with `count`, it's counted for the next one)."""
        now = time.monotonic()
        if now - self._last < self.every:
            self._suppressed += count
            return False
        self._last = now
        return True

    def wait(self) -> float:
        """Seconds until the next report may go."""
        return max(0.0, self._last + self.every - time.monotonic())

    def take_suppressed(self) -> int:
        """How many reports were skipped since the last one sent (and reset the count)."""
        skipped, self._suppressed = self._suppressed, 0
        return skipped


class AdminNotifier:
    """Sends reports to every admin through `bot`, at most one per `every` seconds."""

    def __init__(self, bot: Bot, admin_ids: Iterable[int], *, every: float = REPORT_EVERY) -> None:
        self.bot = bot
        self.admin_ids = sorted(admin_ids)
        self.reports = ErrorReports(every)
        self._held: list[str] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    async def send(self, title: str, body: str) -> None:
        """`title` (plain text) in bold, then `body` (Telegram HTML), to each admin; dropped
        (and counted in the next report's title) when the last report is too recent."""
        if not self.reports.due():
            return
        skipped = self.reports.take_suppressed()
        extra = f" ({skipped} more since the last report)" if skipped else ""
        await self._deliver(f"<b>{html.escape(title)}{extra}</b>\n{body}")

    async def notice(self, body: str) -> None:
        """Send `body` (Telegram HTML) to each admin, never dropped by the throttle: when the
        last report is too recent it is held, and what is held goes out as one message (or a
        few, each within Telegram's limit) as soon as the throttle allows, or at `close`."""
        self._held.append(body)
        if self.reports.due(count=False):
            await self._send_held()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._send_held_later())

    async def close(self) -> None:
        """Send what is still held now (at stop: nothing is lost) and stop waiting."""
        self._closing.set()
        if self._flusher is not None:
            await self._flusher  # it wakes at once and sends what it holds
            self._flusher = None
        await self._send_held()

    async def _send_held_later(self) -> None:
        while self._held:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.reports.wait())
            if self._closing.is_set() or self.reports.due(count=False):
                await self._send_held()

    async def _send_held(self) -> None:
        held, self._held = self._held, []
        for text in _joined(held):
            await self._deliver(text)

    async def _deliver(self, text: str) -> None:
        for admin_id in self.admin_ids:
            # A report must not fail in turn: if Telegram refuses (the admin never started the
            # bot, the outage itself), the log line is all we can do.
            try:
                await self.bot.send_message(admin_id, text, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not send the admin report to %s: %s", admin_id, exc)

    def alert(self, title: str) -> Callable[[str], Awaitable[None]]:
        """A callback that reports a plain-text problem under `title` (the digest sender's)."""

        async def alert(text: str) -> None:
            await self.send(title, html.escape(text))

        return alert


def _joined(notices: list[str]) -> list[str]:
    """The notices in as few messages as fit (blank lines between them)."""
    messages: list[str] = []
    for notice in notices:
        if messages and len(messages[-1]) + 2 + len(notice) <= MESSAGE_LIMIT:
            messages[-1] += "\n\n" + notice
        else:
            messages.append(notice)
    return messages
