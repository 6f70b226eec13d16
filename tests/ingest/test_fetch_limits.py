"""Tests for newsbot.ingest.fetch.SafeFetcher: limits and hostile bodies.

The total timeout, bodies over the size limit (with and without Content-Length, the server
checked to have stopped sending), gzip bombs and compression layers, unknown charsets, odd
redirect targets and over-long DNS labels.

Nothing here reaches the internet: the pages come from the loopback server or the fake public
host of tests/helpers/fetch.py (its docstring says which is used for what), and other hosts
only go through injected resolvers.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from newsbot.errors import FetchError, NotHTML, RefusedURL, TooLarge
from newsbot.ingest.fetch import SafeFetcher
from tests.helpers.fetch import ARTICLE, HUGE_SIZE, LocalServer, _gzip_bomb, wait_for

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
