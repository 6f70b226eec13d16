"""The one way a report reaches the admins: throttled, so an outage doesn't flood their chats.

The error handler (`failures.py`), the digest sender of the running bot and `newsbot digest
--now` all report through an `AdminNotifier`; in the bot there is one, in `bot_data.notifier`.
"""

from __future__ import annotations

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


class ErrorReports:
    """The throttle: at most one report per `every` seconds, counting the ones skipped."""

    def __init__(self, every: float = REPORT_EVERY) -> None:
        self.every = every
        self._last = -math.inf
        self._suppressed = 0

    def due(self) -> bool:
        """Whether to send a report now (else it's counted for the next one)."""
        now = time.monotonic()
        if now - self._last < self.every:
            self._suppressed += 1
            return False
        self._last = now
        return True

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

    async def send(self, title: str, body: str) -> None:
        """`title` (plain text) in bold, then `body` (Telegram HTML), to each admin; dropped
        (and counted in the next report's title) when the last report is too recent."""
        if not self.reports.due():
            return
        skipped = self.reports.take_suppressed()
        extra = f" ({skipped} more since the last report)" if skipped else ""
        text = f"<b>{html.escape(title)}{extra}</b>\n{body}"
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
