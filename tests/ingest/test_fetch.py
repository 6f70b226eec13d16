"""Tests for newsbot.ingest.fetch.SafeFetcher.

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
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from newsbot.errors import BadStatus, FetchError, NotHTML, RefusedURL, TooLarge
from newsbot.ingest.fetch import FEED_TYPES, FetchedPage, Resolver, SafeFetcher

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


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()  # joins the handler threads
        thread.join()


@pytest.fixture
async def fetcher() -> AsyncIterator[SafeFetcher]:
    """A fetcher allowed to reach the loopback server."""
    async with SafeFetcher(allow_private=True, timeout=5) as safe:
        yield safe


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


# ------------------------------------------------------------------------------ success


async def test_fetches_html_article(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/article")
    assert page == FetchedPage(
        url=f"{server.base}/article",
        content=ARTICLE,
        content_type="text/html",
        encoding="utf-8",
        status=200,
    )


async def test_charset_is_taken_from_header(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/latin1")
    assert page.encoding == "iso-8859-1"
    assert page.content.decode(page.encoding) == "<html>café</html>"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/plain", "text/plain"),
        ("/markdown", "text/markdown"),
        ("/xhtml", "application/xhtml+xml"),
        ("/untyped-html", "text/html"),
    ],
)
async def test_accepts_text_types(
    server: LocalServer, fetcher: SafeFetcher, path: str, content_type: str
) -> None:
    page = await fetcher.fetch(f"{server.base}{path}")
    assert page.content_type == content_type
    assert page.encoding == ("utf-8" if path == "/markdown" else None)


async def test_sends_user_agent(server: LocalServer) -> None:
    async with SafeFetcher(allow_private=True, user_agent="tester/1.0") as safe:
        page = await safe.fetch(f"{server.base}/headers")
    headers = page.content.decode().splitlines()
    assert "user-agent: tester/1.0" in headers
    assert any(line.startswith("accept: text/html") for line in headers)


async def test_connects_to_the_checked_address(server: LocalServer) -> None:
    """The name is resolved once, by our resolver; the connection goes to that IP.

    `news.example` is unknown to the system resolver, so the fetch only works because
    the request is pinned to the checked address, with the original Host header.
    """
    port = server.server_address[1]
    calls: list[str] = []
    resolver = resolver_from({"news.example": ["127.0.0.1"]}, calls)
    async with SafeFetcher(allow_private=True, resolver=resolver) as safe:
        page = await safe.fetch(f"http://news.example:{port}/host")
    assert page.content == f"news.example:{port}".encode()
    assert page.url == f"http://news.example:{port}/host"
    assert calls == ["news.example"]


async def test_falls_back_to_next_address(server: LocalServer) -> None:
    """Nothing listens on [::1] at the server's port, so the second address is used."""
    port = server.server_address[1]
    resolver = resolver_from({"news.example": ["::1", "127.0.0.1"]})
    async with SafeFetcher(allow_private=True, resolver=resolver) as safe:
        page = await safe.fetch(f"http://news.example:{port}/article")
    assert page.content == ARTICLE


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1"])
async def test_legacy_ipv4_forms_are_read_as_ipv4(server: LocalServer, host: str) -> None:
    """inet_aton spellings of 127.0.0.1: refused by default, fetched when private is allowed."""
    port = server.server_address[1]
    url = f"http://{host}:{port}/host"
    async with SafeFetcher(resolver=no_resolver) as strict:
        with pytest.raises(RefusedURL, match=r"127\.0\.0\.1 is a loopback address"):
            await strict.fetch(url)
    async with SafeFetcher(allow_private=True, resolver=no_resolver) as lenient:
        page = await lenient.fetch(url)
    assert page.content == f"{host}:{port}".encode()
    assert server.paths == ["/host"]


# ----------------------------------------------------------------------------- redirects


