"""Article text and metadata from HTML pages (trafilatura); what both extraction paths share.

`extract_html` here and `newsbot.text_article.parse_text_article` both return an
:class:`ExtractedArticle` whose ``text`` holds one block per paragraph,
paragraphs separated by blank lines, subheadings as their own paragraphs (so passage splitting can
keep a subheading with the text after it). The text never contains the title.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import trafilatura

from newsbot.clutter import (
    PageHints,
    clean_paragraphs,
    keep_lead,
    lead_is_there,
    link_dense_blocks,
    prune_inline_cards,
)
from newsbot.errors import NoArticleText
from newsbot.page_meta import PageMeta, pick_authors, pick_site, read_meta, same_name
from newsbot.passages import split_sentences

__all__ = [
    "ExtractedArticle",
    "content_fingerprint",
    "extract_html",
    "normalize_text",
]

log = logging.getLogger(__name__)


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


# ---------------------------------------------------------------------------------------------
# HTML

# trafilatura options, chosen by measuring on the extraction-tune set (91 pages, token F1 of the
# extracted text against the benchmark's articleBody; see benchmarks/extraction.py):
#   defaults 0.958 | include_comments=False 0.960 | favor_recall 0.960 | favor_precision 0.970
#   favor_precision + include_comments=False 0.972 | ... + include_tables=False 0.968
# Reader comments are never article text. Tables stay: some articles are tables (results,
# schedules). deduplicate stays off: its cache is process-wide, so the same page extracted twice
# (a re-sent /add) would lose text the second time, and duplicates are the store's job.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "deduplicate": False,
    "with_metadata": True,
}
# Precision mode skips trafilatura's own rescue steps for short results, so when it returns
# little we ask the balanced mode too and take its text when it is at least twice as long.
_RESCUE_BELOW = 500
_MIN_TEXT = 200  # below this, the text must hold real sentences to count as an article
TITLE_MAX = 200  # longer titles are shortened at a word boundary


def _run_trafilatura(tree: Any, url: str | None, *, precision: bool) -> Any:
    """trafilatura's Document for an already parsed page, or None."""
    date_params = {
        "original_date": True,
        "extensive_search": True,
        "max_date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # keep the time and offset when the page has them
    }
    try:
        return trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=precision,
            date_extraction_params=date_params,
            **_TRAFILATURA_OPTIONS,
        )
    except Exception:  # odd pages can trip anything inside lxml/trafilatura
        log.debug("trafilatura failed on %s", url or "a page", exc_info=True)
        return None


def _document_paragraphs(document: Any) -> list[str]:
    """trafilatura's text with every block (paragraph, heading, list item) as its own paragraph."""
    raw = getattr(document, "text", None) if document is not None else None
    if not isinstance(raw, str):
        return []
    lines = (line.strip() for line in normalize_text(raw).split("\n"))
    return [line for line in lines if line and not BOILERPLATE_LINE.fullmatch(line)]


def _is_trivial(text: str) -> bool:
    """True for text that is not an article: empty, or a short scrap without real sentences.

    A short news item passes: two sentences of five words or more, or one of ten words or more.
    """
    if not text.strip():
        return True
    if len(text) >= _MIN_TEXT:
        return False
    full: list[int] = []
    for sentence in split_sentences(text):
        if sentence.rstrip("\"'”’»)]").endswith((".", "!", "?", "。", "！", "？", "؟", "…")):
            words = len(sentence.split())
            if words == 1:  # no spaces: CJK and the like, count characters instead
                words = len(sentence) // 3
            full.append(words)
    return not (sum(1 for w in full if w >= 5) >= 2 or any(w >= 10 for w in full))


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return None


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


def _canonical_url(tree: Any, given: str | None) -> str | None:
    """The page's canonical link or og:url when it is http(s), else the given URL."""
    found: str | None = None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel:
            found = http_url(link.get("href"), given)
            if found:
                break
    if found is None:
        for meta in tree.iter("meta"):
            if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
                found = http_url(meta.get("content"), given)
                if found:
                    break
    given_url = http_url(given) or given
    # A canonical link to the home page on an article URL is a site template mistake; trusting it
    # would make every article of that site a duplicate of the first one.
    if (
        found
        and given_url
        and urlsplit(found).path in ("", "/")
        and urlsplit(given_url).path not in ("", "/")
    ):
        return given_url
    return found or given_url


_LANG = re.compile(r"([A-Za-z]{2,3})(?:$|[-_])")


