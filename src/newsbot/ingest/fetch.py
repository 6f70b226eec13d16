"""Fetch an article page over HTTP without letting a URL reach places it should not.

Users send newsbot arbitrary URLs, so fetching one is a server-side request made on
their behalf. `SafeFetcher` refuses anything but public http(s) web pages:

* only ``http`` and ``https``, with a host and without credentials;
* every address the host resolves to must be public (no loopback, private, link-local,
  shared, multicast, reserved or unspecified address), and cloud metadata endpoints are
  refused even when private addresses are allowed;
* redirects are followed by hand so that every hop goes through the same checks;
* one deadline covers the whole fetch, the body is streamed and cut off at a size limit,
  and only HTML or text content is accepted.

DNS rebinding: we resolve and check the host, then a connection is opened. If httpx
resolved the name again, a hostile DNS server could answer with a public address for
our check and a private one for the connection. With the built-in transport, plain
``http`` requests are therefore sent to the checked IP itself (with the original
``Host`` header), which closes that window. ``https`` requests are not pinned: the
connection resolves the name again, but the TLS certificate must be valid for the
requested name, which an internal service cannot present, so a rebound https request
fails at the handshake instead of reaching it. An injected transport (tests, proxies)
receives the original URL and is responsible for its own connections.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Final, Self, TypeAlias

import httpx

from newsbot.errors import BadStatus, FetchError, NotHTML, RefusedURL, TooLarge

__all__ = ["FetchedPage", "Resolver", "SafeFetcher", "system_resolver"]

Resolver: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]
"""``async (host, port) -> IP address strings``; raises OSError when the name does not resolve."""

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_USER_AGENT: Final = "newsbot/0.1 (+https://github.com/newsbot)"

# Refused even with allow_private: AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba Cloud.
_METADATA_ADDRESSES: Final[frozenset[IPAddress]] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
_METADATA_HOSTS: Final = frozenset({"metadata.google.internal"})

# RFC 6598 carrier-grade NAT; Python reports it as neither private nor global.
_SHARED_ADDRESS_SPACE: Final = ipaddress.IPv4Network("100.64.0.0/10")
# RFC 6052 NAT64 well-known prefix: the last 32 bits are the IPv4 address reached.
_NAT64_PREFIX: Final = ipaddress.IPv6Network("64:ff9b::/96")

# Host spellings that inet_aton (and so getaddrinfo) reads as IPv4: 2130706433, 0x7f000001, 127.1
_LEGACY_IPV4: Final = re.compile(
    r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE
)

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_ACCEPTED_TYPES: Final = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown"}
)
_ACCEPT_HEADER: Final = (
    "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,text/markdown;q=0.8,*/*;q=0.1"
)
_HTML_MARKER: Final = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE)
_SNIFF_BYTES: Final = 1024


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A fetched page: final URL after redirects, raw body and its declared type."""

    url: str
    content: bytes
    content_type: str
    encoding: str | None
    status: int


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve `host` with the operating system's resolver (getaddrinfo)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class SafeFetcher:
    """Fetches public web pages, checking every URL and redirect hop before connecting.

    Owns one `httpx.AsyncClient`; close it with `aclose()` or ``async with``.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        max_redirects: int = 5,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, not {max_redirects}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self._allow_private = allow_private
        self._max_redirects = max_redirects
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._resolver: Resolver = resolver if resolver is not None else system_resolver
        # Only our own transport connects by IP; an injected one gets the URL as is.
        self._pin_connections = transport is None
        if transport is None:
            # retries=0: a retry would be a second connection outside our control.
            transport = httpx.AsyncHTTPTransport(retries=0, trust_env=False)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept": _ACCEPT_HEADER},
            # No cookies: the client is shared by every user's fetches, and pinned
            # requests carry an IP URL that a cookie jar would key cookies by.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            # Environment proxies would bypass the address checks and the pinning.
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client (and the transport, injected or not)."""
        await self._client.aclose()

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch `url`, following checked redirects; raise a FetchError subclass on refusal."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url.strip())
        except TimeoutError:
            raise FetchError(self._timed_out(url.strip())) from None

    async def _fetch(self, original: str) -> FetchedPage:
        try:
            url = httpx.URL(original)
        except httpx.InvalidURL as exc:
            raise RefusedURL(f"This is not a valid URL ({exc}): {original}") from None
        shown = original  # what the user typed, until a redirect moves us elsewhere
        addresses = await self._check(url, shown, redirected_from=None)
        redirects = 0
        try:
            while True:
                response = await self._send(url, addresses)
                try:
                    status = response.status_code
                    if status not in _REDIRECT_STATUSES:
                        return await self._read(url, shown, response)
                    location = response.headers.get("location", "").strip()
                    if not location:
                        raise FetchError(
                            f"The page answered {status} {response.reason_phrase} (a redirect) "
                            f"without saying where to: {shown}"
                        )
                    if redirects >= self._max_redirects:
                        raise RefusedURL(
                            f"Too many redirects (more than {self._max_redirects}) "
                            f"fetching {original}"
                        )
                    redirects += 1
                    try:
                        target = url.join(location)
                    except httpx.InvalidURL as exc:
                        raise RefusedURL(
                            f"{shown} redirected to an invalid URL ({exc}): {location}"
                        ) from None
                    addresses = await self._check(target, str(target), redirected_from=shown)
                    url, shown = target, str(target)
                finally:
                    await response.aclose()
        except httpx.TimeoutException:
            raise FetchError(self._timed_out(shown)) from None
        except httpx.ConnectError as exc:
            raise FetchError(f"Could not connect to {shown}: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"Could not fetch {shown}: {_describe(exc)}") from exc

    async def _check(
        self, url: httpx.URL, shown: str, *, redirected_from: str | None
    ) -> list[IPAddress]:
        """Refuse `url` unless it is a public http(s) URL; return the checked addresses."""
        refusing = (
            f"Refusing {shown}"
            if redirected_from is None
            else f"Refusing the redirect from {redirected_from} to {shown}"
        )
        if url.scheme not in ("http", "https"):
            if redirected_from is None:
                raise RefusedURL(f"Only http and https URLs can be added: {shown}")
            raise RefusedURL(f"{refusing}: only http and https URLs can be fetched")
        if not url.raw_host:
            raise RefusedURL(f"{refusing}: the URL has no host name")
        if url.userinfo:
            hidden = str(url.copy_with(username="***", password=None))
            if redirected_from is None:
                raise RefusedURL(f"URLs with a user name or password cannot be added: {hidden}")
            raise RefusedURL(
                f"Refusing the redirect from {redirected_from} to {hidden}: "
                "URLs with a user name or password are not allowed"
            )

        host = url.raw_host.decode("ascii")  # IDNA-encoded, as DNS sees it
        bare_host = host.rstrip(".").lower()
        if bare_host in _METADATA_HOSTS:
            raise RefusedURL(f"{refusing}: {bare_host} is a cloud metadata service")
        literal = _parse_ip_literal(bare_host)
        if literal is not None:
            addresses = [literal]
        else:
            port = url.port or (443 if url.scheme == "https" else 80)
            addresses = await self._resolve(host, port, shown)

        # One bad address is enough: the connection could go to any of them.
        for address in addresses:
            problem = _address_problem(address, allow_private=self._allow_private)
            if problem is not None:
                bad, label = problem
                if literal is not None:
                    raise RefusedURL(f"{refusing}: {bad} is {label}")
                raise RefusedURL(f"{refusing}: {host} resolves to {bad}, {label}")
        return addresses

    async def _resolve(self, host: str, port: int, shown: str) -> list[IPAddress]:
        try:
            answers = await self._resolver(host, port)
        except OSError as exc:
            raise FetchError(f"Could not resolve host {host} ({_describe(exc)}): {shown}") from exc
        addresses: list[IPAddress] = []
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer)
            except ValueError:
                raise FetchError(
                    f"Could not resolve host {host} (got {answer!r}, not an IP address): {shown}"
                ) from None
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise FetchError(f"Could not resolve host {host} (no addresses): {shown}")
        return addresses

    async def _send(self, url: httpx.URL, addresses: list[IPAddress]) -> httpx.Response:
        """Send a GET for `url`, pinned to the checked addresses for plain http."""
        if not (self._pin_connections and url.scheme == "http"):
            request = self._client.build_request("GET", url)
            return await self._client.send(request, stream=True)
        # Try each checked address in resolver order, like a browser falling back
        # from an unreachable IPv6 address to IPv4; only connection failures move on.
        *fallbacks, last = addresses
        for address in fallbacks:
            try:
                return await self._client.send(self._pinned(url, address), stream=True)
            except httpx.ConnectError:
                continue
        return await self._client.send(self._pinned(url, last), stream=True)

    def _pinned(self, url: httpx.URL, address: IPAddress) -> httpx.Request:
        """A GET for `url` that connects to `address` and still names the host."""
        return self._client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers={"Host": url.netloc.decode("ascii")},
        )

    async def _read(self, url: httpx.URL, shown: str, response: httpx.Response) -> FetchedPage:
        """Check status and type, then stream the body up to the size limit."""
        status = response.status_code
        if status >= 400:
            raise BadStatus(f"The page answered {status} {response.reason_phrase}: {shown}", status)
        if not 200 <= status < 300:
            raise FetchError(
                f"The page answered {status} {response.reason_phrase}, "
                f"which is not a page newsbot can read: {shown}"
            )
        # A repeated header is joined with ", " by .get(); the last one wins, as in browsers.
        content_types = response.headers.get_list("content-type")
        mime, charset = _parse_content_type(content_types[-1] if content_types else "")
        if mime and mime not in _ACCEPTED_TYPES:
            raise NotHTML(f"{shown} is {_describe_type(mime)} ({mime}), not a web page")

        limit = _format_size(self._max_bytes)
        declared = _content_length(response)
        if declared is not None and declared > self._max_bytes:
            raise TooLarge(
                f"The page is {_format_size(declared)}, larger than the {limit} limit: {shown}"
            )
        body = bytearray()
        # aiter_bytes yields decompressed data, so the limit also stops gzip bombs
        # (one network chunk can still inflate to a few MB before we see it).
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise TooLarge(f"The page is larger than the {limit} limit: {shown}")

        # Servers mislabel downloads as text/html; trust the bytes over the header.
        if bytes(body[:_SNIFF_BYTES]).lstrip().startswith(b"%PDF-"):
            label = f"labelled {mime}" if mime else "without a content type"
            raise NotHTML(f"{shown} is a PDF ({label}), not a web page")
        if not mime:
            if _HTML_MARKER.search(body, 0, _SNIFF_BYTES) is None:
                raise NotHTML(f"{shown} has no content type and does not look like a web page")
            mime = "text/html"
        return FetchedPage(
            url=str(url),
            content=bytes(body),
            content_type=mime,
            encoding=charset,
            status=status,
        )

    def _timed_out(self, shown: str) -> str:
        return f"Timed out after {self._timeout:g} s fetching {shown}"


