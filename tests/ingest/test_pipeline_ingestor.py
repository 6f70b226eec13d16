"""Tests for newsbot.ingest.pipeline.Ingestor: adding articles to the store.

Files (the real pages of tests/data/pages, and files that fail with a reason), URLs served by a
real HTTP server on 127.0.0.1 (duplicates, plain text, failures that store nothing, loopback
refused by the service by default), pasted text and bulk records with a bad one among them.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsbot.errors import IngestError
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.pipeline import Ingestor, IngestResult
from newsbot.service import Newsbot
from tests.helpers.pipeline import ARTICLE_HTML, ARTICLE_TEXT, PDF

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"


# -- the Ingestor -------------------------------------------------------------------------------


@pytest.fixture
def page_files(tmp_path: Path) -> list[Path]:
    """The real pages of tests/data/pages, unpacked to .html files."""
    out = []
    for packed in sorted(PAGES.glob("*.html.gz")):
        path = tmp_path / "pages" / packed.name.removesuffix(".gz")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(gzip.decompress(packed.read_bytes()))
        out.append(path)
    return out


async def test_add_file_on_real_pages(service: Newsbot, page_files: list[Path]) -> None:
    truth = json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    results = [await service.ingestor.add_file(path) for path in page_files]
    assert [r.status for r in results] == ["added"] * len(page_files)
    assert [r.article_id for r in results] == list(range(1, len(page_files) + 1))
    for path, result in zip(page_files, results, strict=True):
        assert result.source == str(path)
        assert result.title
        assert result.passages >= 1
        stored = await service.store.get(result.article_id or 0)
        assert stored.passage_count == result.passages
        assert stored.title == result.title
        # No URL was given: the page's canonical link is the source.
        page_id = path.name.removesuffix(".html")
        assert stored.url is not None
        assert (
            stored.url.rstrip("/").split("//")[1]
            == truth[page_id]["url"].rstrip("/").split("//")[1]
        )

    # The same page again is a duplicate of the stored article; nothing new is stored.
    again = await service.ingestor.add_file(page_files[0])
    assert (again.status, again.article_id) == ("duplicate", 1)
    assert await service.store.count() == len(page_files)


async def test_add_file_failures_give_a_reason(service: Newsbot, tmp_path: Path) -> None:
    missing = await service.ingestor.add_file(tmp_path / "missing.html")
    assert missing == IngestResult.failed(
        str(tmp_path / "missing.html"), "No such file or directory"
    )
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(PDF)
    refused = await service.ingestor.add_file(pdf)
    assert refused.status == "failed"
    assert refused.reason == "report.pdf: only .html, .htm, .txt and .md files can be added"
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    no_text = await service.ingestor.add_file(empty)
    assert (no_text.status, no_text.reason) == ("failed", "No article text found in the page")
    assert await service.store.count() == 0


class LocalSite(ThreadingHTTPServer):
    """A news site on 127.0.0.1 whose handler threads are joined on close."""

    daemon_threads = False
    block_on_close = True

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/baikal.html": (200, "text/html; charset=utf-8", ARTICLE_HTML.encode()),
    "/volcano.txt": (200, "text/plain; charset=utf-8", ARTICLE_TEXT.encode()),
    "/report.pdf": (200, "application/pdf", PDF),
}
NOT_FOUND = (404, "text/html", b"<html><body><h1>Not found</h1></body></html>")


class SiteHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        status, content_type, body = ROUTES.get(self.path, NOT_FOUND)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[str]:
    server = LocalSite(("127.0.0.1", 0), SiteHandler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
async def local_ingestor(service: Newsbot) -> AsyncIterator[Ingestor]:
    fetcher = SafeFetcher(allow_private=True)
    try:
        yield Ingestor(service.store, fetcher, service.ingestor.worker)
    finally:
        await fetcher.aclose()


async def test_add_url_html_then_duplicate(local_ingestor: Ingestor, site: str) -> None:
    url = f"{site}/baikal.html"
    first = await local_ingestor.add_url(url)
    assert (first.status, first.source, first.article_id) == ("added", url, 1)
    assert first.title == "Ice road opens on Lake Baikal"
    stored = await local_ingestor.store.get(1)
    assert stored.url == url
    assert stored.passage_count == first.passages >= 1

    again = await local_ingestor.add_url(url)
    assert (again.status, again.article_id) == ("duplicate", 1)
    assert await local_ingestor.store.count() == 1


async def test_add_url_plain_text(local_ingestor: Ingestor, site: str) -> None:
    result = await local_ingestor.add_url(f"{site}/volcano.txt")
    assert (result.status, result.title) == ("added", "Volcano erupts near Grindavík")
    assert (await local_ingestor.store.get(1)).url == f"{site}/volcano.txt"


async def test_add_url_failures_store_nothing(local_ingestor: Ingestor, site: str) -> None:
    missing = await local_ingestor.add_url(f"{site}/gone.html")
    assert (missing.status, missing.source) == ("failed", f"{site}/gone.html")
    assert missing.reason is not None and "404" in missing.reason

    pdf = await local_ingestor.add_url(f"{site}/report.pdf")
    assert pdf.status == "failed"
    assert pdf.reason is not None and "PDF" in pdf.reason

    refused = await local_ingestor.add_url("ftp://127.0.0.1/file.html")
    assert refused.status == "failed"
    assert refused.reason == "Only http and https URLs can be added: ftp://127.0.0.1/file.html"
    assert await local_ingestor.store.count() == 0


async def test_service_refuses_loopback_by_default(service: Newsbot, site: str) -> None:
    # NEWSBOT_ALLOW_PRIVATE_URLS is off in the test settings: the service's fetcher says no.
    result = await service.ingestor.add_url(f"{site}/baikal.html")
    assert result.status == "failed"
    assert result.reason is not None and result.reason.startswith("Refusing")
    assert await service.store.count() == 0


async def test_add_text(service: Newsbot) -> None:
    body = (
        "Lake Baikal ice road opens\n\nThe ice road across Lake Baikal opened on Monday, "
        "officials said. Trucks may cross from January.\n\nSource: https://news.example/baikal"
    )
    result = await service.ingestor.add_text(body)
    assert (result.status, result.source, result.title) == (
        "added",
        "https://news.example/baikal",
        "Lake Baikal ice road opens",
    )
    stored = await service.store.get(1)
    assert stored.url == "https://news.example/baikal"
    assert (await service.store.first_passages([1]))[1].startswith("The ice road across")

    given = await service.ingestor.add_text(
        "Another story\n\nA different text here.", "https://n.example/2"
    )
    assert (given.status, given.source) == ("added", "https://n.example/2")

    empty = await service.ingestor.add_text("  \n ")
    assert empty == IngestResult.failed("pasted text", "No article text found in the text")


async def test_add_records_bulk_with_a_bad_record_in_the_middle(service: Newsbot) -> None:
    def record(n: int) -> dict[str, Any]:
        return {"url": f"https://news.example/{n}", "title": f"Story {n}", "text": f"Text {n}."}

    records: list[tuple[str, object]] = [
        ("in:1", record(1)),
        ("in:2", {"title": "No text"}),
        ("in:3", IngestError("not valid JSON (Expecting value at column 1)")),
        ("in:4", record(2)),
        ("in:5", record(1)),  # a duplicate inside the same bulk load
        ("in:6", record(3)),
    ]
    results = [r async for r in service.ingestor.add_records(records, batch_size=2)]
    by_source = {r.source: r for r in results}
    assert sorted(by_source) == [f"in:{i}" for i in range(1, 7)]
    assert [
        (by_source[f"in:{i}"].status, by_source[f"in:{i}"].article_id) for i in range(1, 7)
    ] == [
        ("added", 1),
        ("failed", None),
        ("failed", None),
        ("added", 2),
        ("duplicate", 1),
        ("added", 3),
    ]
    assert by_source["in:2"].reason == '"text" must be a non-empty string'
    assert by_source["in:3"].reason == "not valid JSON (Expecting value at column 1)"
    assert [a.title for a in await service.store.newest(10)] == ["Story 3", "Story 2", "Story 1"]
