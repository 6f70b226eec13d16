"""`newsbot feeds`: add, list, remove, poll, and OPML import/export, as the bot's /feed.

Only argparse is imported at module level (see newsbot.cli.digest).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.errors import NewsbotError

if TYPE_CHECKING:
    from newsbot.feeds import FeedInfo, FeedService, PollOutcome
    from newsbot.settings import Settings


def add_feeds_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `feeds` and its actions on the main parser's subcommands."""
    p = subparsers.add_parser("feeds", help="RSS/Atom feeds polled by the bot")
    actions = p.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add a feed (or a page that links one), ingest its entries")
    a.add_argument("url")
    a.set_defaults(func=cmd_feeds, action="add")
    actions.add_parser("list", help="every feed, its state and last poll").set_defaults(
        func=cmd_feeds, action="list"
    )
    r = actions.add_parser("remove", help="stop polling a feed (its articles stay)")
    r.add_argument("id", type=int)
    r.set_defaults(func=cmd_feeds, action="remove")
    actions.add_parser("poll", help="poll the feeds that are due now").set_defaults(
        func=cmd_feeds, action="poll"
    )
    i = actions.add_parser("import-opml", help="add every feed of an OPML file")
    i.add_argument("file", type=Path)
    i.set_defaults(func=cmd_feeds, action="import-opml")
    actions.add_parser("export-opml", help="the feeds as OPML, on stdout").set_defaults(
        func=cmd_feeds, action="export-opml"
    )


async def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings) as app:
        feeds = app.feeds
        if args.action == "add":
            return await _add(feeds, [args.url])
        if args.action == "list":
            listed = await feeds.store.all()
            for info in listed:
                print(format_feed(info))
            if not listed:
                print("No feeds yet: newsbot feeds add URL", file=sys.stderr)
            return 0
        if args.action == "remove":
            info = await feeds.store.remove(args.id)
            print(f"Removed feed #{info.id}: {info.name} (its articles stay)")
            return 0
        if args.action == "poll":
            outcomes = await feeds.poll_due()
            for outcome in outcomes:
                print(f"#{outcome.feed.id} {outcome.feed.name}: {outcome.status}")
            return 1 if any(not o.ok for o in outcomes) else 0
        if args.action == "import-opml":
            from newsbot.feeds import read_opml

            try:
                data = args.file.read_bytes()
            except OSError as exc:
                raise NewsbotError(f"Cannot read {args.file}: {exc.strerror or exc}") from None
            return await _add(feeds, read_opml(data))
        from newsbot.feeds import export_opml

        sys.stdout.write(export_opml(await feeds.store.all(), feeds.clock()) + "\n")
        return 0


async def _add(feeds: FeedService, urls: list[str]) -> int:
    """Add each URL; one line per feed; exit 1 if any could not be added."""
    from newsbot.feeds import FeedExists

    failed = 0
    for url in urls:
        try:
            outcome = await feeds.add(url)
        except FeedExists as exc:
            print(f"{url}: already there as #{exc.feed.id}")
        except NewsbotError as exc:
            print(f"{url}: not added: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(
                f"Added feed #{outcome.feed.id}: {outcome.feed.name} ({outcome.feed.url}): "
                f"{summary(outcome)}"
            )
    return 1 if failed else 0


def summary(outcome: PollOutcome) -> str:
    return f"{outcome.added} new, {outcome.duplicates} already known, {outcome.failed} failed"


def format_feed(info: FeedInfo) -> str:
    """One line per feed: id, state, interval, articles, URL, title, last poll."""
    state = "paused" if info.paused else f"every {info.interval // 60} min"
    return "\t".join(
        [f"#{info.id}", state, f"{info.entries} articles", info.url, info.name, info.status or "-"]
    )
