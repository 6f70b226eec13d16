"""A news site with feeds on 127.0.0.1 for the feed tests and the benchmark (no tests here).

Routes are set by the test (`site.serve(path, body, content_type)`); a route may answer 304 to
a matching If-None-Match / If-Modified-Since, be slow, or fail. Every request is logged, so a
test can tell what was fetched and with which headers.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "feeds"

# Words for article bodies: each article gets its own sentences, so no two share a fingerprint.
_PLACES = ["Irkutsk", "Tromsø", "Valparaíso", "Hobart", "Windhoek", "Quito", "Tallinn", "Hanoi"]
_THINGS = ["ferry", "bridge", "library", "harbour", "railway", "orchard", "observatory", "market"]


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None
    delay: float = 0.0


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedSite:
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, path: str, body: bytes | str, content_type: str = "", **options: Any) -> str:
        """Serve `body` at `path` (conditional GET when `etag`/`last_modified`); its URL."""
        data = body.encode() if isinstance(body, str) else body
        kind = content_type or (
            "text/html; charset=utf-8" if path.endswith(".html") else Route.content_type
        )
        with self.lock:
            self.routes[path] = Route(data, kind, **options)
        return self.base + path

    def serve_feed(self, path: str, body: str, **options: Any) -> str:
        """A feed with an ETag (its hash) and Last-Modified, so polls can be conditional."""
        tag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        options.setdefault("etag", tag)
        options.setdefault("last_modified", email.utils.formatdate(usegmt=True))
        return self.serve(path, body, **options)

    def requests_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: FeedSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the fetcher hung up: fine
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            route = site.routes.get(self.path.split("?")[0])
        headers = {key.lower(): value for key, value in self.headers.items()}
        if route is None:
            self._answer(404, b"<html><body>Not Found</body></html>", "text/html", {})
            status = 404
        else:
            if route.delay:
                time.sleep(route.delay)
            extra = {}
            if route.etag:
                extra["ETag"] = route.etag
            if route.last_modified:
                extra["Last-Modified"] = route.last_modified
            if route.cache_control:
                extra["Cache-Control"] = route.cache_control
            # RFC 9110: If-None-Match, when sent, decides; If-Modified-Since only without it.
            if "if-none-match" in headers:
                fresh = route.etag is not None and headers["if-none-match"] == route.etag
            else:
                fresh = route.last_modified is not None and (
                    headers.get("if-modified-since") == route.last_modified
                )
            status = 304 if fresh and route.status == 200 else route.status
            self._answer(status, b"" if status == 304 else route.body, route.content_type, extra)
        with site.lock:
            site.hits.append(Hit(self.path, headers, status))

    def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def feed_site() -> Iterator[FeedSite]:
    """A real HTTP server on 127.0.0.1 serving whatever the test puts on it."""
    server = _Server(("127.0.0.1", 0), _Handler)
    site = FeedSite(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.site = site
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# ---- content ---------------------------------------------------------------------------------


def _thing(n: int) -> str:
    return _THINGS[(3 * n + n // len(_THINGS)) % len(_THINGS)]


def article_text(n: int, paragraphs: int = 4) -> list[str]:
    """Paragraphs of article `n`: real-looking sentences no other article shares."""
    place, thing = _PLACES[n % len(_PLACES)], _thing(n)
    return [
        f"Officials in {place} said on day {n} that the new {thing} number {n * 7 + p} would "
        f"open to the public after {p + 2} years of planning and a budget of {n + p} million."
        f" Residents of district {n}-{p} asked for longer opening hours and a second entrance."
        for p in range(paragraphs)
    ]


def article_page(n: int, title: str | None = None, site: str = "The Loopback Herald") -> str:
    """An article page in the shape of a real news page (nav, article, footer)."""
    heading = title or f"Story {n}: the new {_thing(n)} opens in {_PLACES[n % len(_PLACES)]}"
    body = "\n".join(f"<p>{escape(p)}</p>" for p in article_text(n))
    return f"""<!doctype html><html lang="en"><head><title>{escape(heading)} - {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="2024-03-{1 + n % 28:02d}T08:00:00Z">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{escape(heading)}</h1>
{body}
</article><footer>Copyright {site}</footer></body></html>"""


def rss(
    items: Sequence[tuple[str, str, str]],
    *,
    title: str = "Loopback Herald",
    ttl: int = 0,
    bodies: Sequence[str] | None = None,
) -> str:
    """An RSS 2.0 feed of (guid, link, title) items, newest first, in a common CMS's shape;
    with `bodies`, each item carries its whole article in content:encoded, as WordPress does."""
    now = datetime(2024, 3, 30, tzinfo=UTC)
    contents = [
        f"<content:encoded><![CDATA[{body}]]></content:encoded>" for body in bodies or []
    ] or [""] * len(items)
    entries = "\n".join(
        f"""<item><title>{escape(t)}</title><link>{escape(link)}</link>
<guid isPermaLink="false">{escape(guid)}</guid>
<pubDate>{email.utils.format_datetime(now - timedelta(hours=i))}</pubDate>
<description>{escape(t)}: a short teaser.</description>{content}</item>"""
        for i, ((guid, link, t), content) in enumerate(zip(items, contents, strict=True))
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>{escape(title)}</title><link>http://127.0.0.1/</link>
<description>News from the loopback</description><language>en</language>{ttl_tag}
{entries}
</channel></rss>"""


class FakeClock:
    """The feed service's clock, moved by the test instead of by waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 4, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
