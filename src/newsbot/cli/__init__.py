"""The `newsbot` command line: a thin front end over the service layer."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from newsbot import __version__, db
from newsbot.cli import logs
from newsbot.cli.bot import add_bot_commands, cmd_chat, cmd_run
from newsbot.cli.digest import add_digest_command
from newsbot.cli.feeds import add_feeds_command
from newsbot.cli.output import Progress, format_result, print_summary
from newsbot.errors import ConfigError, NewsbotError, NotFound
from newsbot.ingest.pipeline import IngestResult, iter_jsonl, scan_paths
from newsbot.ingest.records import answer_json, export_json, listing_json
from newsbot.ingest.text import http_url
from newsbot.service import Newsbot
from newsbot.settings import Settings

log = logging.getLogger("newsbot")

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one per line of stdin."""
    questions: Iterable[str] = [args.question] if args.question is not None else sys.stdin
    async with await Newsbot.open(settings, create=False) as app:
        known = await app.store.count()
        first = True
        for raw in questions:
            question = raw.rstrip("\n")
            if args.question is None and not question.strip():
                continue
            result = await app.ask(question, limit=args.top)
            if args.json:
                print(json.dumps(answer_json(result), ensure_ascii=False), flush=True)
            else:
                if not first:
                    print()
                print(format_result(result, known, bold=sys.stdout.isatty()), flush=True)
            first = False
    return 0


async def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Add files, folders, URLs and JSONL; print a summary; exit 1 if any failed."""
    if not args.sources and not args.jsonl:
        print("newsbot ingest: give files, folders, URLs or --jsonl FILE", file=sys.stderr)
        return 2
    if args.url and http_url(args.url) is None:
        raise ConfigError(f"--url must be an http(s) URL, got {args.url!r}")
    results: list[IngestResult] = []
    # Anything spelled like a URL is one (ftp://... is refused as a URL, not looked up as a file).
    urls = [s for s in args.sources if "://" in s]
    files, skipped = scan_paths(Path(s) for s in args.sources if s not in urls)
    if args.url and (urls or len(files) != 1 or len(args.sources) != 1):
        print("newsbot ingest: --url gives the source link of exactly one file", file=sys.stderr)
        return 2
    async with await Newsbot.open(settings) as app:
        progress = Progress(len(urls) + len(files) or None)
        for url in urls:
            results.append(await app.ingestor.add_url(url))
            progress.step(url)
        for path in files:
            if not path.exists():
                results.append(IngestResult.failed(str(path), "no such file or folder"))
                progress.step(str(path))
        async for result in app.ingestor.add_files([p for p in files if p.exists()], args.url):
            results.append(result)
            progress.step(result.source)
        if args.jsonl:
            stream = sys.stdin if args.jsonl == "-" else None
            try:
                handle = stream or open(args.jsonl, encoding="utf-8")  # noqa: SIM115, ASYNC230
            except OSError as exc:
                results.append(IngestResult.failed(args.jsonl, exc.strerror or str(exc)))
            else:
                with handle:
                    label = "stdin" if stream else args.jsonl
                    async for result in app.ingestor.add_records(iter_jsonl(handle, label)):
                        results.append(result)
                        progress.step(result.source)
        progress.close()
        if not args.no_wait:
            # Answers use the new passages at once (lexically); their vectors come now, or
            # with --no-wait from the bot's background worker.
            embedding = Progress(None)
            await app.embed_pending(lambda done, total: embedding.update(done, total, "embedding"))
            embedding.close()
    return print_summary(results, skipped=len(skipped))


async def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    """List stored articles, newest first."""
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
    async with await Newsbot.open(settings, create=False) as app:
        info = await app.store.remove(args.id)
    print(f"Removed #{info.id}: {info.title}")
    return 0


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Counts of articles, passages, subscribers and questions."""
    async with await Newsbot.open(settings, create=False) as app:
        stats = await app.stats()
    print(f"articles: {stats.articles}")
    print(f"passages: {stats.passages}")
    print(f"active subscribers: {stats.subscribers}")
    print(f"questions asked: {stats.questions_summary}")
    return 0


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Every article with its passages, one JSON object per line."""
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


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the database to the newest schema."""
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
    """Add the sample article to an empty database."""
    async with await Newsbot.open(settings) as app:
        results = await app.add_sample_if_empty()
    if results:
        return print_summary(results)
    return 0


async def cmd_prompt(args: argparse.Namespace, settings: Settings) -> int:
    """Answer each stdin line like `newsbot ask`, until end of input."""
    async with await Newsbot.open(settings, create=False) as app:
        known = await app.store.count()
        interactive = sys.stdin.isatty()
        if interactive:
            print(f"Ask about the {known} articles I know ({PROMPT_HELP}).")
        # Ctrl-C stops the prompt at once: while the loop waits in readline, asyncio's own
        # handler would act only after the next Enter.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            while True:
                if interactive:
                    print("> ", end="", flush=True)
                line = sys.stdin.readline()
                word = line.strip()
                if not line or word.lower() in ("quit", "exit"):
                    return 0
                if word.lower() in ("help", "?"):
                    print(f"Type a question and press Enter; {PROMPT_HELP}.", flush=True)
                elif word:
                    result = await app.ask(word, source="prompt")
                    print(format_result(result, known, bold=sys.stdout.isatty()), flush=True)
        except KeyboardInterrupt:
            print()
            return 0
        finally:
            signal.signal(signal.SIGINT, previous)


PROMPT_HELP = "quit, exit, Ctrl-D or Ctrl-C to leave"


def build_parser() -> argparse.ArgumentParser:
    """Every command, its options and help (the README's command table mirrors this)."""
    parser = argparse.ArgumentParser(
        prog="newsbot", description="Answer questions about news articles, from Telegram or here."
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("ingest", help="add articles from files, folders, URLs or JSONL")
    p.add_argument("sources", nargs="*", metavar="PATH_OR_URL")
    p.add_argument("--url", help="the source link of a single file")
    p.add_argument("--jsonl", metavar="FILE", help="one JSON article per line ('-' for stdin)")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="don't wait for the passages' embeddings (the bot computes them in the background)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question (or one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("--top", type=_positive, default=None, metavar="K", help="passages to show")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("articles", help="list stored articles, newest first")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=_positive, default=1_000_000, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("remove", help="remove an article by id")
    p.add_argument("id", type=_article_id, help="the id, as `articles` shows it (39 or #39)")
    p.set_defaults(func=cmd_remove)

    sub.add_parser("stats", help="articles, passages, subscribers, questions").set_defaults(
        func=cmd_stats
    )

    p = sub.add_parser("export", help="every article with its passages as JSONL")
    p.add_argument("--jsonl", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_export)

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

    p = sub.add_parser("prompt", help="answer stdin lines in a loop (no bot)")
    p.set_defaults(func=cmd_prompt)

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


MAX_ID = 2**63 - 1  # SQLite's largest integer: no article has a larger id


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def _article_id(value: str) -> int:
    digits = value.strip().removeprefix("#")
    if not digits.isdecimal() or not digits.isascii():
        raise argparse.ArgumentTypeError(f"an article id is a number like 39 or #39, not {value!r}")
    return int(digits)


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or a clear error."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"NEWSBOT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from exc


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
    except DBAPIError as exc:  # a damaged or unusable database: one line, not a traceback
        print(f"newsbot: database error: {exc.orig}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
