"""The `newsbot run` and `newsbot chat` commands; `add_bot_commands` puts them on the main parser.

Only argparse is imported at module level: the main CLI imports this module for every command,
and `newsbot ask` shouldn't pay for importing telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import hmac
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from newsbot.errors import ConfigError, TelegramUnavailable

if TYPE_CHECKING:
    from newsbot.settings import Settings

log = logging.getLogger("newsbot")

NOT_CONFIGURED = (
    "NEWSBOT_BOT_TOKEN is not set: `newsbot run` needs the bot's token from @BotFather "
    "(in the environment or .env). To try the bot without Telegram, run: newsbot chat"
)
DEFAULT_LISTEN = "127.0.0.1"
DEFAULT_PORT = 8443


def add_bot_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `run` and `chat` on the main parser's subcommands."""
    p = subparsers.add_parser("run", help="the Telegram bot: long polling, or a webhook")
    p.add_argument("--webhook-url", metavar="URL", help="webhook mode: Telegram POSTs here")
    p.add_argument(
        "--listen", metavar="HOST", help=f"webhook mode: address (default {DEFAULT_LISTEN})"
    )
    p.add_argument(
        "--port", type=int, metavar="N", help=f"webhook mode: port (default {DEFAULT_PORT})"
    )
    p.set_defaults(func=cmd_run)
    p = subparsers.add_parser(
        "chat", help="the bot in the terminal, against a local Bot API emulator (no token needed)"
    )
    p.set_defaults(func=cmd_chat)


def _opt_in_timedelta() -> None:
    # PTB 22 warns (a DeprecationWarning, an error under our test settings) every time it builds
    # RetryAfter from a number, i.e. on every 429 from Telegram, unless PTB_TIMEDELTA opts in to
    # the future behaviour. Our code never reads retry_after (AIORateLimiter does, and handles
    # both types), so we opt in. This is the one place that touches os.environ: PTB reads the
    # flag from there, not from anything we could pass it.
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def webhook_secret(token: str) -> str:
    """The webhook's secret token: the same for every replica of one bot, unguessable
    without the bot token."""
    return hmac.new(token.encode(), b"newsbot webhook secret", hashlib.sha256).hexdigest()


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """The bot against Telegram (or any Bot API server) until SIGTERM or Ctrl-C."""
    if not settings.token:
        raise ConfigError(NOT_CONFIGURED)
    webhook_given = args.listen is not None or args.port is not None
    if webhook_given and not args.webhook_url:
        print("newsbot run: --listen and --port need --webhook-url", file=sys.stderr)
        return 2
    if args.webhook_url and not args.webhook_url.startswith(("https://", "http://")):
        print(
            f"newsbot run: --webhook-url must be a URL, got {args.webhook_url!r}", file=sys.stderr
        )
        return 2
    _opt_in_timedelta()
    from telegram.error import InvalidToken, TelegramError

    from newsbot.bot.app import Webhook, build_application, running
    from newsbot.service import Newsbot

    webhook = None
    if args.webhook_url:
        webhook = Webhook(
            url=args.webhook_url,
            listen=args.listen or DEFAULT_LISTEN,
            port=args.port or DEFAULT_PORT,
            # Telegram sends it back in a header; updates without it are refused. Derived
            # from the token, so every replica behind the load balancer expects the same one.
            secret_token=webhook_secret(settings.token),
        )
    # No sample article here: a production database starts empty (`make run` and `db sample`
    # add it for the playground).
    service = await Newsbot.open(settings)
    try:
        application = build_application(settings, service)
    except BaseException:
        await service.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running(application, webhook=webhook):
            # Everything built so far (the index, caches, PTB, SQLAlchemy) lives as long as the
            # bot: keep it out of the garbage collector's full passes, which otherwise pause
            # every answer in flight for tens of milliseconds as the heap grows. Here, not in
            # the Application's post_init: it is process-wide, and tests build many bots.
            gc.freeze()
            mode = f"webhook {webhook.url}" if webhook else "long polling"
            log.info("newsbot is running (%s); stop with Ctrl-C or SIGTERM", mode)
            await stop.wait()
            log.info("stopping")
    except InvalidToken as exc:
        raise ConfigError(f"Telegram refused the bot token: {exc}") from exc
    except TelegramError as exc:
        raise TelegramUnavailable(f"could not start the bot: {exc}") from exc
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """The playground: stdin lines to the real bot through the emulator, replies to stdout."""
    _opt_in_timedelta()
    from newsbot.bot.playground import chat, stdin_lines

    # The transcript is the output here; the emulator's and PTB's chatter would drown it, unless
    # asked for (-v, or NEWSBOT_LOG_LEVEL=DEBUG).
    quiet = settings.log_level != "DEBUG" and not args.verbose
    for name in ("telegram", "botapi_emulator", "tornado", "newsbot"):
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    return await chat(settings, stdin_lines(), sys.stdout, interactive=sys.stdin.isatty())
