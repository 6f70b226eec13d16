"""Reading feeds: RSS 2.0, Atom and RDF with feedparser, autodiscovery in HTML pages, and the
poll interval a feed asks for (its <ttl>, or the response's Cache-Control max-age).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import urljoin

import feedparser

from newsbot.errors import NewsbotError

MIN_INTERVAL: Final = 60  # seconds: a feed's own hint is kept within 1 min ...
MAX_INTERVAL: Final = 24 * 3600  # ... and 24 h
FEED_LINK_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml"}
)
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


class NotAFeed(NewsbotError):
    """The bytes are not RSS, Atom or RDF."""


@dataclass(frozen=True)
class FeedItem:
    """One entry as the feed lists it; `content` is the full article HTML when it carries one."""

    guid: str | None
    link: str | None
    title: str
    content: str | None
    summary: str | None
    published: datetime | None
    author: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site: str | None  # the site's home page, as the feed links it
    ttl_minutes: int | None
    items: list[FeedItem]


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """Parse feed bytes fetched from `url` (relative links resolve against it); NotAFeed."""
    # feedparser takes the base URL from Content-Location; it never fetches anything itself
    # when given bytes.
    # No sanitizing or URI rewriting inside the HTML: only its text is kept (content.py), and
    # those two passes are most of feedparser's time on full-content feeds.
    parsed: Any = feedparser.parse(
        data,
        response_headers={"content-location": url},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise NotAFeed(f"not an RSS or Atom feed{f' ({reason})' if reason else ''}")
    feed = parsed.feed
    return ParsedFeed(
        title=_clean(feed.get("title")),
        site=_clean(feed.get("link")),
        ttl_minutes=_int(feed.get("ttl")),
        items=[_item(entry) for entry in parsed.entries],
    )


def _item(entry: Any) -> FeedItem:
    contents = [c for c in entry.get("content", []) if c.get("value")]
    html_parts = [c["value"] for c in contents if "html" in (c.get("type") or "")]
    content = "\n".join(html_parts or [c["value"] for c in contents]) or None
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(
        guid=_clean(entry.get("id")),
        link=_clean(entry.get("link")),
        title=_clean(entry.get("title")) or "",
        content=content,
        summary=_clean(entry.get("summary")),
        published=datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else None,
        author=_clean(entry.get("author")),
    )


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def interval_hint(ttl_minutes: int | None, headers: Mapping[str, str]) -> int | None:
    """Seconds the feed asks to be left alone: Cache-Control max-age, else <ttl>; bounded."""
    seconds: int | None = None
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if match:
        seconds = int(match.group(1))
    elif ttl_minutes is not None and ttl_minutes > 0:
        seconds = ttl_minutes * 60
    if seconds is None:
        return None
    return max(MIN_INTERVAL, min(MAX_INTERVAL, seconds))


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (type, href)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {key.lower(): (value or "") for key, value in attrs}
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_LINK_TYPES and values.get("href", "").strip():
            self.found.append((kind, values["href"].strip()))


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """The feeds a page announces with <link rel="alternate" type="application/rss+xml">."""
    parser = _AlternateLinks()
    parser.feed(html.decode("utf-8", errors="replace"))
    parser.close()
    urls: list[str] = []
    for _kind, href in parser.found:
        absolute = urljoin(base_url, href)
        if absolute.startswith(("http://", "https://")) and absolute not in urls:
            urls.append(absolute)
    return urls