async def test_follows_relative_redirects(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/redirect/3")
    assert page.url == f"{server.base}/redirect/0"
    assert page.content == ARTICLE
    assert server.paths == ["/redirect/3", "/redirect/2", "/redirect/1", "/redirect/0"]


async def test_exactly_max_redirects_is_fine(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/redirect/5")
    assert page.url.endswith("/redirect/0")


async def test_too_many_redirects(server: LocalServer, fetcher: SafeFetcher) -> None:
    url = f"{server.base}/redirect/6"
    with pytest.raises(RefusedURL, match=r"Too many redirects \(more than 5\)") as caught:
        await fetcher.fetch(url)
    assert url in str(caught.value)
    assert len(server.paths) == 6  # the sixth redirect is never followed


async def test_max_redirects_is_configurable(server: LocalServer) -> None:
    async with SafeFetcher(allow_private=True, max_redirects=0) as safe:
        with pytest.raises(RefusedURL, match=r"more than 0"):
            await safe.fetch(f"{server.base}/redirect/1")


async def test_redirect_without_location(server: LocalServer, fetcher: SafeFetcher) -> None:
    with pytest.raises(FetchError, match="without saying where to"):
        await fetcher.fetch(f"{server.base}/redirect-no-location")


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/latest/meta-data",
        "http://100.100.100.200/latest/meta-data",
        "http://[::ffff:169.254.169.254]/latest/meta-data",
    ],
)
async def test_redirect_to_metadata_refused_even_if_private_allowed(
    server: LocalServer, fetcher: SafeFetcher, target: str
) -> None:
    with pytest.raises(RefusedURL, match="cloud metadata address") as caught:
        await fetcher.fetch(f"{server.base}/redirect-to?to={target}")
    assert "Refusing the redirect from" in str(caught.value)


async def test_metadata_host_refused_without_resolving(server: LocalServer) -> None:
    async with SafeFetcher(allow_private=True, resolver=no_resolver) as safe:
        with pytest.raises(RefusedURL, match=r"metadata\.google\.internal is a cloud metadata"):
            await safe.fetch("http://metadata.google.internal/computeMetadata/v1/")
        with pytest.raises(RefusedURL, match="cloud metadata"):
            await safe.fetch(
                f"{server.base}/redirect-to?to=http://Metadata.Google.Internal./computeMetadata/"
            )


async def test_name_resolving_to_metadata_refused_even_if_private_allowed() -> None:
    resolver = resolver_from({"evil.example": ["169.254.169.254"]})
    async with SafeFetcher(allow_private=True, resolver=resolver) as safe:
        with pytest.raises(
            RefusedURL, match=r"evil\.example resolves to 169\.254\.169\.254, a cloud metadata"
        ):
            await safe.fetch("http://evil.example/")


async def test_redirect_to_other_scheme_refused(server: LocalServer, fetcher: SafeFetcher) -> None:
    with pytest.raises(RefusedURL, match="only http and https"):
        await fetcher.fetch(f"{server.base}/redirect-to?to=file:///etc/passwd")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.0.0.5/", "10.0.0.5 is a private address"),
        ("http://192.168.1.1/admin", "192.168.1.1 is a private address"),
        ("http://127.0.0.1:8080/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://internal.example/", "internal.example resolves to 10.0.0.5, a private"),
        ("//169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
    ],
)
async def test_public_page_redirecting_to_private_is_refused(target: str, reason: str) -> None:
    """First hop is "public" (MockTransport + resolver), the redirect target is not."""
    seen: list[str] = []
    transport = public_site({"/": httpx.Response(302, headers={"Location": target})}, seen)
    resolver = resolver_from({"news.example": [PUBLIC_IP], "internal.example": ["10.0.0.5"]})
    async with SafeFetcher(resolver=resolver, transport=transport) as safe:
        with pytest.raises(RefusedURL) as caught:
            await safe.fetch("http://news.example/")
    assert reason in str(caught.value)
    assert "Refusing the redirect from http://news.example/" in str(caught.value)
    assert seen == ["http://news.example/"]


async def test_public_redirect_chain_through_transport() -> None:
    seen: list[str] = []
    transport = public_site(
        {
            "/": httpx.Response(301, headers={"Location": "https://www.news.example/story"}),
            "/story": httpx.Response(200, headers={"Content-Type": "text/html"}, content=ARTICLE),
        },
        seen,
    )
    resolver = resolver_from({"news.example": [PUBLIC_IP], "www.news.example": [PUBLIC_IP]})
    async with SafeFetcher(resolver=resolver, transport=transport) as safe:
        page = await safe.fetch("http://news.example/")
    assert page.url == "https://www.news.example/story"
    assert seen == ["http://news.example/", "https://www.news.example/story"]


