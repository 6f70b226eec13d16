"""Article text and metadata from HTML pages (trafilatura).

`extract_html` returns an :class:`~newsbot.ingest.text.ExtractedArticle` (see there for the shape
of its text).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura

from newsbot.errors import NoArticleText
from newsbot.ingest.clutter import PageHints, clean_paragraphs
from newsbot.ingest.lead import keep_lead, lead_is_there
from newsbot.ingest.page_meta import PageMeta, pick_authors, pick_site, read_meta, same_name
from newsbot.ingest.page_tree import link_dense_blocks, prune_inline_cards
from newsbot.ingest.sentences import split_sentences
from newsbot.ingest.text import (
    _WORD,
    BOILERPLATE_LINE,
    ExtractedArticle,
    first_line_title,
    http_url,
    normalize_text,
    shorten,
)

__all__ = ["MAX_ELEMENTS", "extract_html", "refuse_junk"]

log = logging.getLogger(__name__)


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
# trafilatura's time grows with the square of the element count: 20,000 elements take ~4 s, and
# the largest page of the extraction-tune set has 1,596.
MAX_ELEMENTS = 20_000
_DIRECTORY_LISTING = re.compile(r"\s*(?:index of|directory listing for)\s+/", re.IGNORECASE)
# Text of many paragraphs that are nearly all scraps (under 20 characters) or repeats is junk, not
# an article. The tune set's worst: 24 paragraphs all short (Japanese), 205 with 29% distinct.
_JUNK_MIN_PARAGRAPHS = 100
_JUNK_TINY_SHARE = 0.9
_JUNK_MIN_DISTINCT = 0.1


def refuse_junk(text: str, where: str) -> None:
    """Raise NoArticleText when the text is mostly tiny or repeated paragraphs."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) < _JUNK_MIN_PARAGRAPHS:
        return
    tiny = sum(1 for p in paragraphs if len(p) < 20)
    if tiny > _JUNK_TINY_SHARE * len(paragraphs):
        raise NoArticleText(f"{where} is mostly scraps of text ({tiny:,} tiny paragraphs)")
    distinct = len({p.casefold() for p in paragraphs})
    if distinct < _JUNK_MIN_DISTINCT * len(paragraphs):
        raise NoArticleText(f"{where} is mostly the same text repeated")


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
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_ELEMENTS:
        raise NoArticleText(
            f"{where} has {elements:,} HTML elements, more than the {MAX_ELEMENTS:,} "
            "an article page has; not added"
        )
    page_title = _page_title(tree) or ""
    if _DIRECTORY_LISTING.match(page_title):
        raise NoArticleText(f"{where} is a directory listing, not an article")

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
    refuse_junk(text, where)
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
