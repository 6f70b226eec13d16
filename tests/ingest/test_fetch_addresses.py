"""Tests for newsbot.ingest.fetch.SafeFetcher: which addresses and URLs it refuses.

Non-public IP literals (loopback, private, link-local, NAT64 and the rest), names that resolve
to them, names that do not resolve, and URLs that are not http(s), have no host or carry a user
name or password; and the settings it refuses to start with.

Nothing here reaches the internet: the pages come from the loopback server or the fake public
host of tests/helpers/fetch.py (its docstring says which is used for what), and other hosts
only go through injected resolvers.
"""

from __future__ import annotations

import pytest

from newsbot.errors import FetchError, RefusedURL
from newsbot.ingest.fetch import SafeFetcher
from tests.helpers.fetch import PUBLIC_IP, LocalServer, no_resolver, public_site, resolver_from


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