# ---------------------------------------------------------------------- address checks


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.5/", "10.0.0.5 is a private address"),
        ("http://172.16.3.4/", "172.16.3.4 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://[fc00::1]/", "fc00::1 is a private address"),
        ("http://169.254.1.1/", "169.254.1.1 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://[64:ff9b::a00:5]/", "10.0.0.5 is a private address"),  # NAT64
        ("http://[2002:a00:5::]/", "10.0.0.5 is a private address"),  # 6to4
        ("http://169.254.169.254/", "169.254.169.254 is a cloud metadata address"),
        ("http://127.0.0.1./", "127.0.0.1 is a loopback address"),
    ],
)
async def test_non_public_literals_refused(url: str, reason: str) -> None:
    async with SafeFetcher(resolver=no_resolver) as safe:
        with pytest.raises(RefusedURL) as caught:
            await safe.fetch(url)
    assert str(caught.value) == f"Refusing {url}: {reason}"


async def test_loopback_server_refused_by_default(server: LocalServer) -> None:
    async with SafeFetcher() as safe:
        with pytest.raises(RefusedURL, match="loopback"):
            await safe.fetch(f"{server.base}/article")
    assert server.paths == []


async def test_mixed_public_and_private_addresses_refused() -> None:
    seen: list[str] = []
    resolver = resolver_from({"news.example": [PUBLIC_IP, "2606:2800:220:1::1", "10.0.0.5"]})
    async with SafeFetcher(resolver=resolver, transport=public_site({}, seen)) as safe:
        with pytest.raises(
            RefusedURL, match=r"news\.example resolves to 10\.0\.0\.5, a private address"
        ):
            await safe.fetch("http://news.example/")
    assert seen == []


async def test_unresolvable_host() -> None:
    async with SafeFetcher(resolver=resolver_from({})) as safe:
        with pytest.raises(FetchError, match=r"Could not resolve host nowhere\.example") as caught:
            await safe.fetch("http://nowhere.example/a")
    assert not isinstance(caught.value, RefusedURL)
    assert "http://nowhere.example/a" in str(caught.value)


@pytest.mark.parametrize("answer", [[], ["not-an-ip"]])
async def test_resolver_with_unusable_answer(answer: list[str]) -> None:
    async with SafeFetcher(resolver=resolver_from({"odd.example": answer})) as safe:
        with pytest.raises(FetchError, match=r"Could not resolve host odd\.example"):
            await safe.fetch("http://odd.example/")


# ------------------------------------------------------------------------ URL validation


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/file.txt", "file:///etc/passwd", "javascript:alert(1)", "not a url"],
)
async def test_only_http_and_https(url: str) -> None:
    async with SafeFetcher(resolver=no_resolver) as safe:
        with pytest.raises(RefusedURL) as caught:
            await safe.fetch(url)
    assert str(caught.value) == f"Only http and https URLs can be added: {url}"


async def test_url_without_host() -> None:
    async with SafeFetcher(resolver=no_resolver) as safe:
        with pytest.raises(RefusedURL, match="no host name"):
            await safe.fetch("http:///path")


async def test_invalid_url() -> None:
    async with SafeFetcher(resolver=no_resolver) as safe:
        with pytest.raises(RefusedURL, match=r"not a valid URL .*http://010\.0\.0\.1/"):
            await safe.fetch("http://010.0.0.1/")


@pytest.mark.parametrize("userinfo", ["user:secret@", "user@", ":secret@"])
async def test_credentials_refused(
    server: LocalServer, fetcher: SafeFetcher, userinfo: str
) -> None:
    with pytest.raises(RefusedURL, match="user name or password") as caught:
        await fetcher.fetch(f"http://{userinfo}127.0.0.1:{server.server_address[1]}/article")
    assert "secret" not in str(caught.value)
    assert server.paths == []


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="timeout"):
        SafeFetcher(timeout=0)
    with pytest.raises(ValueError, match="max_bytes"):
        SafeFetcher(max_bytes=0)
    with pytest.raises(ValueError, match="max_redirects"):
        SafeFetcher(max_redirects=-1)


# -------------------------------------------------------------------- timeouts and size


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
async def test_total_timeout(server: LocalServer, path: str) -> None:
    url = f"{server.base}{path}"
    async with SafeFetcher(allow_private=True, timeout=0.5) as safe:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            await safe.fetch(url)
    assert str(caught.value) == f"Timed out after 0.5 s fetching {url}"
    assert time.monotonic() - started < 3


async def test_huge_body_with_content_length(server: LocalServer) -> None:
    async with SafeFetcher(allow_private=True, max_bytes=1_000_000) as safe:
        with pytest.raises(TooLarge) as caught:
            await safe.fetch(f"{server.base}/huge")
    assert str(caught.value) == (
        f"The page is 21 MB, larger than the 1 MB limit: {server.base}/huge"
    )
    await wait_for(server.finished["/huge"])
    assert server.sent["/huge"] < HUGE_SIZE


