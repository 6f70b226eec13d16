"""Tests for newsbot.ingest.fetch.SafeFetcher: redirects.

Relative redirects and the redirect limit, a redirect without a Location, and redirects that
must be refused: to cloud metadata addresses (even with private addresses allowed), to other
schemes, and from a public page to a private or loopback target, which the transport must
never see.

Nothing here reaches the internet: the pages come from the loopback server or the fake public
host of tests/helpers/fetch.py (its docstring says which is used for what), and other hosts
only go through injected resolvers.
"""

from __future__ import annotations

import httpx
import pytest

from newsbot.errors import FetchError, RefusedURL
from newsbot.ingest.fetch import SafeFetcher
from tests.helpers.fetch import (
    ARTICLE,
    PUBLIC_IP,
    LocalServer,
    no_resolver,
    public_site,
    resolver_from,
)

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
