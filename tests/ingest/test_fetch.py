"""Tests for newsbot.ingest.fetch.SafeFetcher: what a fetch gives back.

Pages, charsets and content types as served, the request's headers and pinned address, error
statuses and what is not a web page, and feeds: content types asked for, conditional GETs
(304) and extra headers on every hop.

Nothing here reaches the internet: the pages come from the loopback server or the fake public
host of tests/helpers/fetch.py (its docstring says which is used for what), and other hosts
only go through injected resolvers.
"""

from __future__ import annotations

import httpx
import pytest

from newsbot.errors import BadStatus, FetchError, NotHTML, RefusedURL
from newsbot.ingest.fetch import FEED_TYPES, FetchedPage, SafeFetcher
from tests.helpers.emulator import free_port
from tests.helpers.fetch import (
    ARTICLE,
    PUBLIC_IP,
    LocalServer,
    no_resolver,
    public_site,
    resolver_from,
)

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
    url = f"http://127.0.0.1:{free_port()}/"  # nobody listens there
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
