"""The typed `bot_data` every handler shares, and the context types built on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from newsbot.bot.notify import AdminNotifier
from newsbot.service import Newsbot
from newsbot.settings import Settings

if TYPE_CHECKING:
    from newsbot.bot.digests.jobs import Digests
    from newsbot.bot.feeds import FeedPolling


class BotData:
    """The service, the settings, the running digests and the admins' notifier
    (the state buttons need is in the database: `newsbot.db.chat_state`).

    PTB creates it empty when the Application is built; `post_init` attaches the rest.
    """

    def __init__(self) -> None:
        self._service: Newsbot | None = None
        self._settings: Settings | None = None
        self._digests: Digests | None = None
        self._notifier: AdminNotifier | None = None
        # The feed poll loop while it runs (bot/feeds.py: start_feeds, stop_feeds).
        self.feed_polling: FeedPolling | None = None

    def attach(self, service: Newsbot, settings: Settings, notifier: AdminNotifier) -> None:
        """Give the handlers the service layer, the settings and the admins' notifier."""
        self._service = service
        self._settings = settings
        self._notifier = notifier

    @property
    def notifier(self) -> AdminNotifier:
        """The one throttled way to report to the admins (set by `post_init`)."""
        if self._notifier is None:
            raise RuntimeError("the bot's notifier is not attached yet (post_init did not run)")
        return self._notifier

    @property
    def service(self) -> Newsbot:
        """The service layer (set by `post_init`)."""
        if self._service is None:
            raise RuntimeError("the bot's service is not attached yet (post_init did not run)")
        return self._service

    @property
    def settings(self) -> Settings:
        """The settings (set by `post_init`)."""
        if self._settings is None:
            raise RuntimeError("the bot's settings are not attached yet (post_init did not run)")
        return self._settings

    @property
    def digests(self) -> Digests:
        """The running digest machinery (started in `post_init`, stopped in `post_stop`)."""
        if self._digests is None:
            raise RuntimeError("digests are not started: call start_digests in post_init")
        return self._digests

    def attach_digests(self, digests: Digests | None) -> Digests | None:
        """Set (or with None, clear) the running digests; returns the previous ones."""
        previous, self._digests = self._digests, digests
        return previous

    def is_admin(self, user_id: int | None) -> bool:
        """Whether the user may use the admin commands."""
        return user_id is not None and user_id in self.settings.admin_ids


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
NewsApplication = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
]
