"""`newsbot ingest`: files, folders, URLs and JSONL into the store, with a summary.

Only argparse is imported at module level (see newsbot.cli): the pipeline and the service come
when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from newsbot.errors import ConfigError

if TYPE_CHECKING:
    from newsbot.ingest.pipeline import IngestResult
    from newsbot.settings import Settings


class Progress:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = stream.isatty()

    def step(self, label: str) -> None:
        self.update(self.done + 1, self.total, label)

    def update(self, done: int, total: int | None, label: str) -> None:
        self.done, self.total = done, total
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
    from newsbot.ingest.pipeline import IngestResult, iter_jsonl, scan_paths
    from newsbot.ingest.text import http_url
    from newsbot.service import Newsbot

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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def print_summary(results: Sequence[IngestResult], *, skipped: int = 0) -> int:
    """Print what happened; exit status 1 when anything failed."""
    added = [r for r in results if r.status == "added"]
    duplicates = [r for r in results if r.status == "duplicate"]
    failed = [r for r in results if r.status == "failed"]
    for result in added if len(results) <= 20 else []:
        print(f"added #{result.article_id}: {result.title} ({_plural(result.passages, 'passage')})")
    for result in duplicates[:20]:
        print(f"duplicate of #{result.article_id}: {result.source}")
    for result in failed:
        reason = result.reason or "unknown reason"
        # Most reasons name the source already: say it once.
        shown = reason if result.source in reason else f"{result.source}: {reason}"
        print(f"failed: {shown}", file=sys.stderr)
    also = f", {skipped} skipped (unsupported type)" if skipped else ""
    print(f"{len(added)} added, {len(duplicates)} duplicates, {len(failed)} failed{also}")
    return 1 if failed else 0


def add_ingest_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `ingest` on the main parser's subcommands."""
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
