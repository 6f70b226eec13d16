"""Tests for newsbot.feeds.opml."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsbot.feeds.opml import BadOPML, export_opml, read_opml
from newsbot.feeds.store import FeedInfo

NOW = datetime(2024, 4, 1, tzinfo=UTC)


def info(feed_id: int, url: str, title: str | None, site: str | None = None) -> FeedInfo:
    return FeedInfo(feed_id, url, title, site, None, None, 900, NOW, None, 0, False, None)


def test_read_nested_outlines_once_each_in_order() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Feedly</title></head><body>
<outline text="World" title="World">
  <outline type="rss" text="A" xmlUrl="https://a.example/feed" htmlUrl="https://a.example"/>
  <outline type="rss" text="B" xmlUrl=" https://b.example/rss "/>
</outline>
<outline type="rss" text="A again" xmlUrl="https://a.example/feed"/>
<outline text="a folder without feeds"/>
</body></opml>"""
    assert read_opml(data) == ["https://a.example/feed", "https://b.example/rss"]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"<rss></rss>", "the document is <rss>"), (b"<opml><body>", "not an OPML file")],
)
def test_not_opml(data: bytes, message: str) -> None:
    with pytest.raises(BadOPML, match=message):
        read_opml(data)


def test_export_reads_back_and_escapes() -> None:
    feeds = [
        info(1, "https://a.example/feed?x=1&y=2", 'Tom & Jerry "News"', "https://a.example"),
        info(2, "https://b.example/rss", None),
    ]
    text = export_opml(feeds, NOW)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">')
    assert "<dateCreated>Mon, 01 Apr 2024 00:00:00 GMT</dateCreated>" in text
    assert read_opml(text.encode()) == [f.url for f in feeds]
    assert 'text="Tom &amp; Jerry &quot;News&quot;"' in text
    assert 'htmlUrl="https://a.example"' in text
    assert 'text="https://b.example/rss"' in text  # no title: the URL names it
