"""Tests for newsbot.ingest.pipeline: preparing articles, and reading files, folders and JSONL.

prepare() cleans, splits and fingerprints a text or refuses it; read_file() reads HTML, text and
Markdown files in their encodings; expand_paths() walks folders; iter_jsonl() reports broken
lines. All on files written to tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.errors import IngestError, NoArticleText
from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.pipeline import expand_paths, iter_jsonl, prepare, read_file
from newsbot.ingest.text import ExtractedArticle, content_fingerprint
from tests.helpers.pipeline import ARTICLE_HTML, ARTICLE_TEXT, PDF


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
