"""The composition root: build the Application over the service layer, and run it.

`build_application` wires settings, service and handlers into a PTB Application; `running`
starts it (long polling or a webhook) and stops it in the same order PTB's own `run_polling`
does, but inside an event loop we already have (the CLI's, a test's, the playground's).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from newsbot import i18n
from newsbot.bot import admin, inline, language, readers, replies
from newsbot.bot.commands import COMMANDS, bot_commands, commands_for
from newsbot.bot.context import BotData, NewsApplication
from newsbot.bot.digests.commands import DIGEST_PATTERN, digest_more
from newsbot.bot.digests.jobs import Clock, start_digests, stop_digests
from newsbot.bot.failures import on_error
from newsbot.bot.feeds import TICK, start_feeds, stop_feeds
from newsbot.bot.notify import AdminNotifier
from newsbot.bot.paging import (
    ARTICLES_PATTERN,
    FULL_PATTERN,
    LATEST_PATTERN,
    MORE_PATTERN,
    VOTE_PATTERN,
)
from newsbot.bot.polling import Poller
from newsbot.bot.updates import SkippingUpdatesRequest
from newsbot.bot.web import WebServer
from newsbot.db.leases import POLLER, leader_for
from newsbot.db.models import utcnow
from newsbot.errors import ConfigError
from newsbot.service import Newsbot
from newsbot.settings import Settings
from newsbot.tls import tls_context

log = logging.getLogger(__name__)

# Only what the bot handles, so Telegram doesn't send (and we don't parse) the rest.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# Updates handled at once: questions are independent, and SQLite in WAL mode lets readers run
# beside the one writer (busy_timeout makes writers queue instead of failing).
CONCURRENT_UPDATES = 256
CONNECTIONS = 8
METRICS_LISTEN = "0.0.0.0"  # noqa: S104  # polling mode's /metrics: for the scraper, any address
CAPTION_ADD = filters.CaptionRegex(r"^/add(@\w+)?(\s|$)")


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram POSTs updates to `url`; we listen on `listen:port`."""

    url: str
    listen: str
    port: int
    secret_token: str


def file_url(api_base_url: str) -> str:
    """PTB's base_file_url for a Bot API base URL (`…/bot` -> `…/file/bot`)."""
    base = api_base_url.rstrip("/")
    if not base.endswith("/bot"):
        raise ConfigError(f"NEWSBOT_API_BASE_URL should end with /bot, got {api_base_url!r}")
    return base.removesuffix("/bot") + "/file/bot"


def default_rate_limiter() -> AIORateLimiter:
    """Telegram's flood limits (30 messages/s overall, 20/min per group); a 429 is waited out
    and retried, up to 3 times, instead of failing the handler."""
    return AIORateLimiter(max_retries=3)


def build_application(
    settings: Settings,
    service: Newsbot,
    *,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    update_processor: BaseUpdateProcessor | None = None,
    clock: Clock = utcnow,
    feed_tick: float = TICK,
) -> NewsApplication:
    """The bot: handlers over `service`; the Application closes the service when it shuts down.

    `rate_limiter` defaults to `default_rate_limiter()`; `update_processor` to
    `CONCURRENT_UPDATES` at once (the playground passes one that tells it when a reply is done).
    `clock` is the digests' idea of now (tests start the scheduler before or after a due time);
    `feed_tick`: seconds between looks for due feeds.
    """
    if not settings.token:
        raise ConfigError("NEWSBOT_BOT_TOKEN is not set")

    async def post_init(application: NewsApplication) -> None:
        data = application.bot_data
        data.attach(service, settings, AdminNotifier(application.bot, settings.admin_ids))
        # Load the search index now: with concurrent updates, a burst of first questions would
        # otherwise search while the first of them is still loading it, and find nothing.
        await service.retriever.refresh()
        await service.retriever.save_snapshot()  # a big index built now needn't be rebuilt
        service.start_embedding()  # vectors for passages stored without them, then new ones
        service.start_following()  # other replicas' new articles, at once (PostgreSQL)
        await set_command_menus(application, settings)
        # Last: schedules every subscription from the database and sends today's missed ones.
        await start_digests(application, clock=clock)
        start_feeds(application, tick=feed_tick)

    async def post_stop(application: NewsApplication) -> None:
        # Before post_shutdown closes the service: digests in flight finish and are recorded.
        await stop_digests(application)
        await stop_feeds(application)

    async def post_shutdown(application: NewsApplication) -> None:
        await service.close()

    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        # A question deleted before its answer arrives still gets the answer.
        allow_sending_without_reply=True,
    )
    application: NewsApplication = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(file_url(settings.api_base_url))
        .context_types(ContextTypes(bot_data=BotData))
        .defaults(defaults)
        .concurrent_updates(update_processor or CONCURRENT_UPDATES)
        # httpcore checks every pooled connection for expiry on each request: PTB's default
        # of 256 connections made that a third of the bot's CPU under load. A few keep-alive
        # connections to one host carry the traffic; waiting for one is queueing, not failure.
        .request(
            HTTPXRequest(
                connection_pool_size=CONNECTIONS,
                pool_timeout=60.0,
                httpx_kwargs={"verify": tls_context()},
            )
        )
        .get_updates_request(SkippingUpdatesRequest(httpx_kwargs={"verify": tls_context()}))
        .rate_limiter(rate_limiter or default_rate_limiter())
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    register_handlers(application, settings)
    return application


