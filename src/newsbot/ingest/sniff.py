"""Is it text? Files and uploads are judged by their bytes, not by their names.

A `.txt` that is really a zip, a gzip or random bytes would otherwise be stored as an article with
a garbage title. `check_bytes` refuses known binary formats by their magic numbers and bodies full
of control bytes; `decode_text` honours byte-order marks (UTF-8, UTF-16, UTF-32, the BOM never
reaching the title) and refuses text with many control or replacement characters.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from newsbot.errors import NotHTML

__all__ = ["check_bytes", "decode_text", "html_input"]

_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a zip archive (or an Office document)"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"\x89PNG\r\n\x1a\n", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF87a", "an image"),
    (b"GIF89a", "an image"),
    (b"RIFF", "a media file"),
    (b"OggS", "a media file"),
    (b"ID3", "an audio file"),
    (b"\x7fELF", "a program"),
    (b"\x00asm", "a program"),
    (b"SQLite format 3\x00", "a database file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document"),
)
_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE: Final = 65_536
_MAX_JUNK_SHARE: Final = 0.01  # more than 1% control bytes or U+FFFD: not text
_CONTROL_BYTES: Final = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_JUNK_CHARS: Final = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ufffd]")


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def check_bytes(data: bytes, name: str) -> None:
    """Raise NotHTML if `data` is a known binary format or full of control bytes."""
    head = data[:1024].lstrip()
    for magic, label in _MAGIC:
        if head.startswith(magic):
            raise NotHTML(f"{name} is {label}, not an article")
    if _bom(data) is None:
        sample = data[:_SAMPLE]
        if sample and len(_CONTROL_BYTES.findall(sample)) > _MAX_JUNK_SHARE * len(sample):
            raise NotHTML(f"{name} looks like a binary file, not text")


def decode_text(data: bytes, name: str) -> str:
    """The text of a file: its BOM's encoding, else UTF-8, else Windows-1252; refuses binary."""
    check_bytes(data, name)
    bom = _bom(data)
    if bom is not None:
        text = data[bom[1] :].decode(bom[0], errors="replace")
    else:
        for encoding in ("utf-8", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("utf-8", errors="replace")
    sample = text[:_SAMPLE]
    if sample and len(_JUNK_CHARS.findall(sample)) > _MAX_JUNK_SHARE * len(sample):
        raise NotHTML(f"{name} looks like a binary file, not text")
    return text


def html_input(data: bytes, name: str) -> str | bytes:
    """What to give the HTML parser: the bytes (it reads meta charset), or text for a BOM file."""
    check_bytes(data, name)
    if (bom := _bom(data)) is not None and bom[0] != "utf-8":
        return decode_text(data, name)
    return data