def _page_language(tree: Any) -> str | None:
    """The primary language subtag declared by the page (``<html lang>``, meta tags)."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        if isinstance(value, str) and (m := _LANG.match(value.strip())):
            return m.group(1).lower()
    return None


def _page_title(tree: Any) -> str | None:
    for element in tree.iter("title"):
        return _str_or_none(element.text_content())
    return None


def _strip_site_name(title: str, site: str | None) -> str:
    """'Story – Site' or 'Site | Story' -> 'Story' when that part is the known site name."""
    if not site:
        return title
    folded = site.casefold()
    for sep in (" | ", " – ", " — ", " - ", " :: ", " · "):
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and tail.strip().casefold() == folded:
            return head.strip()
    if title.casefold().startswith(folded):
        rest = title[len(site) :]
        for sep in (" | ", " – ", " — ", " - ", ": ", " :: ", " · "):
            if rest.startswith(sep) and rest[len(sep) :].strip():
                return rest[len(sep) :].strip()
    return title


def _parse_datetime(value: Any) -> datetime | None:
    """An ISO date or datetime string as aware UTC (no offset given: taken as UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _title(document: Any, tree: Any, page: PageMeta, site: str | None) -> str | None:
    """trafilatura's title (or the <title>) without the site name; never the site name itself."""
    sites = [site, *page.meta.get("og:site_name", ())]
    for candidate in (_str_or_none(document.title), _page_title(tree), *page.headlines()):
        if candidate:
            title = _strip_site_name(candidate, site).rstrip(" |-–—:·").strip()
            if title and not any(same_name(title, s) for s in sites):
                return title
    return None


def _hints(page: PageMeta, title: str | None, tree: Any, link_blocks: frozenset[str]) -> PageHints:
    descriptions = [
        v for k in ("og:description", "description", "twitter:description") if (v := page.first(k))
    ]
    bodies = [body[:400] for body in page.article_bodies()]
    page_title = _page_title(tree)
    return PageHints(
        headlines=tuple(h for h in (title, page_title, *page.headlines()) if h),
        link_blocks=link_blocks,
        lead_hints=tuple(descriptions + bodies),
    )


def extract_html(
    html: str | bytes, *, url: str | None = None, clean: bool = True
) -> ExtractedArticle:
    """Extract the main text and metadata of an HTML page.

    `clean=False` gives trafilatura's text as it was before the clutter layer (no lead rescue,
    no clutter removal): for the extraction benchmark's before/after figures.
    Raises NoArticleText when the page holds no article text (an empty body, a login form, ...).
    """
    where = url or "the page"
    try:
        tree = trafilatura.load_html(html)
    except Exception:  # undecodable or broken input is "no article", not a crash
        log.debug("could not parse %s", where, exc_info=True)
        tree = None
    if tree is None:
        raise NoArticleText(f"No article text found in {where}")

    page = read_meta(tree)
    link_blocks = link_dense_blocks(tree) if clean else frozenset()
    if clean:
        prune_inline_cards(tree)
    document = _run_trafilatura(tree, url, precision=True)
    paragraphs = _document_paragraphs(document)
    canonical = _canonical_url(tree, url)
    site = pick_site(page, canonical)
    title = _title(document, tree, page, site) if document is not None else None
    hints = _hints(page, title, tree, link_blocks)
    short = len("\n\n".join(paragraphs)) < _RESCUE_BELOW
    if short or (clean and not lead_is_there(paragraphs, hints)):
        balanced = _run_trafilatura(tree, url, precision=False)
        balanced_paragraphs = _document_paragraphs(balanced)
        if short and len("\n\n".join(balanced_paragraphs)) >= 2 * len("\n\n".join(paragraphs)):
            document, paragraphs = balanced, balanced_paragraphs
            title = _title(document, tree, page, site) if document is not None else None
        elif clean:
            paragraphs = keep_lead(paragraphs, balanced_paragraphs, hints, tree)
    text = "\n\n".join(paragraphs)
    if document is None or _is_trivial(text):
        raise NoArticleText(f"No article text found in {where}")
    if clean:
        cleaned = "\n\n".join(clean_paragraphs(paragraphs, hints))
        text = text if _is_trivial(cleaned) else cleaned  # never clean an article away

    title = title or first_line_title(text)
    first, _, rest = text.partition("\n\n")
    if rest and _WORD.findall(first.casefold()) == _WORD.findall(title.casefold()):
        text = rest  # the page's <h1> repeats the title, which is stored on its own
    return ExtractedArticle(
        title=shorten(title, TITLE_MAX),
        text=text,
        url=canonical,
        site=site,
        author=pick_authors(page, canonical, site),
        published=_parse_datetime(document.date),
        language=_page_language(tree) or _str_or_none(document.language),
    )


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
