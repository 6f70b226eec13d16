"""Tests for newsbot.ingest.pipeline: preparing articles, files and folders, JSONL, and the
Ingestor on real pages, a real HTTP server on 127.0.0.1, pasted text and bulk records."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import random
import threading
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsbot.errors import IngestError, NoArticleText, NotHTML
from newsbot.ingest.fetch import SafeFetcher
from newsbot.ingest.html import MAX_ELEMENTS
from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.pipeline import (
    Ingestor,
    IngestResult,
    expand_paths,
    extract_upload,
    iter_jsonl,
    prepare,
    read_file,
    scan_paths,
)
from newsbot.ingest.text import ExtractedArticle, content_fingerprint
from newsbot.ingest.worker import ExtractionWorker
from newsbot.service import Newsbot

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ice road opens on Lake Baikal</title></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Ice road opens on Lake Baikal</h1>
<p>The ice road across Lake Baikal opened on Monday, two weeks earlier than last year, after a
cold December froze the lake to a depth of sixty centimetres, officials in Irkutsk said.</p>
<p>Trucks of up to five tonnes may cross between Kurkut and Olkhon island. Drivers must keep their
windows open and their seat belts off, so they can leave the cab quickly if the ice cracks.</p>
<p>Local guides said tourists had already arrived to photograph the clear blue ice, which the
lake is famous for in January and February.</p>
</article><footer>Copyright The Northern Courier</footer></body></html>
"""
ARTICLE_TEXT = """Volcano erupts near Grindavík

A volcano erupted on the Reykjanes peninsula on Monday evening, the Icelandic Met Office said.

Lava flowed towards the town of Grindavík, which had been evacuated in November. No flights
were cancelled at Keflavík airport.
"""
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def extracted(text: str, title: str = "A title", url: str | None = None) -> ExtractedArticle:
    return ExtractedArticle(
        title=title, text=text, url=url, site=None, author=None, published=None, language=None
    )


# -- prepare ------------------------------------------------------------------------------------


def test_prepare_cleans_splits_and_fingerprints() -> None:
    raw = "  Para\u200b one   here.  \n\n\n\nPara two.\r\nSame paragraph."
    prepared = prepare(extracted(raw, title="  Spaced title  ", url="https://news.example/a"))
    body = "Para one here.\n\nPara two.\nSame paragraph."
    assert prepared.title == "Spaced title"
    assert prepared.text == body
    assert prepared.passages == split_into_passages(body)
    assert prepared.fingerprint == content_fingerprint(body)
    assert prepared.url == "https://news.example/a"


def test_prepare_keeps_given_passages_and_titles_untitled_text() -> None:
    prepared = prepare(extracted("First line of text\nsecond line", title=" "), ["one", "two"])
    assert prepared.passages == ["one", "two"]
    assert prepared.title == "First line of text"


def test_prepare_refuses_empty_text_naming_the_source() -> None:
    with pytest.raises(NoArticleText, match=r"No article text in 'https://news\.example/e'"):
        prepare(extracted(" \n\u200b\n ", url="https://news.example/e"))
    with pytest.raises(NoArticleText, match="'Just a title'"):
        prepare(extracted("", title="Just a title"))


def test_read_file_html(tmp_path: Path) -> None:
    path = tmp_path / "baikal.HTML"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    article = read_file(path, url="https://news.example/baikal")
    assert article.title == "Ice road opens on Lake Baikal"
    assert article.text.startswith("The ice road across Lake Baikal opened on Monday")
    assert "Copyright" not in article.text and "Home" not in article.text
    assert article.url == "https://news.example/baikal"
    assert article.language == "en"


def test_read_file_text_and_markdown(tmp_path: Path) -> None:
    txt = tmp_path / "volcano.txt"
    txt.write_text(ARTICLE_TEXT, encoding="utf-8")
    article = read_file(txt)
    assert article.title == "Volcano erupts near Grindavík"
    assert article.text.startswith("A volcano erupted on the Reykjanes peninsula")
    assert article.url is None

    md = tmp_path / "notes.md"
    md.write_text(
        "# Markdown *title*\n\nSome **bold** words, and a sentence long enough to count.\n",
        encoding="utf-8",
    )
    article = read_file(md, url="https://news.example/md")
    assert (article.title, article.url) == ("Markdown title", "https://news.example/md")
    assert article.text == "Some bold words, and a sentence long enough to count."


