"""What both extraction paths share: the article record, text normalisation, fingerprints,
titles and URLs.

`newsbot.ingest.html.extract_html` and `newsbot.ingest.plaintext.parse_text_article` both return
an :class:`ExtractedArticle` whose ``text`` holds one block per paragraph, paragraphs separated
by blank lines, subheadings as their own paragraphs (so passage splitting can keep a subheading
with the text after it). The text never contains the title.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from newsbot.ingest.sentences import split_sentences

__all__ = [
    "BOILERPLATE_LINE",
    "ExtractedArticle",
    "content_fingerprint",
    "first_line_title",
    "http_url",
    "normalize_text",
    "shorten",
]


@dataclass(frozen=True)
class ExtractedArticle:
    """An article's text and what is known about it."""

    title: str
    text: str
    url: str | None
    site: str | None
    author: str | None
    published: datetime | None  # timezone-aware UTC when known
    language: str | None


# ---------------------------------------------------------------------------------------------
# Text normalisation and fingerprints

# Invisible characters that only get in the way of search and display: zero-width space, word
# joiner, BOM, soft hyphen, and bidi marks/embeddings. ZWJ and ZWNJ (U+200D, U+200C) are kept:
# they are spelling in Persian and Indic scripts and hold emoji sequences together.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u2060\ufeff\u00ad\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    None,
)
# C0/C1 control characters other than tab and the line breaks handled before this runs.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028]")
_BLANK_LINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """NFC, no invisible or control characters, single spaces, at most one blank line in a row."""
    # ASCII text (most bulk imports) has nothing to compose and no invisible characters.
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        text = text.translate(_INVISIBLE)
    text = _LINE_BREAKS.sub("\n", text).replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def content_fingerprint(text: str, *, normalized: bool = False) -> str:
    """SHA-256 of the text's words, casefolded: equal for the same text however it is spaced,
    punctuated or capitalised, so a re-submitted article is recognised as a duplicate.

    `normalized=True` says the text already went through `normalize_text` (saves a pass)."""
    words = _WORD.findall((text if normalized else normalize_text(text)).casefold())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def http_url(value: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its fragment, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        resolved = urljoin(base, value) if base else value
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit(parts._replace(fragment=""))


# ---------------------------------------------------------------------------------------------
# Shared with the plain-text path


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:–-") + "…"


def first_line_title(text: str) -> str:
    """A title made from the start of the text: its first sentence, shortened."""
    first = text.strip().split("\n", 1)[0]
    sentences = split_sentences(first)
    return shorten(sentences[0] if sentences else first, 120)


# Comment-form and sharing widgets that blogs (WordPress above all) print under the article and
# that copy-paste and "save as text" carry along. Whole lines only, so a sentence that happens to
# contain these words stays. The list is short on purpose: each entry is a line no article
# paragraph ever consists of.
BOILERPLATE_LINE = re.compile(
    r"(?:leave a (?:reply|comment)"
    r"|your email address will not be published\.?(?:\s*required fields are marked\s*\*?)?"
    r"|required fields are marked\s*\*?"
    r"|share this(?: article| story| post)?:?"
    r"|click to (?:share|email|print)\b.{0,80}"
    r"|like this:?"
    r"|like loading\.*…?"
    r"|related(?: posts| articles| stories)?:?"
    r"|post navigation"
    r"|subscribe to our newsletter[.!]?)",
    re.IGNORECASE,
)
