"""Reading a fetched response: its content type, its compression and its size.

We decode compression ourselves, chunk by chunk with a bound on the output, so a small
compressed body can't inflate to gigabytes before the size limit is checked.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any

import httpx

from newsbot.errors import FetchError, NotHTML

__all__ = ["BodyDecoder", "content_length", "describe_type", "format_size", "parse_content_type"]


class BodyDecoder:
    """Undo at most one layer of gzip or deflate, never producing more than asked for."""

    def __init__(self, encodings: list[str], shown: str) -> None:
        layers = [e.strip().lower() for e in encodings if e.strip().lower() not in ("", "identity")]
        if len(layers) > 1:
            raise NotHTML(
                f"{shown} is compressed {len(layers)} times over ({', '.join(layers)}); "
                "newsbot reads at most one layer"
            )
        self._zlib: Any = None
        self._deflate = False  # may still turn out to be raw deflate (no zlib header)
        if layers:
            if layers[0] in ("gzip", "x-gzip"):
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif layers[0] == "deflate":
                self._zlib, self._deflate = zlib.decompressobj(zlib.MAX_WBITS), True
            else:
                raise NotHTML(f"{shown} is compressed with {layers[0]}, which newsbot can't read")
        self._shown = shown

    def decode(self, chunk: bytes, max_length: int) -> bytes:
        """Up to `max_length` decoded bytes of `chunk` (more input left means: over the limit)."""
        if self._zlib is None:
            return chunk
        try:
            out = bytes(self._zlib.decompress(chunk, max_length))
            self._deflate = False  # the header was fine
            return out
        except zlib.error:
            if self._deflate:
                # "deflate" is often sent raw, without the zlib header (as httpx also allows).
                self._zlib, self._deflate = zlib.decompressobj(-zlib.MAX_WBITS), False
                return self.decode(chunk, max_length)
            raise FetchError(f"The page's compressed body is damaged: {self._shown}") from None


def parse_content_type(value: str) -> tuple[str, str | None]:
    """("type/subtype" lower-cased or "", charset or None) from a Content-Type header."""
    mime, _, params = value.partition(";")
    charset: str | None = None
    for param in params.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None  # an unknown label is ignored, as browsers do
    return mime.strip().lower(), charset


def content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def describe_type(mime: str) -> str:
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


def format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.3g} MB"
    if size >= 1_000:
        return f"{size / 1_000:.3g} kB"
    return f"{size} bytes"