async def set_command_menus(application: NewsApplication, settings: Settings) -> None:
    """The command menus (everyone's, and each admin's) in English, the default, and in each
    other language we speak, for readers whose Telegram app is in it."""
    bot = application.bot
    for code in i18n.LANGUAGES:
        language_code = None if code == i18n.DEFAULT else code
        with i18n.using(code):
            await bot.set_my_commands(bot_commands(admin_view=False), language_code=language_code)
            for admin_id in sorted(settings.admin_ids):
                try:
                    await bot.set_my_commands(
                        bot_commands(admin_view=True),
                        scope=BotCommandScopeChat(admin_id),
                        language_code=language_code,
                    )
                except TelegramError as exc:  # the admin hasn't started a chat with the bot
                    log.warning("could not set the admin command menu for %s: %s", admin_id, exc)


def register_handlers(application: NewsApplication, settings: Settings) -> None:
    """Every handler, in the order PTB tries them (the first match in a group wins)."""
    admins = filters.User(user_id=settings.admin_ids)
    new_messages = filters.UpdateType.MESSAGE
    add = application.add_handler

    # 0. Before any of them: the language to answer this update in (group -1 runs first and
    #    lets the update go on to the handlers below).
    add(TypeHandler(Update, language.reader_language), group=-1)

    # 1. The command table. Admin commands answer admins only (decided here, once)...
    for command in COMMANDS:
        gate = new_messages & admins if command.audience == "admins" else new_messages
        add(CommandHandler(command.name, command.callback, filters=gate))
    # ...and everyone else who tries them gets "This command is for admins." and nothing else.
    add(CommandHandler([c.name for c in commands_for("admins")], admin.admins_only))

    # 2. /add as the caption of an uploaded file (captions aren't commands to PTB).
    add(MessageHandler(filters.Document.ALL & CAPTION_ADD & admins, admin.add_document))
    add(MessageHandler(filters.Document.ALL & CAPTION_ADD, admin.admins_only))

    # 3. Buttons: "More", "More from this article" and 👍/👎 under answers, Newer/Older
    #    under lists, and stale ones.
    add(CallbackQueryHandler(replies.more, pattern=MORE_PATTERN))
    add(CallbackQueryHandler(replies.full, pattern=FULL_PATTERN))
    add(CallbackQueryHandler(replies.vote, pattern=VOTE_PATTERN))
    add(CallbackQueryHandler(readers.latest_page, pattern=LATEST_PATTERN))
    add(CallbackQueryHandler(digest_more, pattern=DIGEST_PATTERN))
    add(CallbackQueryHandler(admin.articles_page, pattern=ARTICLES_PATTERN))
    add(CallbackQueryHandler(readers.stale_button))

    # 4. Questions: `@bot question` in any chat (inline mode); any text in a private chat;
    #    in groups only replies to the bot (and /ask).
    add(InlineQueryHandler(inline.inline_query))
    text = filters.TEXT & ~filters.COMMAND & new_messages
    add(MessageHandler(text & filters.ChatType.PRIVATE, replies.question))
    add(MessageHandler(text & filters.ChatType.GROUPS & readers.RepliesToBot(), replies.question))

    # 5. Leftovers in private chats: unknown commands, files without /add. Group chatter
    #    matches nothing and is ignored.
    private = filters.ChatType.PRIVATE & new_messages
    add(MessageHandler(filters.COMMAND & private, readers.unknown_command))
    add(MessageHandler(filters.Document.ALL & private, readers.document_hint))

    # 6. Whatever a handler didn't expect: log, tell the user, report to admins.
    application.add_error_handler(on_error)


def webhook_server(application: NewsApplication, webhook: Webhook) -> WebServer:
    """The web server that takes Telegram's POSTs for this Application (and /healthz...)."""

    async def on_update(data: dict[str, Any]) -> None:
        await application.update_queue.put(Update.de_json(data, application.bot))

    return WebServer(
        application.bot_data.service,
        webhook_path=urlsplit(webhook.url).path,
        secret=webhook.secret_token,
        on_update=on_update,
    )


@contextlib.asynccontextmanager
async def running(
    application: NewsApplication, *, webhook: Webhook | None = None, poll_timeout: float = 10.0
) -> AsyncIterator[NewsApplication]:
    """Run the bot for the duration of the block, the way `run_polling` does: initialize,
    post_init, updater, start; then stop, post_stop, shutdown, post_shutdown."""
    updater = application.updater
    if updater is None:
        raise RuntimeError("the Application was built without an updater")
    poller: Poller | None = None
    web: WebServer | None = None
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        if webhook is None:
            # Replicas: only the holder of the poller role polls (see bot/polling.py).
            sessions = application.bot_data.service.sessions
            poller = Poller(
                updater,
                leader_for(sessions, POLLER),
                timeout=poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
            )
            await poller.start()
        else:
            web = webhook_server(application, webhook)
            await application.bot.set_webhook(
                webhook.url, secret_token=webhook.secret_token, allowed_updates=ALLOWED_UPDATES
            )
            web.start(webhook.listen, webhook.port)
        metrics_port = application.bot_data.settings.metrics_port
        if webhook is None and metrics_port is not None:
            web = WebServer(application.bot_data.service)
            web.start(METRICS_LISTEN, metrics_port)
        await application.start()
        yield application
    finally:
        if web is not None:
            await web.stop()
        if poller is not None:
            await poller.stop()
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
