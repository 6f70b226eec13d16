"""The "remote" servers of the SafeFetcher tests (tests/ingest/test_fetch*.py); the fixtures
`server` and `fetcher` over them are in tests/ingest/conftest.py.

Nothing here reaches the internet. Two kinds of "remote" servers are used:

* a real HTTP server on 127.0.0.1 (stdlib ThreadingHTTPServer in a thread), fetched by a
  SafeFetcher with ``allow_private=True`` so that loopback is allowed; it serves the
  pages, redirects, slow and huge bodies, and wrong content types;
* an ``httpx.MockTransport`` playing a *public* server, for the cases that need the
  first hop to pass the address check while a later hop must fail it. Loopback cannot
  play that role: with ``allow_private=False`` the local server itself is refused, and
  with ``allow_private=True`` private targets (10.x, 192.168.x) are allowed by design.
  So the fake public host ``news.example`` is mapped to 93.184.216.34 by an injected
  resolver, its MockTransport answers with a redirect to a private or loopback target,
  and the test asserts the refusal *and* that the transport never saw a request for it.

Hosts other than 127.0.0.1 and IP literals only ever go through injected resolvers.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import socket
import sys
import threading
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from newsbot.ingest.fetch import Resolver

ARTICLE = (
    b"<!DOCTYPE html><html><head><title>Moon landing</title></head>"
    b"<body><article><p>Men walked on the moon.</p></article></body></html>"
)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HUGE_SIZE = 20 * 1024 * 1024
CHUNK = 64 * 1024


# --------------------------------------------------------------------------- local server


class LocalServer(ThreadingHTTPServer):
    """A loopback HTTP server whose handler threads are all joined on close."""

    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.stop = threading.Event()  # set on teardown to cut slow responses short
        self.paths: list[str] = []  # every request path, in order
        self.sent: dict[str, int] = {}  # body bytes written, for the huge responses
        self.finished = {"/huge": threading.Event(), "/huge-no-length": threading.Event()}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The fetcher hangs up on purpose (timeouts, size limit); anything else is a bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Routes for the tests; HTTP/1.0, so a body without Content-Length ends at close."""

    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        self.server.paths.append(path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left == 0:
                self.reply(200, "text/html; charset=utf-8", ARTICLE)
            else:
                self.redirect(f"/redirect/{left - 1}")  # relative on purpose
        elif path == "/redirect-to":
            self.redirect(query["to"])
        elif path == "/redirect-no-location":
            self.reply(302, None, b"")
        elif path in RAW_ROUTES:
            headers, raw = RAW_ROUTES[path]
            body = raw() if callable(raw) else raw
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path in ROUTES:
            status, content_type, body = ROUTES[path]
            self.reply(status, content_type, body)
        elif path == "/host":
            self.reply(200, "text/plain", self.headers["Host"].encode())
        elif path == "/headers":
            lines = [f"{key.lower()}: {value}" for key, value in self.headers.items()]
            self.reply(200, "text/plain", "\n".join(lines).encode())
        elif path == "/slow-headers":
            self.server.stop.wait(10)
            self.reply(200, "text/html", ARTICLE)
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            # One byte every 50 ms: each read is quick, only the total deadline can stop it.
            while not self.server.stop.wait(0.05):
                self.wfile.write(b" ")
        elif path in ("/huge", "/huge-no-length"):
            self.huge(path, with_length=path == "/huge")
        else:
            self.reply(404, "text/html", b"<html><body>Not here</body></html>")

    def reply(self, status: int, content_type: str | None, body: bytes) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def huge(self, path: str, *, with_length: bool) -> None:
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if with_length:
                self.send_header("Content-Length", str(HUGE_SIZE))
            self.end_headers()
            chunk = b"<p>" + b"x" * (CHUNK - 7) + b"</p>"
            while sent < HUGE_SIZE and not self.server.stop.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        except ConnectionError:
            pass  # the fetcher gave up, which is what the test wants
        finally:
            self.server.sent[path] = sent
            self.server.finished[path].set()


@functools.cache
def _gzip_bomb(size: int, layers: int = 1) -> bytes:
    body = b"<html><body><p>" + b"\0" * size
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=9)
    return body


# path -> (headers, body) sent as is: compressed bodies, odd charsets. The bombs are made on
# first request (~1.5 s of CPU to compress 300 MB), not at import in every pytest worker.
RAW_ROUTES: dict[str, tuple[dict[str, str], bytes | Callable[[], bytes]]] = {
    "/bomb": (
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        functools.partial(_gzip_bomb, 200_000_000),
    ),
    "/bomb2": (
        {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
        functools.partial(_gzip_bomb, 100_000_000, layers=2),
    ),
    "/gzip": ({"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(ARTICLE)),
    "/deflate": (
        {"Content-Type": "text/html", "Content-Encoding": "deflate"},
        zlib.compress(ARTICLE),
    ),
    "/raw-deflate": (
        {"Content-Type": "text/html", "Content-Encoding": "deflate"},
        zlib.compress(ARTICLE, wbits=-15),
    ),
    "/brotli": ({"Content-Type": "text/html", "Content-Encoding": "br"}, b"\x0b\x00\x80"),
    "/bad-charset": ({"Content-Type": "text/plain; charset=x-no-such-charset"}, b"Plain text."),
}

ROUTES: dict[str, tuple[int, str | None, bytes]] = {
    "/article": (200, "text/html; charset=utf-8", ARTICLE),
    "/latin1": (200, 'text/html; charset="ISO-8859-1"', "<html>café</html>".encode("latin-1")),
    "/plain": (200, "text/plain", b"Just text."),
    "/markdown": (200, "text/markdown; charset=utf-8", b"# Title\n\nText."),
    "/xhtml": (200, "application/xhtml+xml", b"<html xmlns='http://www.w3.org/1999/xhtml'/>"),
    "/untyped-html": (200, None, b"\n  <!doctype html><html><body>Hi</body></html>"),
    "/untyped-binary": (200, None, bytes(range(256))),
    "/pdf": (200, "application/pdf", PDF),
    "/pdf-as-html": (200, "text/html; charset=utf-8", PDF),
    "/image": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
    "/json": (200, "application/json", b'{"a": 1}'),
    "/status/404": (404, "text/html", b"<html>Not found</html>"),
    "/status/500": (500, "text/html", b"<html>Oops</html>"),
}


# ------------------------------------------------------------------------------- helpers


def resolver_from(table: dict[str, list[str]], calls: list[str] | None = None) -> Resolver:
    """A resolver answering from `table`; unknown names fail like getaddrinfo does."""

    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host in table:
            return table[host]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    return resolve


async def no_resolver(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} should not have been resolved")


PUBLIC_IP = "93.184.216.34"


def public_site(routes: dict[str, httpx.Response], seen: list[str]) -> httpx.MockTransport:
    """A fake public web server: answers routes[path] and logs each request's URL."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return routes.get(request.url.path, httpx.Response(404))

    return httpx.MockTransport(handle)


async def wait_for(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, 10), "the server never finished"