async def test_huge_body_without_content_length(server: LocalServer) -> None:
    async with SafeFetcher(allow_private=True, max_bytes=1_000_000) as safe:
        with pytest.raises(TooLarge) as caught:
            await safe.fetch(f"{server.base}/huge-no-length")
    assert str(caught.value) == (
        f"The page is larger than the 1 MB limit: {server.base}/huge-no-length"
    )
    await wait_for(server.finished["/huge-no-length"])
    assert server.sent["/huge-no-length"] < HUGE_SIZE


# ------------------------------------------------------------------ status and content


@pytest.mark.parametrize(
    ("status", "phrase"), [(404, "404 Not Found"), (500, "500 Internal Server Error")]
)
async def test_error_status(
    server: LocalServer, fetcher: SafeFetcher, status: int, phrase: str
) -> None:
    url = f"{server.base}/status/{status}"
    with pytest.raises(BadStatus) as caught:
        await fetcher.fetch(url)
    assert caught.value.status == status
    assert str(caught.value) == f"The page answered {phrase}: {url}"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/pdf", "is a PDF (application/pdf), not a web page"),
        ("/pdf-as-html", "is a PDF (labelled text/html), not a web page"),
        ("/image", "is an image (image/png), not a web page"),
        ("/json", "is JSON data (application/json), not a web page"),
        ("/untyped-binary", "has no content type and does not look like a web page"),
    ],
)
async def test_not_a_web_page(
    server: LocalServer, fetcher: SafeFetcher, path: str, message: str
) -> None:
    url = f"{server.base}{path}"
    with pytest.raises(NotHTML) as caught:
        await fetcher.fetch(url)
    assert str(caught.value) == f"{url} {message}"


async def test_connection_refused() -> None:
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    async with SafeFetcher(allow_private=True) as safe:
        with pytest.raises(FetchError, match=f"Could not connect to {url}: ") as caught:
            await safe.fetch(url)
    assert type(caught.value) is FetchError


async def test_redirect_to_url_with_credentials_is_refused() -> None:
    seen: list[str] = []
    target = "http://admin:hunter2@news.example/private"
    transport = public_site({"/": httpx.Response(302, headers={"Location": target})}, seen)
    resolver = resolver_from({"news.example": [PUBLIC_IP]})
    async with SafeFetcher(resolver=resolver, transport=transport) as safe:
        with pytest.raises(RefusedURL, match="user name or password are not allowed") as caught:
            await safe.fetch("http://news.example/")
    assert "hunter2" not in str(caught.value)
    assert seen == ["http://news.example/"]


async def test_repeated_content_type_header_uses_the_last() -> None:
    headers = [("Content-Type", "application/octet-stream"), ("Content-Type", "text/html")]
    routes = {"/": httpx.Response(200, headers=headers, content=ARTICLE)}
    resolver = resolver_from({"news.example": [PUBLIC_IP]})
    async with SafeFetcher(resolver=resolver, transport=public_site(routes, [])) as safe:
        page = await safe.fetch("http://news.example/")
    assert page.content_type == "text/html"


# --------------------------------------------------------------------------- feeds


FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


async def test_conditional_get_returns_304_without_a_body() -> None:
    seen: list[str] = []
    etag = '"v1"'

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match", ""))
        if request.headers.get("if-none-match") == etag or "x-force-304" in request.headers:
            return httpx.Response(304, headers={"ETag": etag, "Cache-Control": "max-age=60"})
        return httpx.Response(
            200, headers={"Content-Type": "application/rss+xml", "ETag": etag}, content=FEED
        )

    resolver = resolver_from({"news.example": [PUBLIC_IP]})
    transport = httpx.MockTransport(answer)
    async with SafeFetcher(resolver=resolver, transport=transport) as safe:
        first = await safe.fetch("http://news.example/feed", also_accept=FEED_TYPES)
        assert (first.status, first.not_modified, first.headers["etag"]) == (200, False, etag)
        again = await safe.fetch(
            "http://news.example/feed", headers={"If-None-Match": etag}, also_accept=FEED_TYPES
        )
        assert (again.status, again.not_modified, again.content) == (304, True, b"")
        assert again.headers["cache-control"] == "max-age=60"
        # A 304 nobody asked for is not a page.
        with pytest.raises(FetchError, match="304"):
            await safe.fetch("http://news.example/feed", headers={"X-Force-304": "1"})
    assert seen == ["", etag, ""]


