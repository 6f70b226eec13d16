"""What the command line prints: answers, the progress bar, the ingest summary."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from newsbot.ingest.pipeline import IngestResult
from newsbot.search.retriever import SearchResult
from newsbot.service import no_good_match


def format_result(result: SearchResult, known: int, *, bold: bool) -> str:
    """A plain-text answer for the terminal (matched words in bold on a terminal)."""
    if not result.answered:
        return no_good_match(
            known, "`newsbot articles`", "add some with `newsbot ingest PATH_OR_URL`"
        )
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
        lines.append(f"   {hit.url or '(no link)'}")  # the link's place says when there is none
        lines.append(f"   {passage}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


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