def test_read_file_windows_1252_text(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes("Café news\n\nThe café on the corner reopened on Monday.\n".encode("cp1252"))
    assert read_file(path).title == "Café news"


def test_read_file_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF)
    with pytest.raises(IngestError) as caught:
        read_file(path)
    assert str(caught.value) == "report.pdf: only .html, .htm, .txt and .md files can be added"


def test_expand_paths_recurses_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in [
        "b.txt",
        "a.html",
        "sub/c.md",
        "sub/deeper/d.htm",
        "sub/.hidden.txt",
        ".git/e.txt",
        "sub/.cache/f.html",
        "notes.pdf",
        "image.png",
    ]:
        path = tmp_path / "root" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    single = tmp_path / "single.pdf"  # named explicitly: passed through, read_file decides
    found = list(expand_paths([tmp_path / "root", single, tmp_path / "missing.txt"]))
    root = tmp_path / "root"
    assert found == [
        root / "a.html",
        root / "b.txt",
        root / "sub" / "c.md",
        root / "sub" / "deeper" / "d.htm",
        single,
        tmp_path / "missing.txt",
    ]


def test_iter_jsonl_reports_broken_lines_and_skips_blank_ones() -> None:
    lines = ['{"title": "A"}\n', "\n", "{not json\n", "  \n", '{"title": "B"}']
    found = list(iter_jsonl(lines, "articles.jsonl"))
    assert [label for label, _ in found] == [
        "articles.jsonl:1",
        "articles.jsonl:3",
        "articles.jsonl:5",
    ]
    assert found[0][1] == {"title": "A"}
    assert found[2][1] == {"title": "B"}
    error = found[1][1]
    assert isinstance(error, IngestError)
    assert str(error) == (
        "not valid JSON (Expecting property name enclosed in double quotes at column 2)"
    )


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


# ---------------------------------------------------------------------- hostile files and text

