"""Tests for newsbot.ingest.records: the one JSON article format, read and written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsbot.db.articles import ArticleInfo, StoredArticle
from newsbot.errors import IngestError
from newsbot.ingest.records import article_from_json, export_json, listing_json
from newsbot.ingest.text import ExtractedArticle

# -- JSON records -------------------------------------------------------------------------------


def test_article_from_json_reads_every_field() -> None:
    record = {
        "id": 7,
        "url": "https://news.example/baikal",
        "title": " Ice road opens ",
        "text": "The ice road opened.",
        "published": "2024-01-15T09:30:00Z",
        "site": "The Northern Courier",
        "author": "Anna Petrova",
        "language": "en",
        "passages": ["The ice road opened.", "", 5],
    }
    article, passages = article_from_json(record)
    assert article == ExtractedArticle(
        title="Ice road opens",
        text="The ice road opened.",
        url="https://news.example/baikal",
        site="The Northern Courier",
        author="Anna Petrova",
        published=datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
        language="en",
    )
    assert passages == ["The ice road opened."]  # blanks and non-strings dropped


def test_article_from_json_dates_without_zone_are_utc_and_offsets_kept() -> None:
    naive, _ = article_from_json({"title": "T", "text": "x", "published": "2024-01-15T09:30"})
    assert naive.published == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    offset, _ = article_from_json(
        {"title": "T", "text": "x", "published": "2024-01-15T11:30+02:00"}
    )
    assert offset.published == datetime(2024, 1, 15, 11, 30, tzinfo=timezone(timedelta(hours=2)))


def test_article_from_json_text_from_passages_and_empty_strings_as_null() -> None:
    article, passages = article_from_json(
        {"title": "T", "passages": ["One.", "Two."], "url": "", "site": "", "author": None}
    )
    assert article.text == "One.\n\nTwo."
    assert passages == ["One.", "Two."]
    assert (article.url, article.site, article.author, article.published) == (None,) * 4


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1, 2], "expected a JSON object, got list"),
        ("text", "expected a JSON object, got str"),
        ({"title": "T"}, '"text" must be a non-empty string'),
        ({"title": "T", "text": "  "}, '"text" must be a non-empty string'),
        ({"title": "T", "text": 5}, '"text" must be a non-empty string'),
        ({"text": "Body."}, '"title" must be a non-empty string'),
        ({"title": 5, "text": "Body."}, '"title" must be a non-empty string'),
        ({"title": "T", "text": "B", "url": 5}, '"url" must be a string or null, got 5'),
        ({"title": "T", "text": "B", "site": []}, '"site" must be a string or null, got []'),
        ({"title": "T", "text": "B", "author": {}}, '"author" must be a string or null, got {}'),
        ({"title": "T", "text": "B", "language": 1}, '"language" must be a string or null, got 1'),
        (
            {"title": "T", "text": "B", "published": "yesterday"},
            "\"published\" is not an ISO-8601 date: 'yesterday'",
        ),
        (
            {"title": "T", "text": "B", "published": 2021},
            '"published" is not an ISO-8601 date: 2021',
        ),
        (
            {"title": "T", "text": "B", "url": "ftp://files.example/a"},
            "\"url\" must be an http(s) URL, got 'ftp://files.example/a'",
        ),
    ],
)
def test_article_from_json_errors_name_the_field(record: object, message: str) -> None:
    with pytest.raises(IngestError) as caught:
        article_from_json(record)
    assert str(caught.value) == message


ADDED = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1).filter(
    str.strip
)
optional = st.none() | words


@given(
    title=words,
    text=words,
    passages=st.lists(words, max_size=4),
    url=st.sampled_from([None, "https://news.example/a?b=1&c=é", "http://x.example/"]),
    site=optional,
    author=optional,
    language=optional,
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_an_exported_record_ingests_back_to_the_same_article(
    title: str,
    text: str,
    passages: list[str],
    url: str | None,
    site: str | None,
    author: str | None,
    language: str | None,
    published: datetime | None,
) -> None:
    info = ArticleInfo(7, title.strip(), url, site, author, published, language, ADDED)
    line = json.dumps(export_json(StoredArticle(info, text, passages)), ensure_ascii=False)
    article, kept = article_from_json(json.loads(line))
    assert article == ExtractedArticle(info.title, text, url, site, author, published, language)
    assert kept == (passages or None)


def test_export_and_listing_shapes() -> None:
    info = ArticleInfo(
        3, "T", None, "Site", None, datetime(2021, 9, 25, 21, 58, tzinfo=UTC), "en", ADDED
    )
    assert export_json(StoredArticle(info, "Body.", ["Body."])) == {
        "id": 3, "url": None, "title": "T", "text": "Body.",
        "published": "2021-09-25T21:58:00+00:00", "site": "Site", "author": None,
        "language": "en", "passages": ["Body."],
    }  # fmt: skip
    assert listing_json(info) == {
        "id": 3, "url": None, "title": "T", "site": "Site",
        "published": "2021-09-25T21:58:00+00:00", "added": "2024-02-01T08:00:00+00:00",
    }  # fmt: skip
