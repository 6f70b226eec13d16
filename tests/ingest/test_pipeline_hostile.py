"""Tests for newsbot.ingest.pipeline on hostile files and text.

Binary and compressed files refused by their bytes, byte order marks, source links that are not
http(s), pages with too many elements or mostly scraps, directory listings, and extraction that
is too slow: stopped at its deadline, in one worker and in a folder read in parallel.
"""

from __future__ import annotations

import codecs
import gzip
import io
import random
import time
import zipfile
from pathlib import Path

import pytest

from newsbot.errors import IngestError, NoArticleText, NotHTML
from newsbot.ingest.html import MAX_ELEMENTS
from newsbot.ingest.pipeline import extract_upload, scan_paths
from newsbot.ingest.worker import ExtractionWorker
from newsbot.service import Newsbot
from tests.helpers.pipeline import ARTICLE_HTML

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
