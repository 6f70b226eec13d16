"""Where a fetch may go: the URL checks, name resolution and the address policy.

`check_url` refuses anything but a public http(s) URL without credentials, resolves its host
and refuses it when any address it resolves to is not public (loopback, private, link-local,
shared, multicast, reserved, unspecified); cloud metadata endpoints are refused even when
private addresses are allowed. `SafeFetcher` runs it on the URL and on every redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeAlias

import httpx

from newsbot.errors import FetchError, RefusedURL

__all__ = ["IPAddress", "Resolver", "check_url", "describe_error", "system_resolver"]

Resolver: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]
"""``async (host, port) -> IP address strings``; raises OSError when the name does not resolve."""

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

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


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve `host` with the operating system's resolver (getaddrinfo)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_url(
    url: httpx.URL,
    shown: str,
    *,
    redirected_from: str | None,
    resolver: Resolver,
    allow_private: bool,
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
        addresses = await _resolve(resolver, host, port, shown)

    # One bad address is enough: the connection could go to any of them.
    for address in addresses:
        problem = _address_problem(address, allow_private=allow_private)
        if problem is not None:
            bad, label = problem
            if literal is not None:
                raise RefusedURL(f"{refusing}: {bad} is {label}")
            raise RefusedURL(f"{refusing}: {host} resolves to {bad}, {label}")
    return addresses


async def _resolve(resolver: Resolver, host: str, port: int, shown: str) -> list[IPAddress]:
    try:
        answers = await resolver(host, port)
    except UnicodeError:
        raise RefusedURL(
            f"Refusing {shown}: {host} is not a valid host name (a part over 63 characters?)"
        ) from None
    except OSError as exc:
        raise FetchError(f"Could not resolve host {host} ({describe_error(exc)}): {shown}") from exc
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


def describe_error(exc: BaseException) -> str:
    """A short reason for a transport or resolver error."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