def _parse_ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells, including inet_aton's legacy IPv4 forms, or None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _address_problem(address: IPAddress, *, allow_private: bool) -> tuple[IPAddress, str] | None:
    """(offending address, why) if `address` must not be contacted, else None."""
    # IPv4-mapped, 6to4 and NAT64 addresses reach the IPv4 address they embed, so that
    # is the one to judge (Python calls NAT64 "reserved", which would refuse every
    # IPv4-only site on an IPv6-only network with DNS64).
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address in _NAT64_PREFIX:
            address = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    label = _address_label(address, allow_private=allow_private)
    return None if label is None else (address, label)


def _address_label(address: IPAddress, *, allow_private: bool) -> str | None:
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        # is_private also covers documentation, benchmarking and other special ranges.
        return "a private address"
    return None


def _parse_content_type(value: str) -> tuple[str, str | None]:
    """("type/subtype" lower-cased or "", charset or None) from a Content-Type header."""
    mime, _, params = value.partition(";")
    charset: str | None = None
    for param in params.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return mime.strip().lower(), charset


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _describe_type(mime: str) -> str:
    """A user-facing name for a content type we refuse."""
    major, _, minor = mime.partition("/")
    if mime == "application/pdf":
        return "a PDF"
    if major == "image":
        return "an image"
    if major == "audio":
        return "an audio file"
    if major == "video":
        return "a video"
    if minor == "json" or minor.endswith("+json"):
        return "JSON data"
    if minor in ("rss+xml", "atom+xml"):
        return "a feed"
    if minor == "xml" or minor.endswith("+xml"):
        return "an XML document"
    return "a file"


def _format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.3g} MB"
    if size >= 1_000:
        return f"{size / 1_000:.3g} kB"
    return f"{size} bytes"


def _describe(exc: BaseException) -> str:
    """A short reason for a transport or resolver error."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
