"""An entry's own article: the text of a feed's content:encoded / Atom content."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

_BLOCKS: Final = frozenset(
    {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr"}
)
_SKIP: Final = frozenset({"script", "style", "figcaption", "iframe", "noscript"})
# WordPress and friends end every item with one of these.
_FOOTER: Final = re.compile(
    r"^(?:the post .+ appeared first on .+|continue reading.*|read more.*)$", re.IGNORECASE
)
FULL_ARTICLE_CHARS: Final = 500  # shorter content is a teaser: fetch the link instead


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Paragraphs of an HTML fragment as plain text (blank line between blocks)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    blocks = [" ".join(block.split()) for block in "".join(parser.parts).split("\n\n")]
    return "\n\n".join(block for block in blocks if block and not _is_footer(block))


def _is_footer(block: str) -> bool:
    return _FOOTER.match(block) is not None


def carries_article(html: str | None) -> str | None:
    """The content's text when it is a whole article, not a teaser; else None."""
    if not html:
        return None
    text = html_to_text(html)
    return text if len(text) >= FULL_ARTICLE_CHARS else None