async def test_feed_types_only_when_asked_for() -> None:
    routes = {
        "/rss": httpx.Response(200, headers={"Content-Type": "application/rss+xml"}, content=FEED),
        "/untyped": httpx.Response(200, content=FEED),
    }
    resolver = resolver_from({"news.example": [PUBLIC_IP]})
    async with SafeFetcher(resolver=resolver, transport=public_site(routes, [])) as safe:
        with pytest.raises(NotHTML, match=r"is a feed \(application/rss\+xml\), not a web page"):
            await safe.fetch("http://news.example/rss")
        with pytest.raises(NotHTML, match="does not look like a web page"):
            await safe.fetch("http://news.example/untyped")
        page = await safe.fetch("http://news.example/rss", also_accept=FEED_TYPES)
        assert (page.content_type, page.content) == ("application/rss+xml", FEED)
        sniffed = await safe.fetch("http://news.example/untyped", also_accept=FEED_TYPES)
        assert sniffed.content_type == "application/xml"


async def test_extra_headers_go_with_every_hop_and_the_checks_still_apply() -> None:
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("if-modified-since")))
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "http://10.0.0.5/feed"})
        return httpx.Response(200, headers={"Content-Type": "text/xml"}, content=FEED)

    resolver = resolver_from({"news.example": [PUBLIC_IP]})
    async with SafeFetcher(resolver=resolver, transport=httpx.MockTransport(answer)) as safe:
        headers = {"If-Modified-Since": "Mon, 01 Apr 2024 00:00:00 GMT"}
        with pytest.raises(RefusedURL, match="private address"):
            await safe.fetch("http://news.example/old", headers=headers, also_accept=FEED_TYPES)
    assert seen == [("/old", "Mon, 01 Apr 2024 00:00:00 GMT")]


# ------------------------------------------------------------------ hostile bodies and URLs


@pytest.fixture
def bombs_made() -> None:
    """The bombs compressed before the test starts: not inside the fetch's timeout (seconds on
    a loaded machine), nor in the memory it measures (the server is in-process)."""
    _gzip_bomb(200_000_000)
    _gzip_bomb(100_000_000, layers=2)


@pytest.mark.usefixtures("bombs_made")
async def test_gzip_bomb_stops_at_the_limit_without_inflating(server: LocalServer) -> None:
    # 200 kB on the wire, 200 MB decoded: one network chunk used to inflate to ~64 MB at once.
    async with SafeFetcher(allow_private=True, timeout=10, max_bytes=1_000_000) as safe:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge, match="larger than the 1 MB limit"):
                await safe.fetch(f"{server.base}/bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB while refusing a gzip bomb"


@pytest.mark.usefixtures("bombs_made")
async def test_more_than_one_compression_layer_refused(
    server: LocalServer, fetcher: SafeFetcher
) -> None:
    with pytest.raises(NotHTML, match="compressed 2 times over"):
        await fetcher.fetch(f"{server.base}/bomb2")


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate"])
async def test_one_compression_layer_is_read(
    server: LocalServer, fetcher: SafeFetcher, path: str
) -> None:
    page = await fetcher.fetch(f"{server.base}{path}")
    assert page.content == ARTICLE


async def test_unknown_compression_refused(server: LocalServer, fetcher: SafeFetcher) -> None:
    with pytest.raises(NotHTML, match="compressed with br"):
        await fetcher.fetch(f"{server.base}/brotli")


async def test_asks_only_for_encodings_it_reads(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/headers")
    assert b"accept-encoding: gzip, deflate\n" in page.content + b"\n"


async def test_unknown_charset_is_ignored(server: LocalServer, fetcher: SafeFetcher) -> None:
    page = await fetcher.fetch(f"{server.base}/bad-charset")
    assert (page.encoding, page.content) == (None, b"Plain text.")


@pytest.mark.parametrize(
    "target",
    ["javascript:alert(1)", "data:text/html,<p>hi</p>", "http:127.0.0.1", "http://[::1", "//\x00"],
)
async def test_odd_redirect_targets_are_refused_cleanly(
    server: LocalServer, fetcher: SafeFetcher, target: str
) -> None:
    with pytest.raises(FetchError):
        await fetcher.fetch(f"{server.base}/redirect-to?to={target}")


async def test_dns_label_over_63_characters_refused() -> None:
    # The real resolver: IDNA refuses the name before anything is sent.
    async with SafeFetcher() as safe:
        with pytest.raises(RefusedURL, match="not a valid host name"):
            await safe.fetch(f"http://{'a' * 64}.example.com/")
