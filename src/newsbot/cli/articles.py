"""`newsbot articles`, `remove`, `stats` and `export`: what the store holds.

Only argparse is imported at module level (see newsbot.cli): each command imports the service
when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from newsbot.cli.options import MAX_ID, article_id, positive
from newsbot.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from newsbot.settings import Settings


async def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    """List stored articles, newest first."""
    from newsbot.ingest.records import listing_json
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings, create=False) as app:
        articles = await app.store.newest(limit=args.limit, offset=0)
    # --json: one object per line (PRODUCT.md's JSON shapes are JSON lines, like `ask --json`
    # and `export`), so no articles is no line.
    if articles and not args.json:
        print("id  published  title (newest added first)")
    for info in articles:
        if args.json:
            print(json.dumps(listing_json(info), ensure_ascii=False))
        else:
            date = info.published.date().isoformat() if info.published else "no date"
            print(f"#{info.id}  {date}  {info.title}")
    if not articles and not args.json:
        print("No articles yet. Add some with: newsbot ingest PATH_OR_URL")
    return 0


async def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove an article by id."""
    if args.id > MAX_ID:
        raise NotFound(f"There is no article with id {args.id}.")
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings, create=False) as app:
        info = await app.store.remove(args.id)
    print(f"Removed #{info.id}: {info.title}")
    return 0


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Counts of articles, passages, subscribers and questions."""
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings, create=False) as app:
        stats = await app.stats()
    print(f"articles: {stats.articles}")
    print(f"passages: {stats.passages}")
    print(f"active subscribers: {stats.subscribers}")
    print(f"questions asked: {stats.questions_summary}")
    return 0


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Every article with its passages, one JSON object per line."""
    from newsbot.ingest.records import export_json
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings, create=False) as app:
        # A CLI run has nothing else to do while it writes: blocking file I/O is fine here.
        try:
            out: TextIO = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else sys.stdout  # noqa: SIM115, ASYNC230
        except OSError as exc:
            raise ConfigError(f"Cannot write {args.jsonl}: {exc.strerror or exc}") from None
        try:
            async for article in app.store.export():
                out.write(json.dumps(export_json(article), ensure_ascii=False) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
    return 0


def add_article_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `articles`, `remove`, `stats` and `export`."""
    p = sub.add_parser("articles", help="list stored articles, newest first")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=positive, default=1_000_000, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("remove", help="remove an article by id")
    p.add_argument("id", type=article_id, help="the id, as `articles` shows it (39 or #39)")
    p.set_defaults(func=cmd_remove)

    sub.add_parser("stats", help="articles, passages, subscribers, questions").set_defaults(
        func=cmd_stats
    )

    p = sub.add_parser("export", help="every article with its passages as JSONL")
    p.add_argument("--jsonl", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_export)
