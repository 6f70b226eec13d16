"""Ingestion: URLs, files, folders, pasted text and JSONL records become stored articles.

Every source ends in the same two steps: `prepare` (clean text, passages, fingerprint) and
`ArticleStore.add_many` (one transaction per batch, duplicates reported, nothing half-stored).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from newsbot.db.articles import AddOutcome, ArticleStore, NewArticle
from newsbot.errors import IngestError, NewsbotError, NoArticleText
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.html import extract_html
from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.plaintext import parse_text_article
from newsbot.ingest.records import article_from_json
from newsbot.ingest.text import ExtractedArticle, content_fingerprint, normalize_text

HTML_SUFFIXES = frozenset({".html", ".htm"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
FILE_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES

Status = Literal["added", "duplicate", "failed"]


@dataclass(frozen=True)
class IngestResult:
    """What became of one source: added, a duplicate of a stored article, or failed (why)."""

    source: str
    status: Status
    article_id: int | None = None
    title: str | None = None
    site: str | None = None
    published: datetime | None = None
    passages: int = 0
    reason: str | None = None

    @classmethod
    def failed(cls, source: str, reason: str) -> IngestResult:
        return cls(source, "failed", reason=reason)


def prepare(article: ExtractedArticle, passages: Sequence[str] | None = None) -> NewArticle:
    """Clean text, split it into passages (unless given) and fingerprint it."""
    body = normalize_text(article.text)
    if not body.strip():
        raise NoArticleText(f"No article text in {article.url or article.title!r}")
    chunks = list(passages) if passages else split_into_passages(body)
    return NewArticle(
        title=article.title.strip() or body.split("\n", 1)[0][:200],
        text=body,
        passages=chunks,
        fingerprint=content_fingerprint(body, normalized=True),
        url=article.url,
        site=article.site,
        author=article.author,
        published=article.published,
        language=article.language,
    )


def read_file(path: Path, url: str | None = None) -> ExtractedArticle:
    """Extract an article from an .html/.htm/.txt/.md file."""
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise IngestError(f"{path.name}: only .html, .htm, .txt and .md files can be added")
    data = path.read_bytes()
    if suffix in HTML_SUFFIXES:
        article = extract_html(data, url=url)
    else:
        article = parse_text_article(_decode(data), source_name=path.name)
    if url:
        article = replace(article, url=url)
    return article


def extract_upload(filename: str, data: bytes, url: str | None = None) -> ExtractedArticle:
    """Extract an article from an uploaded file's bytes (the bot's `/add` with a document)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise IngestError(f"{filename}: only .html, .htm, .txt and .md files can be added")
    if suffix in HTML_SUFFIXES:
        return extract_html(data, url=url)
    return parse_text_article(_decode(data), source_name=filename)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files, and folders walked recursively for article files (sorted, hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and child.suffix.lower() in FILE_SUFFIXES and not hidden:
                    yield child
        else:
            yield path


def iter_jsonl(lines: Iterable[str], source: str) -> Iterator[tuple[str, object]]:
    """(`source:line`, parsed JSON or the IngestError to report) for each non-empty line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        label = f"{source}:{number}"
        try:
            yield label, json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield label, IngestError(f"not valid JSON ({exc.msg} at column {exc.colno})")


class Ingestor:
    """Adds articles from any source to the store."""

    def __init__(self, store: ArticleStore, fetcher: SafeFetcher) -> None:
        self.store = store
        self.fetcher = fetcher

    async def add_extracted(
        self, source: str, article: ExtractedArticle, passages: Sequence[str] | None = None
    ) -> IngestResult:
        """Store one extracted article; the CPU work (normalising, splitting, fingerprinting a
        text of up to 5 MB takes seconds) runs in a thread, so the bot's other chats go on."""
        try:
            prepared = await asyncio.to_thread(prepare, article, passages)
        except NewsbotError as exc:
            return IngestResult.failed(source, str(exc))
        return self._result(source, prepared, await self.store.add(prepared))

    @staticmethod
    def _result(source: str, prepared: NewArticle, outcome: AddOutcome) -> IngestResult:
        return IngestResult(
            source,
            "duplicate" if outcome.duplicate else "added",
            article_id=outcome.article_id,
            title=prepared.title,
            site=prepared.site,
            published=prepared.published,
            passages=len(prepared.passages),
        )

    async def add_url(self, url: str) -> IngestResult:
        """Fetch a page safely, extract and store it."""
        try:
            page = await self.fetcher.fetch(url)
            if page.content_type in {"text/plain", "text/markdown"}:
                text_body = page.content.decode(page.encoding or "utf-8", errors="replace")
                article = await asyncio.to_thread(parse_text_article, text_body)
                article = replace(article, url=page.url)
            else:
                article = await asyncio.to_thread(extract_html, page.content, url=page.url)
                if not article.url:
                    article = replace(article, url=page.url)
        except NewsbotError as exc:
            return IngestResult.failed(url, str(exc))
        return await self.add_extracted(url, article)

    async def add_file(self, path: Path, url: str | None = None) -> IngestResult:
        """Extract and store one file."""
        return (await self._add_files([path], url, None))[0]

    async def add_files(
        self, paths: Sequence[Path], url: str | None = None, *, window: int = 8
    ) -> AsyncIterator[IngestResult]:
        """Extract and store files in order; extraction (trafilatura, CPU-bound) runs in a
        process per core, so a folder of pages goes through as fast as the machine allows."""
        if len(paths) < 4:
            for path in paths:
                yield await self.add_file(path, url)
            return
        # forkserver, not fork: this process has threads (aiosqlite's), and forking those can
        # deadlock.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
            for start in range(0, len(paths), window):
                for result in await self._add_files(paths[start : start + window], url, pool):
                    yield result

    async def _add_files(
        self, paths: Sequence[Path], url: str | None, pool: Executor | None
    ) -> list[IngestResult]:
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(pool, read_file, path, url) for path in paths]
        results: list[IngestResult] = []
        for path, job in zip(paths, jobs, strict=True):
            try:
                article = await job
            except NewsbotError as exc:
                results.append(IngestResult.failed(str(path), str(exc)))
            except OSError as exc:
                results.append(IngestResult.failed(str(path), exc.strerror or str(exc)))
            else:
                results.append(await self.add_extracted(str(path), article))
        return results

    async def add_text(self, body: str, url: str | None = None) -> IngestResult:
        """Store pasted text (first line = title; a URL in it becomes the source link)."""
        try:
            article = await asyncio.to_thread(parse_text_article, body)
        except NewsbotError as exc:
            return IngestResult.failed("pasted text", str(exc))
        if url:
            article = replace(article, url=url)
        return await self.add_extracted(article.url or "pasted text", article)

    async def add_records(
        self, records: Iterable[tuple[str, object]], batch_size: int = 1000
    ) -> AsyncIterator[IngestResult]:
        """Bulk-store JSON articles, a batch per transaction; yields a result per record.

        While SQLite writes one batch (in aiosqlite's thread, without the GIL), the next one is
        prepared here: the two cores work at once.
        """
        batch: list[tuple[str, NewArticle]] = []
        writing: asyncio.Task[list[IngestResult]] | None = None
        for label, record in records:
            try:
                if isinstance(record, IngestError):
                    raise record
                extracted, passages = article_from_json(record)
                batch.append((label, prepare(extracted, passages)))
            except NewsbotError as exc:
                yield IngestResult.failed(label, str(exc))
                continue
            if len(batch) >= batch_size:
                if writing is not None:
                    for result in await writing:
                        yield result
                writing = asyncio.create_task(self._store_batch(batch))
                batch = []
                await asyncio.sleep(0)  # let the write start before preparing more
        if writing is not None:
            for result in await writing:
                yield result
        if batch:
            for result in await self._store_batch(batch):
                yield result

    async def _store_batch(self, batch: list[tuple[str, NewArticle]]) -> list[IngestResult]:
        outcomes = await self.store.add_many([prepared for _, prepared in batch])
        return [
            self._result(label, prepared, outcome)
            for (label, prepared), outcome in zip(batch, outcomes, strict=True)
        ]
