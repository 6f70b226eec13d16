"""The typed `bot_data` every handler shares, and the context types built on it."""

from __future__ import annotations

import math
import time
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from newsbot.errors import ConfigError
from newsbot.service import Newsbot
from newsbot.settings import Settings

REPORT_EVERY = 10.0  # seconds: a burst of failures makes one admin report, not hundreds


class ErrorReports:
    """Throttles the error handler's admin reports so an outage doesn't flood their chats."""

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


class BotData:
    """The service, the settings, /help texts and error-report throttling (the state buttons
    need is in the database: `newsbot.db.chat_state`).

    PTB creates it empty when the Application is built; `post_init` attaches the rest.
    """

    def __init__(self) -> None:
        self._service: Newsbot | None = None
        self._settings: Settings | None = None
        self.help_text = ""
        self.admin_help_text = ""
        self.error_reports = ErrorReports()

    def attach(self, service: Newsbot, settings: Settings) -> None:
        """Give the handlers the service layer and the settings."""
        self._service = service
        self._settings = settings

    @property
    def service(self) -> Newsbot:
        """The service layer (set by `post_init`)."""
        if self._service is None:
            raise ConfigError("the bot's service is not attached yet (post_init did not run)")
        return self._service

    @property
    def settings(self) -> Settings:
        """The settings (set by `post_init`)."""
        if self._settings is None:
            raise ConfigError("the bot's settings are not attached yet (post_init did not run)")
        return self._settings

    def is_admin(self, user_id: int | None) -> bool:
        """Whether the user may use the admin commands."""
        return user_id is not None and user_id in self.settings.admin_ids


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
NewsApplication = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
]
