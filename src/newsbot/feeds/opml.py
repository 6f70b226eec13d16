"""OPML, the format feed readers import and export subscription lists in."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime

from newsbot.errors import NewsbotError
from newsbot.feeds.store import FeedInfo


class BadOPML(NewsbotError):
    """The file is not OPML (or not XML at all)."""


def read_opml(data: bytes) -> list[str]:
    """Feed URLs in an OPML document (every outline's xmlUrl, nested folders included)."""
    try:
        # An operator's own file; expat (2.4.1 and later) refuses entity-expansion bombs and
        # ElementTree never fetches external entities.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise BadOPML(f"not an OPML file: {exc}") from None
    if root.tag.lower() != "opml":
        raise BadOPML(f"not an OPML file: the document is <{root.tag}>, not <opml>")
    urls: list[str] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in urls:
            urls.append(url)
    return urls


def export_opml(feeds: Iterable[FeedInfo], now: datetime) -> str:
    """An OPML 2.0 document of `feeds`, for any feed reader."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "newsbot feeds"
    ET.SubElement(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.site:
            attributes["htmlUrl"] = feed.site
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
