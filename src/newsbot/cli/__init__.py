"""The `newsbot` command line: a thin front end over the service layer."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from newsbot import __version__, db
from newsbot.cli.bot import add_bot_commands, cmd_chat, cmd_run
from newsbot.cli.digest import add_digest_command
from newsbot.errors import ConfigError, NewsbotError
from newsbot.ingest.pipeline import IngestResult, expand_paths, iter_jsonl
from newsbot.ingest.records import answer_json, export_json, listing_json
from newsbot.search.retriever import SearchResult
from newsbot.service import Newsbot, no_good_match
from newsbot.settings import Settings

log = logging.getLogger("newsbot")

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def format_result(result: SearchResult, known: int, *, bold: bool) -> str:
    """A plain-text answer for the terminal (matched words in bold on a terminal)."""
    if not result.answered:
        return no_good_match(known)
    blocks = []
    for number, hit in enumerate(result.hits, 1):
        meta = ", ".join(
            part
            for part in (hit.site, hit.published.date().isoformat() if hit.published else None)
            if part
        )
        passage = hit.passage
        if bold:
            for start, end in reversed(hit.highlights):
                passage = f"{passage[:start]}\033[1m{passage[start:end]}\033[0m{passage[end:]}"
        lines = [f"{number}. {hit.title}" + (f" ({meta})" if meta else "")]
        if hit.url:
            lines.append(f"   {hit.url}")
        lines.append(f"   {passage}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one per line of stdin."""
    questions: Iterable[str] = [args.question] if args.question is not None else sys.stdin
    async with await Newsbot.open(settings) as app:
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


class Progress:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.total:
            filled = int(30 * self.done / self.total)
            bar = f"[{'#' * filled}{' ' * (30 - filled)}] {self.done}/{self.total}"
        else:
            bar = f"{self.done} done"
        self.stream.write(f"\r{bar} {label[-40:]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")


async def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Add files, folders, URLs and JSONL; print a summary; exit 1 if any failed."""
    if not args.sources and not args.jsonl:
        print("newsbot ingest: give files, folders, URLs or --jsonl FILE", file=sys.stderr)
        return 2
    results: list[IngestResult] = []
    async with await Newsbot.open(settings) as app:
        urls = [s for s in args.sources if s.startswith(("http://", "https://"))]
        files = list(expand_paths(Path(s) for s in args.sources if s not in urls))
        if args.url and (urls or len(files) != 1 or len(args.sources) != 1):
            print(
                "newsbot ingest: --url gives the source link of exactly one file", file=sys.stderr
            )
            return 2
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
    return print_summary(results)


def print_summary(results: Sequence[IngestResult]) -> int:
    """Print what happened; exit status 1 when anything failed."""
    added = [r for r in results if r.status == "added"]
    duplicates = [r for r in results if r.status == "duplicate"]
    failed = [r for r in results if r.status == "failed"]
    for result in added if len(results) <= 20 else []:
        print(f"added #{result.article_id}: {result.title} ({result.passages} passages)")
    for result in duplicates[:20]:
        print(f"duplicate of #{result.article_id}: {result.source}")
    for result in failed:
        print(f"failed: {result.source}: {result.reason}", file=sys.stderr)
    print(f"{len(added)} added, {len(duplicates)} duplicates, {len(failed)} failed")
    return 1 if failed else 0


async def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    """List stored articles, newest first."""
    async with await Newsbot.open(settings) as app:
        articles = await app.store.newest(limit=args.limit, offset=0)
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
    async with await Newsbot.open(settings) as app:
        info = await app.store.remove(args.id)
    print(f"Removed #{info.id}: {info.title}")
    return 0


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Counts of articles, passages, subscribers and questions."""
    async with await Newsbot.open(settings) as app:
        stats = await app.stats()
    print(f"articles: {stats.articles}")
    print(f"passages: {stats.passages}")
    print(f"active subscribers: {stats.subscribers}")
    print(f"questions asked: {stats.questions} ({stats.answered_share:.0%} answered)")
    return 0


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Every article with its passages, one JSON object per line."""
    # A CLI run has nothing else to do while it writes: blocking file I/O is fine here.
    out: TextIO = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else sys.stdout  # noqa: SIM115, ASYNC230
    try:
        async with await Newsbot.open(settings) as app:
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


async def cmd_db_sample(args: argparse.Namespace, settings: Settings) -> int:
    """Add the sample article to an empty database."""
    async with await Newsbot.open(settings) as app:
        results = await app.add_sample_if_empty()
    if results:
        return print_summary(results)
    return 0


async def cmd_prompt(args: argparse.Namespace, settings: Settings) -> int:
    """Answer each stdin line like `newsbot ask`, until end of input."""
    async with await Newsbot.open(settings) as app:
        known = await app.store.count()
        interactive = sys.stdin.isatty()
        if interactive:
            print(f"Ask about the {known} articles I know (Ctrl-D to quit).")
        while True:
            if interactive:
                print("> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                return 0
            if line.strip():
                result = await app.ask(line.strip(), source="chat")
                print(format_result(result, known, bold=sys.stdout.isatty()), flush=True)


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
    p.add_argument("id", type=int)
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

    p = sub.add_parser("prompt", help="answer stdin lines in a loop (no bot)")
    p.set_defaults(func=cmd_prompt)

    add_bot_commands(sub)
    add_digest_command(sub)
    p = sub.add_parser("start", help="the bot when a token is set, else the playground")
    p.set_defaults(func=cmd_start)
    return parser


async def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """What `make run` starts: the bot with a token, the playground without one."""
    if settings.token:
        args.webhook_url = args.listen = args.port = None
        return await cmd_run(args, settings)
    return await cmd_chat(args, settings)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


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
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # Library chatter (httpx requests, alembic steps) only when asked for.
        for name in ("httpx", "alembic", "apscheduler"):
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
        command: Command = args.func
        return asyncio.run(command(args, settings))
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
