"""Fetch an article page over HTTP without letting a URL reach places it should not.

Users send newsbot arbitrary URLs, so fetching one is a server-side request made on
their behalf. `SafeFetcher` refuses anything but public http(s) web pages:

* only ``http`` and ``https``, with a host and without credentials;
* every address the host resolves to must be public (no loopback, private, link-local,
  shared, multicast, reserved or unspecified address), and cloud metadata endpoints are
  refused even when private addresses are allowed;
* redirects are followed by hand so that every hop goes through the same checks;
* one deadline covers the whole fetch, the body is streamed and cut off at a size limit,
  and only HTML or text content is accepted (feeds, for the feed poller: `FEED_TYPES`).

A caller may send conditional-GET headers (If-None-Match, If-Modified-Since); a 304 answer
then comes back as a `FetchedPage` with status 304 and no body.

DNS rebinding: we resolve and check the host, then a connection is opened. If httpx
resolved the name again, a hostile DNS server could answer with a public address for
our check and a private one for the connection. With the built-in transport, plain
``http`` requests are therefore sent to the checked IP itself (with the original
``Host`` header), which closes that window. ``https`` requests are not pinned: the
connection resolves the name again, but the TLS certificate must be valid for the
requested name, which an internal service cannot present, so a rebound https request
fails at the handshake instead of reaching it. An injected transport (tests, proxies)
receives the original URL and is responsible for its own connections.

The URL and address checks are in `addresses`, the body decoding in `response`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Final, Self

import httpx

from newsbot.errors import BadStatus, FetchError, NotHTML, RefusedURL, TooLarge
from newsbot.ingest.addresses import (
    IPAddress,
    Resolver,
    check_url,
    describe_error,
    system_resolver,
)
from newsbot.ingest.response import (
    BodyDecoder,
    content_length,
    describe_type,
    format_size,
    parse_content_type,
)
from newsbot.tls import tls_context

__all__ = ["FEED_TYPES", "FetchedPage", "Resolver", "SafeFetcher", "system_resolver"]

DEFAULT_USER_AGENT: Final = "newsbot/0.1 (+https://github.com/newsbot)"

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_ACCEPTED_TYPES: Final = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown"}
)
_ACCEPT_HEADER: Final = (
    "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,text/markdown;q=0.8,*/*;q=0.1"
)
# What feeds are served as (text/xml and application/xml too: many servers say just that).
FEED_TYPES: Final = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)
_FEED_MARKER: Final = re.compile(rb"^\s*(?:<\?xml|<rss|<feed|<rdf:RDF)", re.IGNORECASE)
_NOT_MODIFIED: Final = 304

# Compression is decoded by `BodyDecoder`, with a bound on the output.
_ACCEPT_ENCODING: Final = "gzip, deflate"
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
    # The response's headers (case-insensitive): ETag, Last-Modified, Cache-Control for feeds.
    headers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def not_modified(self) -> bool:
        """A 304 answer to a conditional GET: nothing new, no body."""
        return self.status == _NOT_MODIFIED


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
            transport = httpx.AsyncHTTPTransport(
                retries=0, trust_env=False, verify=tls_context(trust_env=False)
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={
                "User-Agent": user_agent,
                "Accept": _ACCEPT_HEADER,
                "Accept-Encoding": _ACCEPT_ENCODING,
            },
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

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        also_accept: frozenset[str] = frozenset(),
    ) -> FetchedPage:
        """Fetch `url`, following checked redirects; raise a FetchError subclass on refusal.

        `headers` are sent with every hop (conditional GET, a feed's Accept); `also_accept`
        adds content types to the HTML and text ones (`FEED_TYPES` for feeds).
        """
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url.strip(), dict(headers or {}), also_accept)
        except TimeoutError:
            raise FetchError(self._timed_out(url.strip())) from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            # A URL httpx or IDNA can't handle (a label over 63 characters, odd characters in a
            # redirect target): refused, never a traceback.
            reason = describe_error(exc)
            raise RefusedURL(f"This is not a valid URL ({reason}): {url.strip()}") from None

    async def _fetch(
        self, original: str, headers: dict[str, str], also_accept: frozenset[str]
    ) -> FetchedPage:
        try:
            url = httpx.URL(original)
        except httpx.InvalidURL as exc:
            raise RefusedURL(f"This is not a valid URL ({exc}): {original}") from None
        shown = original  # what the user typed, until a redirect moves us elsewhere
        addresses = await self._check(url, shown, redirected_from=None)
        redirects = 0
        try:
            while True:
                response = await self._send(url, addresses, headers)
                try:
                    status = response.status_code
                    if status == _NOT_MODIFIED and _is_conditional(headers):
                        return _not_modified(url, response)
                    if status not in _REDIRECT_STATUSES:
                        return await self._read(url, shown, response, also_accept)
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
            raise FetchError(f"Could not connect to {shown}: {describe_error(exc)}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"Could not fetch {shown}: {describe_error(exc)}") from exc

    async def _check(
        self, url: httpx.URL, shown: str, *, redirected_from: str | None
    ) -> list[IPAddress]:
        """Refuse `url` unless it is a public http(s) URL; return the checked addresses."""
        return await check_url(
            url,
            shown,
            redirected_from=redirected_from,
            resolver=self._resolver,
            allow_private=self._allow_private,
        )

    async def _send(
        self, url: httpx.URL, addresses: list[IPAddress], headers: dict[str, str]
    ) -> httpx.Response:
        """Send a GET for `url`, pinned to the checked addresses for plain http."""
        if not (self._pin_connections and url.scheme == "http"):
            request = self._client.build_request("GET", url, headers=headers)
            return await self._client.send(request, stream=True)
        # Try each checked address in resolver order, like a browser falling back
        # from an unreachable IPv6 address to IPv4; only connection failures move on.
        *fallbacks, last = addresses
        for address in fallbacks:
            try:
                return await self._client.send(self._pinned(url, address, headers), stream=True)
            except httpx.ConnectError:
                continue
        return await self._client.send(self._pinned(url, last, headers), stream=True)

    def _pinned(self, url: httpx.URL, address: IPAddress, headers: dict[str, str]) -> httpx.Request:
        """A GET for `url` that connects to `address` and still names the host."""
        return self._client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers={**headers, "Host": url.netloc.decode("ascii")},
        )

    async def _read(
        self,
        url: httpx.URL,
        shown: str,
        response: httpx.Response,
        also_accept: frozenset[str] = frozenset(),
    ) -> FetchedPage:
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
        mime, charset = parse_content_type(content_types[-1] if content_types else "")
        if mime and mime not in _ACCEPTED_TYPES and mime not in also_accept:
            raise NotHTML(f"{shown} is {describe_type(mime)} ({mime}), not a web page")

        limit = format_size(self._max_bytes)
        declared = content_length(response)
        if declared is not None and declared > self._max_bytes:
            raise TooLarge(
                f"The page is {format_size(declared)}, larger than the {limit} limit: {shown}"
            )
        encodings = response.headers.get_list("content-encoding", split_commas=True)
        body = bytearray()
        if response.is_stream_consumed:  # an in-memory response (an injected transport)
            body += response.content
        else:
            # Raw bytes, decoded here with a bound: never more than the limit in memory.
            decoder = BodyDecoder(encodings, shown)
            async for chunk in response.aiter_raw():
                body += decoder.decode(chunk, self._max_bytes - len(body) + 1)
                if len(body) > self._max_bytes:
                    break
        if len(body) > self._max_bytes:
            raise TooLarge(f"The page is larger than the {limit} limit: {shown}")

        # Servers mislabel downloads as text/html; trust the bytes over the header.
        if bytes(body[:_SNIFF_BYTES]).lstrip().startswith(b"%PDF-"):
            label = f"labelled {mime}" if mime else "without a content type"
            raise NotHTML(f"{shown} is a PDF ({label}), not a web page")
        if not mime:
            if also_accept & FEED_TYPES and _FEED_MARKER.match(bytes(body[:_SNIFF_BYTES])):
                mime = "application/xml"
            elif _HTML_MARKER.search(body, 0, _SNIFF_BYTES) is None:
                raise NotHTML(f"{shown} has no content type and does not look like a web page")
            else:
                mime = "text/html"
        return FetchedPage(
            url=str(url),
            content=bytes(body),
            content_type=mime,
            encoding=charset,
            status=status,
            headers=response.headers,
        )

    def _timed_out(self, shown: str) -> str:
        return f"Timed out after {self._timeout:g} s fetching {shown}"


def _is_conditional(headers: Mapping[str, str]) -> bool:
    return any(key.lower() in ("if-none-match", "if-modified-since") for key in headers)


def _not_modified(url: httpx.URL, response: httpx.Response) -> FetchedPage:
    return FetchedPage(
        url=str(url),
        content=b"",
        content_type="",
        encoding=None,
        status=_NOT_MODIFIED,
        headers=response.headers,
    )
