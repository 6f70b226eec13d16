"""The `newsbot` command line: a thin front end over the service layer.

One module per command group, each registering its commands on the parser built here:

    ingest.py    ingest
    ask.py       ask, prompt
    articles.py  articles, remove, stats, export
    db.py        db upgrade, db sample, db copy
    bot.py       run, chat (and start, below, which picks one)
    digest.py    digest
    feeds.py     feeds

Each command imports what it runs when it runs: at module level the CLI imports only argparse
and the errors, so `newsbot --help` (and a bad option) costs a tenth of a second, not the two
of importing the service, SQLAlchemy, trafilatura and the encoder.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeGuard

from newsbot import __version__
from newsbot.cli import logs
from newsbot.cli.articles import add_article_commands
from newsbot.cli.ask import add_ask_command, add_prompt_command
from newsbot.cli.bot import add_bot_commands, cmd_chat, cmd_run
from newsbot.cli.db import add_db_command
from newsbot.cli.digest import add_digest_command
from newsbot.cli.feeds import add_feeds_command
from newsbot.cli.ingest import add_ingest_command
from newsbot.errors import ConfigError, NewsbotError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from sqlalchemy.exc import DBAPIError

    from newsbot.settings import Settings

    Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]

log = logging.getLogger("newsbot")


def build_parser() -> argparse.ArgumentParser:
    """Every command, its options and help (the README's command table mirrors this)."""
    parser = argparse.ArgumentParser(
        prog="newsbot", description="Answer questions about news articles, from Telegram or here."
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    add_ingest_command(sub)
    add_ask_command(sub)
    add_article_commands(sub)
    add_db_command(sub)
    add_prompt_command(sub)
    add_bot_commands(sub)
    add_digest_command(sub)
    add_feeds_command(sub)
    p = sub.add_parser("start", help="the bot when a token is set, else the playground")
    p.set_defaults(func=cmd_start)
    logs.add_verbose(parser)
    return parser


async def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """What `make run` starts: the bot with a token, the playground without one."""
    if settings.token:
        args.webhook_url = args.listen = args.port = None
        return await cmd_run(args, settings)
    return await cmd_chat(args, settings)


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or a clear error."""
    from pydantic import ValidationError

    from newsbot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"NEWSBOT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from exc


def _is_database_error(exc: Exception) -> TypeGuard[DBAPIError]:
    """Whether `exc` is SQLAlchemy's DBAPIError, without importing SQLAlchemy for the commands
    that never did (an error from it means it is imported already)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.DBAPIError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsbot` command."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Arguments with bytes that aren't UTF-8 arrive as lone surrogates: print them back as
        # the same bytes instead of failing on them.
        sys.stdout.reconfigure(errors="surrogateescape")
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        server = args.func is cmd_run or (args.func is cmd_start and settings.token is not None)
        logs.configure(settings, args.verbose, server=server)
        command: Command = args.func
        return asyncio.run(command(args, settings))
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        # A damaged or unusable database: one line, not a traceback.
        print(f"newsbot: database error: {exc.orig}", file=sys.stderr)
        return 1