STORY = "Ice road opens\n\nThe ice road across the lake opened on Monday, officials said today."


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("story.txt", STORY)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("noise.txt", random.Random(7).randbytes(20_000), "binary file"),
        ("noise.html", random.Random(8).randbytes(20_000), "binary file"),
        ("story.txt", _zip_bytes(), "zip archive"),
        ("story.md", gzip.compress(STORY.encode(), mtime=0), "gzip-compressed"),
        (
            "story.html",
            gzip.compress(b"<html><body><p>x</p></body></html>", mtime=0),
            "gzip-compressed",
        ),
        ("story.txt", STORY.encode() + b"\x00\x01\x02" * 100, "binary file"),
    ],
)
def test_binary_files_are_refused_by_their_bytes(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(NotHTML, match=reason):
        extract_upload(name, data)


@pytest.mark.parametrize(
    "data",
    [
        STORY.encode("utf-16"),
        codecs.BOM_UTF16_BE + STORY.encode("utf-16-be"),
        STORY.encode("utf-32"),
        STORY.encode("utf-8-sig"),
    ],
)
def test_byte_order_marks_are_read_and_never_reach_the_title(data: bytes) -> None:
    article = extract_upload("story.txt", data)
    assert article.title == "Ice road opens"
    assert article.text.startswith("The ice road")


def test_utf16_html_with_bom_is_read() -> None:
    article = extract_upload("baikal.html", ARTICLE_HTML.encode("utf-16"))
    assert article.title == "Ice road opens on Lake Baikal"


def test_text_upload_honours_the_given_url_and_refuses_other_schemes() -> None:
    article = extract_upload("story.txt", STORY.encode(), "https://news.example/ice")
    assert article.url == "https://news.example/ice"
    for bad in ("javascript:alert(1)", "notaurl", "ftp://x.org/a", "data:text/html,x"):
        with pytest.raises(IngestError, match="must be an http"):
            extract_upload("story.txt", STORY.encode(), bad)


async def test_source_links_refused_everywhere(service: Newsbot, tmp_path: Path) -> None:
    pasted = await service.ingestor.add_text(STORY, url="javascript:alert(1)")
    assert pasted.status == "failed" and "must be an http" in (pasted.reason or "")
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    filed = await service.ingestor.add_file(story, "javascript:alert(1)")
    assert filed.status == "failed" and "must be an http" in (filed.reason or "")
    assert await service.store.count() == 0


def _paragraphs_page(count: int) -> str:
    return "<html><body>" + "".join(f"<p>w{i}</p>" for i in range(count)) + "</body></html>"


def test_pages_with_too_many_elements_are_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(NoArticleText, match="HTML elements"):
        extract_upload("many.html", _paragraphs_page(MAX_ELEMENTS + 10_000).encode())
    assert time.monotonic() - started < 2


def test_mostly_tiny_paragraphs_are_refused() -> None:
    with pytest.raises(NoArticleText, match="mostly scraps"):
        extract_upload("many.html", _paragraphs_page(5_000).encode())
    text = "A title\n\n" + "\n\n".join(f"ok {i}" for i in range(500))
    with pytest.raises(NoArticleText, match="mostly scraps"):
        extract_upload("many.txt", text.encode())


def test_directory_listing_is_not_an_article() -> None:
    items = "".join(f'<li><a href="file{i}.txt">file{i}.txt</a></li>' for i in range(30))
    page = (
        "<!DOCTYPE HTML><html><head><title>Directory listing for /</title></head><body>"
        f"<h1>Directory listing for /</h1><hr><ul>{items}</ul><hr></body></html>"
    )
    with pytest.raises(NoArticleText, match="directory listing"):
        extract_upload("index.html", page.encode())


async def test_slow_extraction_is_stopped_at_the_deadline_and_the_worker_recovers() -> None:
    worker = ExtractionWorker(timeout=30)
    try:
        # Started (and its start, which the deadline doesn't count, over) by a first page.
        article = await worker.run(extract_upload, "ok.html", ARTICLE_HTML.encode(), where="ok")
        worker.timeout = 0.5
        page = _paragraphs_page(MAX_ELEMENTS - 100).encode()  # under the cap: ~4 s of trafilatura
        started = time.monotonic()
        with pytest.raises(NoArticleText, match=r"took longer than 0\.5 s"):
            await worker.run(extract_upload, "slow.html", page, where="slow.html")
        assert time.monotonic() - started < 3
        worker.timeout = 30
        article = await worker.run(extract_upload, "ok.html", ARTICLE_HTML.encode(), where="ok")
        assert article.title == "Ice road opens on Lake Baikal"
    finally:
        worker.close()


async def test_a_slow_file_in_a_folder_gets_its_own_deadline_not_the_others(
    service: Newsbot, tmp_path: Path
) -> None:
    """A folder of 4+ files goes through the worker processes in parallel: a hostile slow page
    among them is stopped at its own deadline and the other files are added meanwhile."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "0-slow.html").write_bytes(_paragraphs_page(MAX_ELEMENTS - 100).encode())
    for n in range(1, 6):
        page = ARTICLE_HTML.replace("Lake Baikal", f"Lake Number {n}")
        (folder / f"{n}-ok.html").write_text(page, encoding="utf-8")
    paths, _ = scan_paths([folder])
    service.ingestor.worker.timeout = 1.0
    started = time.monotonic()
    results = [r async for r in service.ingestor.add_files(paths)]
    elapsed = time.monotonic() - started
    assert [(Path(r.source).name, r.status) for r in results] == [
        ("0-slow.html", "failed"),
        *((f"{n}-ok.html", "added") for n in range(1, 6)),
    ]
    assert results[0].reason == "Reading 0-slow.html took longer than 1 s; not added"
    # Without its deadline the slow page held the run ~20 s on a busy 2-core machine; with it,
    # the workers' start (not counted in any deadline) and 1 s.
    assert elapsed < 10
    assert await service.store.count() == 5
