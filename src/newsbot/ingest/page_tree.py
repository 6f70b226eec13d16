"""The page tree before trafilatura reads it: link-dense blocks and inline link cards.

`link_dense_blocks` finds the page's short blocks that are mostly link text (teaser lists), so
that `clean_paragraphs` can drop them from the extracted text; `prune_inline_cards` removes hover
cards of people or topics that would glue a list of headlines into a sentence.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SHORT", "element_text", "link_dense_blocks", "prune_inline_cards", "text_key"]

_WORD = re.compile(r"\w+")
_BLOCKS = frozenset(
    [
        "p",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "div",
        "td",
        "dd",
        "dt",
        "figcaption",
        "section",
        "aside",
        "header",
        "footer",
        "nav",
        "ul",
    ]
)
_LINK_SHARE = 0.8  # a block is link-dense when this share of its text is link text
SHORT = 30  # words: "short block" for the link and box rules


def text_key(text: str) -> str:
    """The text's words, case-folded and space-joined: how paragraphs and blocks are compared."""
    return " ".join(_WORD.findall(text.casefold()))


def element_text(element: Any) -> str:
    """An element's text content with its whitespace collapsed."""
    return " ".join(element.text_content().split())


def link_dense_blocks(tree: Any) -> frozenset[str]:
    """Keys of the page's short blocks whose text is mostly link text (teasers, link lists): the
    block around a link, and the blocks inside a link (``<a><h3>Headline</h3></a>``)."""
    found: set[str] = set()
    seen: set[Any] = set()  # elements, not id()s: lxml reuses the ids of freed proxies
    for anchor in tree.iter("a"):
        for inner in anchor.iter(*_BLOCKS):
            text = element_text(inner)
            if text and len(text.split()) <= SHORT:
                found.add(text_key(text))
        block = anchor.getparent()
        while block is not None and block.tag not in _BLOCKS:
            block = block.getparent()
        if block is None or block in seen:
            continue
        seen.add(block)
        text = element_text(block)
        if not text or len(text.split()) > SHORT:
            continue
        linked = sum(len(element_text(a)) for a in block.iter("a"))
        if linked >= _LINK_SHARE * len(text):
            found.add(text_key(text))
    found.discard("")
    return frozenset(found)


def _remove_keeping_tail(element: Any) -> None:
    parent, tail = element.getparent(), element.tail
    if parent is None:
        return
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def prune_inline_cards(tree: Any) -> None:
    """Remove link cards inside paragraphs (hover cards of people or topics: a span of two or
    more links, mostly link text, inside a paragraph's sentence), which would glue a list of
    headlines into the sentence. The innermost such span goes, so the linked name before the
    card stays."""
    cards: list[Any] = []
    for paragraph in tree.iter("p"):
        whole = len(element_text(paragraph))
        for inner in paragraph.iter("span", "div"):
            anchors = list(inner.iter("a"))
            if len(anchors) < 2:
                continue
            text = element_text(inner)
            linked = sum(len(element_text(a)) for a in anchors)
            if text and linked >= _LINK_SHARE * len(text) and len(text) < 0.9 * whole:
                cards.append(inner)
    chosen = set(cards)
    for card in cards:
        ancestor = card.getparent()
        while ancestor is not None:
            chosen.discard(ancestor)  # an outer span holding a card also holds the name
            ancestor = ancestor.getparent()
    for card in cards:
        if card in chosen and card.getparent() is not None:
            parent = card.getparent()
            _remove_keeping_tail(card)
            # a wrapper left empty goes too (trafilatura would drop it with the text after it)
            while (
                parent.tag in ("span", "div")
                and len(parent) == 0
                and not (parent.text or "").strip()
            ):
                grandparent = parent.getparent()
                _remove_keeping_tail(parent)
                parent = grandparent
                if parent is None:
                    break
