"""Tests for newsbot.feeds.parse: feed shapes, autodiscovery, interval hints."""

from __future__ import annotations

import pytest

from newsbot.feeds.content import carries_article
from newsbot.feeds.parse import NotAFeed, discover_feeds, interval_hint, parse_feed
from tests.helpers.feeds import FIXTURES, rss

BASE = "http://127.0.0.1:8080/news/atom.xml"


def test_atom_relative_links_resolve_against_xml_base_and_the_feed_url() -> None:
    parsed = parse_feed((FIXTURES / "atom_relative_links.xml").read_bytes(), BASE)
    assert parsed.site == "http://127.0.0.1:8080/"
    assert [item.link for item in parsed.items] == [
        "http://127.0.0.1:8080/news/story-2.html",
        "http://127.0.0.1:8080/news/story-1.html",
    ]
    first = parsed.items[0]
    assert first.guid == "tag:loopback-herald.example,2024:story-2"
    assert (
        first.published is not None and first.published.isoformat() == "2024-03-30T09:00:00+00:00"
    )
    assert first.content is None and first.summary == "<p>A short teaser for story two.</p>"
    assert carries_article(first.summary) is None  # a teaser: the link is fetched


def test_rss_content_encoded_is_the_whole_article_without_the_cms_footer() -> None:
    parsed = parse_feed((FIXTURES / "wordpress_content_encoded.xml").read_bytes(), BASE)
    assert (parsed.title, parsed.ttl_minutes, len(parsed.items)) == ("The Fjord Gazette", 30, 2)
    item = parsed.items[0]
    assert item.guid == "https://fjord.example/?p=48211" and item.author == "Ingrid Solberg"
    text = carries_article(item.content)
    assert text is not None
    assert text.startswith("The county ferry company will run four extra crossings")
    assert "\n\nThe new timetable adds departures" in text
    assert "appeared first on" not in text and "Photo: Fjord Gazette" not in text


def test_rss_items_without_guid_or_date_keep_what_they_have() -> None:
    body = rss([("", "http://x.example/a", "A")]).replace('<guid isPermaLink="false"></guid>', "")
    [item] = parse_feed(body.encode(), "http://x.example/feed").items
    # feedparser falls back to the link as the id, which is what readers do too.
    assert item.link == "http://x.example/a" and item.title == "A"


@pytest.mark.parametrize(
    "data",
    [b"<html><body><p>A page</p></body></html>", b"", b'{"not": "xml"}', b"plain words"],
)
def test_what_is_not_a_feed_says_so(data: bytes) -> None:
    with pytest.raises(NotAFeed, match="not an RSS or Atom feed"):
        parse_feed(data, BASE)


def test_autodiscovery_finds_rss_and_atom_links_in_order_resolved() -> None:
    page = b"""<!doctype html><html><head>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="All" href="/feed/">
<LINK REL="Alternate" TYPE="application/atom+xml; charset=utf-8" HREF="atom.xml">
<link rel="alternate" type="application/rss+xml" href="/feed/">
<link rel="alternate" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body></body></html>"""
    assert discover_feeds(page, "https://news.example/world/index.html") == [
        "https://news.example/feed/",
        "https://news.example/world/atom.xml",
    ]
    assert discover_feeds(b"<html><body>no feed</body></html>", "https://x.example/") == []


@pytest.mark.parametrize(
    ("ttl", "cache_control", "expected"),
    [
        (None, "", None),
        (30, "", 1800),
        (0, "", None),
        (None, "max-age=10", 60),
        (None, "public, max-age=7200", 7200),
        (None, 'max-age="600"', 600),
        (30, "max-age=300", 300),  # the response's header beats the document's ttl
        (100_000, "", 86400),
        (None, "no-cache", None),
    ],
)
def test_interval_hint_is_bounded(
    ttl: int | None, cache_control: str, expected: int | None
) -> None:
    assert interval_hint(ttl, {"cache-control": cache_control}) == expected
