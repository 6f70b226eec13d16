"""The article's lead, when trafilatura's precision mode dropped it.

`keep_lead` puts back the first paragraph when trafilatura's precision mode dropped it and the
balanced mode, the page's description or its JSON-LD ``articleBody`` shows it is the article's.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from newsbot.ingest.clutter import PageHints, clutter_class
from newsbot.ingest.page_tree import element_text, text_key

__all__ = ["keep_lead", "lead_is_there"]


def _covers(paragraph: str, hint: str) -> bool:
    """The paragraph holds the hint's first sentence (or the hint holds the paragraph)."""
    a, b = text_key(paragraph), text_key(hint)
    if not a or not b:
        return False
    first = " ".join(b.split()[:12])
    head = a[:1000]  # the hint's start is at the paragraph's start; bound fuzz's work
    return first in a or (len(a.split()) >= 8 and a in b) or fuzz.partial_ratio(first, head) >= 90


def lead_is_there(paragraphs: list[str], hints: PageHints) -> bool:
    """The page describes its lead (description, articleBody) and the text starts with it."""
    return any(_covers(p, h) for h in hints.lead_hints for p in paragraphs[:2])


def _element_with(tree: Any, key: str) -> Any:
    """The page's paragraph element whose text is the given key, or None."""
    for element in tree.iter("p", "li", "blockquote", "h2", "h3", "h4", "h5", "h6"):
        if text_key(element_text(element)) == key:
            return element
    return None


def _previous_text(element: Any) -> str:
    """The text of the element just before this one (skipping empty ones), or ''."""
    previous = element.getprevious()
    while previous is not None and not element_text(previous):
        previous = previous.getprevious()
    return element_text(previous) if previous is not None else ""


def keep_lead(paragraphs: list[str], balanced: list[str], hints: PageHints, tree: Any) -> list[str]:
    """The paragraphs with the lead put back when the precision run dropped it.

    The candidate is the balanced run's paragraph just before the precision text's first one
    (kept when the page's description/articleBody starts with it, or there is none), else the
    page's element just before that first paragraph (kept only when the description or
    articleBody starts with it). Either must be prose (a sentence of eight words or more, not
    clutter) standing next to the first paragraph in the article body: a standfirst in the
    header is not the lead."""
    if not paragraphs or lead_is_there(paragraphs, hints):
        return paragraphs
    # the first paragraph of the body: after a repeated headline, a byline, ...
    body = next((i for i, p in enumerate(paragraphs) if clutter_class(p, hints) is None), 0)
    first = text_key(paragraphs[body])
    after = _element_with(tree, first)
    if after is None:
        return paragraphs
    candidates: list[tuple[str, bool]] = []  # (text, confirmed)
    start = next((i for i, p in enumerate(balanced) if text_key(p) == first), None)
    if start:
        text = balanced[start - 1]
        lead = _element_with(tree, text_key(text))
        if lead is not None and lead.getparent() is after.getparent():
            hinted = not hints.lead_hints or any(_covers(text, h) for h in hints.lead_hints)
            candidates.append((text, hinted))
    text = _previous_text(after)
    candidates.append((text, any(_covers(text, h) for h in hints.lead_hints)))
    for candidate, confirmed in candidates:
        prose = len(candidate.split()) >= 8 and candidate.rstrip("\"'”’)»").endswith(
            (".", "!", "?")
        )
        if confirmed and prose and clutter_class(candidate, hints) is None:
            return [*paragraphs[:body], candidate, *paragraphs[body:]]
    return paragraphs
