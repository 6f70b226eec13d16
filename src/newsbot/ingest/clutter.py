"""Page clutter that trafilatura leaves in an article's text, and the article's lead it drops.

`clean_paragraphs` removes, from the extracted paragraphs, the classes of text that are not the
article (each rule is for a class seen across news sites, never for one page):

- ``related``: "Read more: …", "Related: …", "[Related: …]", "Also on …", "DON'T MISS",
  "More AP NBA: https://…", "… [INSIGHT]" teasers, and the list items of such a box;
- ``links``: short blocks that are (almost) all link text on the page (teaser lists);
- ``cta``: share and subscribe prompts, newsletter boxes, "Comments", "Click here …";
- ``byline``: bylines, datelines, reading times, reporter e-mails, handles and bios;
- ``follow``: "Follow … on Twitter/Facebook" (the sentence, or the bio paragraph it ends);
- ``headline``: the headline repeated inside the text;
- ``caption``: photo captions and credits, copyright lines;
- ``tweet``: tweet residue: "pic.twitter.com/…", t.co links, "— Name (@handle) date" lines;
- ``wire``: wire sign-offs: "(Reporting by …; Editing by …)", "© Reuters", "SOURCE: …".

A rule that drops a whole paragraph applies only to short ones (a few dozen words): a long
paragraph is article text even when it mentions a newsletter or a photo.

`keep_lead` puts back the first paragraph when trafilatura's precision mode dropped it and the
balanced mode, the page's description or its JSON-LD ``articleBody`` shows it is the article's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

__all__ = [
    "PageHints",
    "clean_paragraphs",
    "clutter_class",
    "keep_lead",
    "lead_is_there",
    "link_dense_blocks",
    "prune_inline_cards",
]

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
_SHORT = 30  # words: "short block" for the link and box rules
_CLUTTER_MAX = 40  # words: paragraphs longer than this are never dropped as clutter
_CLUTTER_CHARS = 1000  # characters: longer paragraphs are never clutter either
_TOP = 5  # a repeated headline is looked for in this many first paragraphs


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


@dataclass(frozen=True)
class PageHints:
    """What the page itself says about its article, for telling it from clutter."""

    headlines: tuple[str, ...] = ()  # title, og:title, JSON-LD headline, <h1>s
    link_blocks: frozenset[str] = frozenset()  # keys of short link-dense blocks of the page
    lead_hints: tuple[str, ...] = ()  # og:description, description, articleBody's start


# ---------------------------------------------------------------------------------------------
# The page tree


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def link_dense_blocks(tree: Any) -> frozenset[str]:
    """Keys of the page's short blocks whose text is mostly link text (teasers, link lists): the
    block around a link, and the blocks inside a link (``<a><h3>Headline</h3></a>``)."""
    found: set[str] = set()
    seen: set[Any] = set()  # elements, not id()s: lxml reuses the ids of freed proxies
    for anchor in tree.iter("a"):
        for inner in anchor.iter(*_BLOCKS):
            text = _text(inner)
            if text and len(text.split()) <= _SHORT:
                found.add(_key(text))
        block = anchor.getparent()
        while block is not None and block.tag not in _BLOCKS:
            block = block.getparent()
        if block is None or block in seen:
            continue
        seen.add(block)
        text = _text(block)
        if not text or len(text.split()) > _SHORT:
            continue
        linked = sum(len(_text(a)) for a in block.iter("a"))
        if linked >= _LINK_SHARE * len(text):
            found.add(_key(text))
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
        whole = len(_text(paragraph))
        for inner in paragraph.iter("span", "div"):
            anchors = list(inner.iter("a"))
            if len(anchors) < 2:
                continue
            text = _text(inner)
            linked = sum(len(_text(a)) for a in anchors)
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


# ---------------------------------------------------------------------------------------------
# Paragraph rules

_I = re.IGNORECASE
_RELATED = re.compile(
    r"\[?\s*(?:read (?:more|also|next)|also read|related(?: (?:articles?|stories|posts|coverage"
    r"|content|links|reading|news|video))?|see (?:more|also)|more(?: (?:on|from|about) [^:]{1,40}"
    r"| ap [^:]{1,30}| news| stories| coverage)?|also on [^:]{1,40}|don'?t miss|most (?:read"
    r"|popular|viewed|shared)(?: [^:]{0,30})?|you (?:may|might) (?:also )?like|recommended"
    r"(?: for you| reading| stories)?|editor'?s picks?|top stories|trending(?: now)?"
    r"|watch(?: more| now)?|further reading)\s*(?::|\.\.\.|…|!|\s[-–—|]\s|$)",
    _I,
)
_TEASER_TAG = re.compile(r"\[[A-Z][A-Z ]{1,15}\]\s*\|?\s*$")  # Express: "… jibe [INSIGHT]|"
_LINK_LINE = re.compile(r"[^.!?]{0,80}:\s*https?://\S+")  # "More AP NBA: https://…"
_CTA = re.compile(
    r"(?:like|love|enjoy(?:ed)?) this (?:story|article|post)\b"
    r"|(?:tell us what you think|have your say|leave a comment|show comments|view comments"
    r"|join the (?:conversation|discussion)|\d*\s*comments?)\W*$"
    r"|(?:subscribe|sign up|register)(?: now| today| here| free)?(?:\W*$|(?: for| to)? "
    r"(?:our |the |a |my |[\w.]+['’]s )?(?:[\w-]+ ){0,3}(?:newsletters?|alerts|updates|e-?mails?"
    r"|podcast|channel"
    r"|mailing list|digest)\b)"
    r"|click (?:here|to)\b"
    r"|get (?:the )?(?:latest|day['’]?s)\b.{0,80}\b(?:inbox|newsletter|updates|stories)"
    r"|(?:have|got) a (?:news )?tip\b"
    r"|listen (?:to|back)\b.{0,80}\b(?:live|podcast|here)\b"
    r"|(?:download|get) (?:the|our) (?:[\w.]+ )?app\b",
    _I,
)
_CTA_ANYWHERE = re.compile(
    r"\bshare (?:this|it) (?:story |article )?with\b|\b(?:in|to) your inbox\b|\bclick here\b",
    _I,
)
_SHORTCODE = re.compile(r"\[(\w+)\b[^\]]*\].*\[/\1\]")  # CMS residue: [button …]…[/button]
_PROMO = re.compile(  # calls to subscribe that run longer than other clutter
    r"if you (?:enjoyed|liked|appreciate[ds]?) (?:this|reading)\b"
    r"|(?:get|try|start|become|join|unlock|upgrade)\b.{0,300}\b(?:subscriptions?|membership"
    r"|free trial|promo code|use the code)\b",
    _I,
)
_PROMO_MAX = 80
_BOX_TITLE = re.compile(r"(?:[\w'’&+-]+\s){0,4}newsletters?\W*", _I)  # "Pick Six Newsletter"
_CTA_FOLLOWER = re.compile(r"(?:get|sign up|subscribe|enter|delivered|receive)\b", _I)
# bounded and anchored at a word start: an unbounded [\w.]+@ backtracks quadratically on junk
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,5}\.[a-z]{2,}", _I)
_HANDLE = re.compile(r"(?<![\w@])@\w{2,15}\b")
_BY_HANDLE = re.compile(r".{0,200}\b(?:by|via|[-–—])\s*@\w{2,15}\W*", _I)
# a dateline in any language: a clock time and a year, in a short line that is not a sentence
_DATELINE = re.compile(r"(?=.*\b\d{1,2}[:h.]\d{2}\b)(?=.*\b(?:19|20)\d{2}\b)[^.!?]{0,80}")
_BYLINE = re.compile(  # names are matched case-sensitively, the keywords are not
    r"(?i:by|written by|words by|author\s*:)\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
    r"(?:\s*(?:,|and|&|\||\s[-–—]\s)\s*.{0,60})?"
    r"|[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+){1,2}\sis an? (?:[\w-]+ ){0,3}(?i:reporter|writer|editor"
    r"|correspondent|columnist|contributor|journalist|producer|intern)\b.*"
    r"|(?i:updated|published|posted|last updated|first published)\b(?i: at| on)?\W.{0,60}\d.{0,30}"
    r"|\d{1,2}:\d{2}\s*(?i:[ap]\.?m)\.?\b.{0,40}\b(?i:by)\b.{0,60}"
    r"|(?i:reading time|tempo de leitura|lesezeit|temps de lecture)\s*:.{0,30}"
    r"|\d+\s*(?i:min(?:ute)?s? read)"
    r"|(?i:filed under|categories|category|tags?|posted in)\s*:.{0,120}",
)
_FOLLOW = re.compile(
    r"(?:^|(?<=[.!?]\s))Follow\s+(?:us|him|her|them|me|our|my|his|[A-Z@][\w.'’@-]*(?:\s+[A-Z][\w.'’-]*){0,4})"
    r"\b[^.!?]{0,120}?\b(?:on|at|via)\s+(?:Twitter|Facebook|Instagram|YouTube|LinkedIn|TikTok"
    r"|Threads|Mastodon|Bluesky|Google\+|https?://\S+|@\w+)[^.!?]*[.!?]?",
)
_CREDIT = re.compile(
    r"(?:photo|photograph|image|picture|pic|video|graphic|illustration|credit|file photo)s?"
    r"(?:\s+credit)?\s*:"
    r"|(?:©|\(c\)|copyright\s+(?:©\s*)?\d{4}\b|copyright\b)"
    r"|.{0,200}(?:©|\bgetty images\b|\bap photo\b|\bshutterstock\b|\bistock(?:photo)?\b"
    r"|/(?:AP|AFP|Reuters|EPA|Getty)\b)",
    _I,
)
_CREDIT_TAIL = re.compile(
    r"\s*\((?:photo|image|picture|video|credit|photo credit|image credit|file photo)s?\b[^)]*\)"
    r"\s*$",
    _I,
)
_TWEET_LINK = re.compile(r"\s*(?:pic\.twitter\.com/\w+|https?://t\.co/\w+)")
_TWEET_BY = re.compile(r"[—–-]\s*.{1,80}\(@\w{1,15}\)\s*(?:\w+ \d{1,2}, \d{4})?")
_WIRE_TAIL = re.compile(
    r"\s*\((?:additional )?(?:reporting|writing|editing|compiled|translated|research)\s+by\b"
    r"[^)]*\)\s*|\s*©\s*(?:\d{4}\s*)?(?:thomson\s+)?reuters\b.*$",
    _I,
)
_WIRE = re.compile(
    r"(?:additional )?(?:reporting|writing|editing) by\b.*"
    r"|.{0,120}\b(?:contributed to this (?:report|story|article)|all rights reserved)\b.*"
    r"|(?:sources?|with (?:agencies|files from))\s*:\s*.{1,60}",
    _I,
)
_CLICK_TO_TWEET = re.compile(r"\s*Click To Tweet\s*$", _I)


def _is_headline(paragraph: str, hints: PageHints) -> bool:
    key = _key(paragraph)
    return bool(key) and any(fuzz.ratio(key, _key(h)) >= 85 for h in hints.headlines)


def clutter_class(
    paragraph: str, hints: PageHints = PageHints(), *, near_top: bool = True
) -> str | None:
    """The clutter class of a whole paragraph, or None when it may be article text.

    `near_top`: the paragraph is among the first few, where a repeated headline sits."""
    if len(paragraph) > _CLUTTER_CHARS:
        return None  # clutter is short; a long run of characters is junk or article text
    words = len(paragraph.split())
    line = paragraph.strip().removeprefix("- ").strip()
    if words > _CLUTTER_MAX:
        return "cta" if words <= _PROMO_MAX and _PROMO.match(line) else None
    # a linked sentence of ten words or more is prose (a lead full of links), not a teaser
    sentence = words >= 10 and line.rstrip("\"'”’)»").endswith((".", "!", "?"))
    checks: tuple[tuple[str, bool], ...] = (
        ("related", bool(_RELATED.match(line) or _TEASER_TAG.search(line))),
        ("related", bool(_LINK_LINE.fullmatch(line)) and words <= 12),
        ("links", 4 <= words <= _SHORT and _key(line) in hints.link_blocks and not sentence),
        ("cta", bool(_CTA.match(line) or _CTA_ANYWHERE.search(line))),
        ("cta", words <= 5 and bool(_BOX_TITLE.fullmatch(line))),
        ("cta", bool(_PROMO.match(line) or _SHORTCODE.search(line))),
        ("byline", bool(_EMAIL.search(line) or _BYLINE.fullmatch(line))),
        ("byline", bool(_HANDLE.fullmatch(line) or _BY_HANDLE.fullmatch(line))),
        ("byline", words <= 10 and bool(_DATELINE.fullmatch(line))),
        ("headline", near_top and words <= _SHORT and _is_headline(line, hints)),
        ("caption", words <= _SHORT and bool(_CREDIT.match(line))),
        ("tweet", bool(_TWEET_BY.fullmatch(line))),
        ("wire", bool(_WIRE.fullmatch(line))),
    )
    return next((name for name, hit in checks if hit), None)


def _scrub(paragraph: str) -> str:
    """Clutter inside a paragraph: tweet links, credit and wire tails, 'Click To Tweet'."""
    paragraph = _TWEET_LINK.sub("", paragraph)
    paragraph = _WIRE_TAIL.sub(" ", paragraph).strip()
    paragraph = _CREDIT_TAIL.sub("", paragraph)
    return _CLICK_TO_TWEET.sub("", paragraph).strip()


def clean_paragraphs(paragraphs: list[str], hints: PageHints = PageHints()) -> list[str]:
    """The paragraphs without the clutter classes (see the module's docstring)."""
    kept: list[str] = []
    box: str | None = None  # the class of the box header just seen ("related", "cta")
    last = len(paragraphs) - 1
    for index, raw in enumerate(paragraphs):
        paragraph = _scrub(raw)
        if not _WORD.search(paragraph):
            continue
        if _FOLLOW.search(paragraph):
            # a bio at the end ("X's book is out now. Follow him on Twitter") goes whole
            if index >= last - 2 and len(paragraph.split()) <= 60:
                continue
            paragraph = " ".join(_FOLLOW.sub("", paragraph).split())
            if not _WORD.search(paragraph):
                continue
        kind = clutter_class(paragraph, hints, near_top=index < _TOP)
        if kind is None and box is not None:
            if paragraph.startswith("- ") and len(paragraph.split()) <= _SHORT:
                kind = box  # the list of a "Related" box
            elif box == "cta" and _CTA_FOLLOWER.match(paragraph) and len(paragraph.split()) <= 30:
                kind = box  # "Pick Six Newsletter" / "Get the day's big stories …"
        if kind is not None:
            box = kind if kind in ("related", "cta") else box
            continue
        box = None
        kept.append(paragraph)
    return kept


# ---------------------------------------------------------------------------------------------
# The lead


def _covers(paragraph: str, hint: str) -> bool:
    """The paragraph holds the hint's first sentence (or the hint holds the paragraph)."""
    a, b = _key(paragraph), _key(hint)
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
        if _key(_text(element)) == key:
            return element
    return None


def _previous_text(element: Any) -> str:
    """The text of the element just before this one (skipping empty ones), or ''."""
    previous = element.getprevious()
    while previous is not None and not _text(previous):
        previous = previous.getprevious()
    return _text(previous) if previous is not None else ""


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
    first = _key(paragraphs[body])
    after = _element_with(tree, first)
    if after is None:
        return paragraphs
    candidates: list[tuple[str, bool]] = []  # (text, confirmed)
    start = next((i for i, p in enumerate(balanced) if _key(p) == first), None)
    if start:
        text = balanced[start - 1]
        lead = _element_with(tree, _key(text))
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
