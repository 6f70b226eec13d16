"""Ingestion: URLs, files, folders, pasted text and JSONL records become stored articles.

Every source ends in the same two steps: `prepare` (clean text, passages, fingerprint) and
`ArticleStore.add_many` (one transaction per batch, duplicates reported, nothing half-stored).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from newsbot.db.articles import AddOutcome, ArticleStore, NewArticle
from newsbot.errors import IngestError, NewsbotError, NoArticleText
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.html import extract_html, refuse_junk
from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.plaintext import parse_text_article
from newsbot.ingest.records import article_from_json
from newsbot.ingest.sniff import check_bytes, decode_text, html_input
from newsbot.ingest.text import ExtractedArticle, content_fingerprint, http_url, normalize_text
from newsbot.ingest.worker import ExtractionWorker

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


def source_url(url: str | None) -> str | None:
    """A given source link, checked like every other: http(s) with a host, or IngestError."""
    if url is None or not url.strip():
        return None
    checked = http_url(url)
    if checked is None:
        shown = url if len(url) <= 200 else url[:200] + "…"
        raise IngestError(f"the source link must be an http(s) URL, got {shown!r}")
    return checked


def read_file(path: Path, url: str | None = None) -> ExtractedArticle:
    """Extract an article from an .html/.htm/.txt/.md file."""
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise IngestError(f"{path.name}: only .html, .htm, .txt and .md files can be added")
    return extract_upload(path.name, path.read_bytes(), url)


def extract_upload(filename: str, data: bytes, url: str | None = None) -> ExtractedArticle:
    """Extract an article from a file's bytes (a file, or the bot's `/add` with a document).

    The bytes decide, not the name: binary data is refused; `url` (checked) is the source link.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise IngestError(f"{filename}: only .html, .htm, .txt and .md files can be added")
    url = source_url(url)
    if suffix in HTML_SUFFIXES:
        article = extract_html(html_input(data, filename), url=url)
    else:
        article = parse_text_article(decode_text(data, filename), source_name=filename)
        refuse_junk(article.text, filename)
    return replace(article, url=url) if url else article


def extract_page(content: bytes, url: str) -> ExtractedArticle:
    """Extract a fetched HTML page (run in the extraction worker)."""
    check_bytes(content, url)
    article = extract_html(content, url=url)
    return article if article.url else replace(article, url=url)


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


