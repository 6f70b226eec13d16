"""Tests for newsbot.ingest.html and .text: HTML pages, normalisation, fingerprints."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.errors import NoArticleText
from newsbot.ingest.html import extract_html
from newsbot.ingest.text import ExtractedArticle, content_fingerprint, normalize_text

DATA = Path(__file__).resolve().parents[1] / "data" / "pages"
TRUTH: dict[str, dict[str, str]] = json.loads(
    (DATA / "ground-truth.json").read_text(encoding="utf-8")
)


def token_f1(expected: str, predicted: str) -> float:
    """The extraction benchmark's token F1 (bags of whitespace tokens)."""
    want, got = Counter(expected.split()), Counter(predicted.split())
    overlap = sum((want & got).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


# --- normalisation and fingerprints ------------------------------------------------------------


def test_normalize_text() -> None:
    raw = (
        "  Cafe\u0301 \u200bopens\u00a0 today\x07  \r\n"
        "second\tline\ufeff\r\n\r\n\r\n\r\n\nnext\u2028para\u00adgraph  \n\n"
    )
    assert normalize_text(raw) == "Café opens today\nsecond line\n\nnext\nparagraph"


def test_normalize_text_keeps_joiners() -> None:
    persian = "می\u200cخواهم"  # ZWNJ is part of the spelling
    family = "👨\u200d👩\u200d👧"
    assert normalize_text(f"{persian} {family}") == f"{persian} {family}"


def test_content_fingerprint() -> None:
    a = "The Forum opened.\n\nIt was — as expected — busy!"
    b = "the forum   opened\nit was as expected busy"
    assert content_fingerprint(a) == content_fingerprint(b)
    assert content_fingerprint(a) != content_fingerprint("The forum closed. It was busy.")
    assert len(content_fingerprint("")) == 64


# --- HTML: real pages --------------------------------------------------------------------------

PAGES = sorted(TRUTH)
EXPECTED_LANGUAGE = {"06ee193d": "en", "0e014df6": "en", "23aaecd1": "pt", "c4a3637c": "ru"}


def _page(page_id: str) -> bytes:
    return gzip.decompress((DATA / f"{page_id}.html.gz").read_bytes())


@pytest.mark.parametrize("page_id", PAGES, ids=[p[:8] for p in PAGES])
def test_real_page(page_id: str) -> None:
    truth = TRUTH[page_id]
    article = extract_html(_page(page_id), url=truth["url"])
    assert isinstance(article, ExtractedArticle)
    assert token_f1(truth["articleBody"], article.text) >= 0.9
    assert 10 <= len(article.title) <= 200
    assert article.title not in article.text.split("\n\n")[0]
    assert article.url == truth["url"]
    assert article.site
    assert article.published is not None
    assert article.published.tzinfo == UTC
    assert datetime(2010, 1, 1, tzinfo=UTC) < article.published < datetime(2020, 1, 1, tzinfo=UTC)
    if page_id[:8] in EXPECTED_LANGUAGE:
        assert article.language == EXPECTED_LANGUAGE[page_id[:8]]
    assert "\n\n\n" not in article.text


def test_real_page_metadata() -> None:
    page_id = next(p for p in PAGES if p.startswith("06ee193d"))
    article = extract_html(_page(page_id), url=TRUTH[page_id]["url"])
    assert article.title == (
        "The VW ID. SPACE VIZZION is a weird EV sports wagon with a secret message"
    )
    assert article.site == "SlashGear"
    assert article.author == "Chris Davies"
    assert article.published == datetime(2019, 11, 20, 4, 31, 13, tzinfo=UTC)


def test_real_page_as_text_gives_same_article() -> None:
    page_id = PAGES[0]
    html = _page(page_id)
    assert extract_html(html.decode("utf-8"), url=TRUTH[page_id]["url"]).text == (
        extract_html(html, url=TRUTH[page_id]["url"]).text
    )


def test_same_page_twice_gives_same_text() -> None:
    # trafilatura's deduplication cache is process-wide; it must stay off so a re-sent page is
    # extracted in full and recognised as a duplicate by the store instead.
    page_id = PAGES[1]
    first = extract_html(_page(page_id))
    second = extract_html(_page(page_id))
    assert first.text == second.text


# --- HTML: made-up pages -----------------------------------------------------------------------

PARAGRAPHS = "".join(
    f"<p>Paragraph {i} of the report says the council will vote on the budget next week, "
    f"after months of talks with the unions.</p>"
    for i in range(6)
)


def _html(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def test_html_headings_are_own_paragraphs() -> None:
    body = (
        f"<article><h1>Council to vote on budget</h1>{PARAGRAPHS}<h2>What happens next</h2>"
        f"{PARAGRAPHS}</article>"
    )
    article = extract_html(_html("<title>Council to vote on budget | City News</title>", body))
    paragraphs = article.text.split("\n\n")
    assert article.title == "Council to vote on budget"
    assert paragraphs[0].startswith("Paragraph 0")  # the <h1> title is not repeated in the text
    assert "What happens next" in paragraphs
    assert article.language == "en"


CANONICAL_CASES = [
    # (tags in <head>, URL given to extract_html, expected article URL)
    ('<link rel="canonical" href="https://a.example/s">', None, "https://a.example/s"),
    ('<link rel="canonical" href="/s?id=1">', "https://b.example/x", "https://b.example/s?id=1"),
    ('<meta property="og:url" content="https://c.example/og">', None, "https://c.example/og"),
    (
        '<link rel="canonical" href="javascript:void(0)">',
        "https://d.example/x",
        "https://d.example/x",
    ),
    # a canonical link to the home page on an article is a template bug: keep the article URL
    (
        '<link rel="canonical" href="https://e.example/">',
        "https://e.example/a/b",
        "https://e.example/a/b",
    ),
    ("", "https://f.example/story#comments", "https://f.example/story"),
    ("", None, None),
]


@pytest.mark.parametrize(("head", "given", "expected"), CANONICAL_CASES)
def test_html_canonical_url(head: str, given: str | None, expected: str | None) -> None:
    article = extract_html(
        _html(f"<title>Budget</title>{head}", f"<article>{PARAGRAPHS}</article>"), url=given
    )
    assert article.url == expected


def test_html_title_and_site_fallbacks() -> None:
    article = extract_html(_html("", f"<div>{PARAGRAPHS}</div>"), url="https://www.city.example/a")
    assert article.title.startswith("Paragraph 0 of the report")
    assert article.site == "city.example"


def test_html_short_news_item_is_kept() -> None:
    body = (
        "<article><h1>Quake hits coast</h1><p>A magnitude 6.1 earthquake struck off the coast "
        "on Friday. No damage was reported.</p></article>"
    )
    article = extract_html(_html("<title>Quake hits coast</title>", body))
    assert article.text == (
        "A magnitude 6.1 earthquake struck off the coast on Friday. No damage was reported."
    )


LOGIN = _html(
    "<title>Sign in</title>",
    "<form><label>Email</label><input name=email><label>Password</label>"
    "<input type=password name=pw><button>Sign in</button></form>"
    "<a href='/forgot'>Forgot your password?</a>",
)


@pytest.mark.parametrize(
    "html",
    [
        LOGIN,
        _html("<title>Nothing</title>"),
        "",
        b"",
        "<html></html>",
        _html("<title>Menu</title>", "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"),
        _html("<title>Just a title</title>", "<p>Subscribe</p>"),
    ],
    ids=["login", "empty body", "empty str", "empty bytes", "bare", "nav only", "one word"],
)
def test_html_without_article_text(html: str | bytes) -> None:
    with pytest.raises(
        NoArticleText, match=re.escape("No article text found in https://x.example/p")
    ):
        extract_html(html, url="https://x.example/p")


def test_html_without_article_text_names_the_page_when_no_url() -> None:
    with pytest.raises(NoArticleText, match="the page"):
        extract_html(LOGIN)


@pytest.mark.parametrize(
    "html",
    [
        bytes(range(256)) * 64,
        b"\xff\xfe\x00<\x00h\x00t\x00m\x00l" * 100,
        "<html><body>" + "<div>" * 20_000 + "<p>Deep. " * 50 + "</div>" * 20_000,
        "<html><body><p>" + "x" * 2_000_000 + "</p></body></html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>Déjà vu.</p></body></html>",
        "<html><body><table>" + "<tr><td>cell</td>" * 5000 + "</table></body></html>",
    ],
    ids=["garbage", "utf16-ish", "deep nesting", "huge word", "xml decl", "table soup"],
)
def test_html_odd_input_does_not_crash(html: str | bytes) -> None:
    try:
        article = extract_html(html)
    except NoArticleText:
        return
    assert isinstance(article.text, str)
    assert article.text


def test_html_latin1_page() -> None:
    body = "<article>" + "<p>Le café était très chaud, dit la serveuse à Paris ce matin.</p>" * 3
    body += "<p>Les clients étaient ravis du résultat, et la terrasse était pleine.</p></article>"
    html = _html("<meta charset='iso-8859-1'><title>Café</title>", body, lang="fr-FR")
    article = extract_html(html.encode("latin-1"))
    assert "Le café était très chaud" in article.text
    assert article.language == "fr"
