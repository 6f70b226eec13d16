"""`newsbot db upgrade`, `db sample` and `db copy`: database maintenance.

Only argparse is imported at module level (see newsbot.cli).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from newsbot.cli.ingest import print_summary

if TYPE_CHECKING:
    from newsbot.settings import Settings


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the database to the newest schema."""
    from newsbot import db

    applied = await db.upgrade_async(settings.database_url)
    revision = db.current_revision(settings.database_url)
    print(f"database at revision {revision}" + ("" if applied else " (already up to date)"))
    return 0


async def cmd_db_copy(args: argparse.Namespace, settings: Settings) -> int:
    """Move an install to another database, subscribers and their delivery state included."""
    from newsbot.db.copy import copy_database

    copied = await asyncio.to_thread(copy_database, args.source, args.target)
    print(", ".join(f"{count} {name}" for name, count in copied.items()) + " copied")
    return 0


async def cmd_db_sample(args: argparse.Namespace, settings: Settings) -> int:
    """Add the sample article to an empty database, with its vectors (as `ingest` waits for
    them): the playground's first question is then answered the way every later one is."""
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings) as app:
        results = await app.add_sample_if_empty()
        if results:
            await app.embed_pending()
    if results:
        return print_summary(results)
    return 0


def add_db_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `db` and its actions on the main parser's subcommands."""
    p = sub.add_parser("db", help="database maintenance")
    db_sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to head").set_defaults(
        func=cmd_db_upgrade
    )
    db_sub.add_parser("sample", help="add the sample article to an empty database").set_defaults(
        func=cmd_db_sample
    )
    p = db_sub.add_parser(
        "copy", help="copy articles, subscriptions and questions into a new, empty database"
    )
    p.add_argument("source", metavar="SRC", help="database URL to copy from")
    p.add_argument("target", metavar="DST", help="database URL to copy into (e.g. postgresql://…)")
    p.set_defaults(func=cmd_db_copy)