def scan_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(files to add, files skipped): folders walked recursively; what a folder holds besides
    article files (other types, hidden files) is skipped, and said so. Named files are kept."""
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        wanted = set(expand_paths([path]))
        for child in sorted(path.rglob("*")):
            if child.is_file():
                (files if child in wanted else skipped).append(child)
    return files, skipped


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

    def __init__(
        self, store: ArticleStore, fetcher: SafeFetcher, worker: ExtractionWorker | None = None
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        # Pages and uploads are extracted in a worker process with a deadline.
        self.worker = worker if worker is not None else ExtractionWorker()

    def close(self) -> None:
        """Stop the extraction worker."""
        self.worker.close()

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

    async def add_extracted_many(
        self, articles: Sequence[tuple[str, ExtractedArticle]]
    ) -> list[IngestResult]:
        """Store (source, article) pairs in one transaction; a result for each, in order."""
        prepared: list[tuple[str, NewArticle]] = []
        results: list[IngestResult | None] = []
        for source, article in articles:
            try:
                prepared.append((source, prepare(article)))
                results.append(None)
            except NewsbotError as exc:
                results.append(IngestResult.failed(source, str(exc)))
        stored = iter(await self._store_batch(prepared) if prepared else [])
        return [result if result is not None else next(stored) for result in results]

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

    async def fetch_article(self, url: str) -> ExtractedArticle:
        """Fetch a page safely and extract its article; raises a NewsbotError."""
        page = await self.fetcher.fetch(url)
        if page.content_type in {"text/plain", "text/markdown"}:
            check_bytes(page.content, url)
            text_body = page.content.decode(page.encoding or "utf-8", errors="replace")
            article = replace(await asyncio.to_thread(parse_text_article, text_body), url=page.url)
            refuse_junk(article.text, url)
            return article
        return await self.worker.run(extract_page, page.content, page.url, where=url)

    async def add_url(self, url: str) -> IngestResult:
        """Fetch a page safely, extract and store it."""
        try:
            article = await self.fetch_article(url)
        except NewsbotError as exc:
            return IngestResult.failed(url, str(exc))
        return await self.add_extracted(url, article)

    async def add_upload(self, filename: str, data: bytes, url: str | None) -> IngestResult:
        """Extract (in the worker, with its deadline) and store an uploaded file."""
        try:
            article = await self.worker.run(extract_upload, filename, data, url, where=filename)
        except NewsbotError as exc:
            return IngestResult.failed(filename, str(exc))
        return await self.add_extracted(filename, article)

    async def add_file(self, path: Path, url: str | None = None) -> IngestResult:
        """Extract and store one file."""
        try:
            article = await self.worker.run(read_file, path, url, where=path.name)
        except NewsbotError as exc:
            return IngestResult.failed(str(path), str(exc))
        except OSError as exc:
            return IngestResult.failed(str(path), exc.strerror or str(exc))
        return await self.add_extracted(str(path), article)

    async def add_files(
        self, paths: Sequence[Path], url: str | None = None, *, window: int = 8
    ) -> AsyncIterator[IngestResult]:
        """Extract and store files, results in order. Extraction (trafilatura, CPU-bound) runs
        in a worker process per core, so a folder of pages goes through as fast as the machine
        allows; each file has the extraction deadline to itself, so a hostile slow page is
        stopped at its own and the other workers go on with the rest meanwhile."""
        if len(paths) < 4:
            for path in paths:
                yield await self.add_file(path, url)
            return
        count = max(1, min(os.cpu_count() or 1, len(paths)))
        workers = [self.worker] + [ExtractionWorker(self.worker.timeout) for _ in range(count - 1)]
        free: asyncio.Queue[ExtractionWorker] = asyncio.Queue()
        for worker in workers:
            free.put_nowait(worker)
        pending: deque[tuple[Path, asyncio.Task[ExtractedArticle | IngestResult]]] = deque()
        try:
            for path in paths:
                pending.append((path, asyncio.create_task(self._extract_with(free, path, url))))
                if len(pending) >= window:
                    yield await self._store_extracted(*pending.popleft())
            while pending:
                yield await self._store_extracted(*pending.popleft())
        finally:
            for _, task in pending:  # the caller stopped early: stop the rest
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
            for worker in workers[1:]:
                worker.close()

    async def _extract_with(
        self, free: asyncio.Queue[ExtractionWorker], path: Path, url: str | None
    ) -> ExtractedArticle | IngestResult:
        """One file in the next free worker, under the deadline; the failure if it fails."""
        worker = await free.get()
        try:
            return await worker.run(read_file, path, url, where=path.name)
        except NewsbotError as exc:
            return IngestResult.failed(str(path), str(exc))
        except OSError as exc:
            return IngestResult.failed(str(path), exc.strerror or str(exc))
        finally:
            free.put_nowait(worker)

    async def _store_extracted(
        self, path: Path, task: asyncio.Task[ExtractedArticle | IngestResult]
    ) -> IngestResult:
        extracted = await task
        if isinstance(extracted, IngestResult):
            return extracted
        return await self.add_extracted(str(path), extracted)

    async def add_text(self, body: str, url: str | None = None) -> IngestResult:
        """Store pasted text (first line = title; a URL in it becomes the source link)."""
        try:
            article = await asyncio.to_thread(parse_text_article, body)
            url = source_url(url)
            refuse_junk(article.text, "the pasted text")
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
