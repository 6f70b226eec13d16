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

The page-tree side (link-dense blocks, inline cards) is in `page_tree`; the lead trafilatura
drops is put back by `lead.keep_lead`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from newsbot.ingest.page_tree import SHORT, text_key

__all__ = [
    "PageHints",
    "clean_paragraphs",
    "clutter_class",
]

_WORD = re.compile(r"\w+")
_CLUTTER_MAX = 40  # words: paragraphs longer than this are never dropped as clutter
_CLUTTER_CHARS = 1000  # characters: longer paragraphs are never clutter either
_TOP = 5  # a repeated headline is looked for in this many first paragraphs


@dataclass(frozen=True)
class PageHints:
    """What the page itself says about its article, for telling it from clutter."""

    headlines: tuple[str, ...] = ()  # title, og:title, JSON-LD headline, <h1>s
    link_blocks: frozenset[str] = frozenset()  # keys of short link-dense blocks of the page
    lead_hints: tuple[str, ...] = ()  # og:description, description, articleBody's start


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
    key = text_key(paragraph)
    return bool(key) and any(fuzz.ratio(key, text_key(h)) >= 85 for h in hints.headlines)


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
        ("links", 4 <= words <= SHORT and text_key(line) in hints.link_blocks and not sentence),
        ("cta", bool(_CTA.match(line) or _CTA_ANYWHERE.search(line))),
        ("cta", words <= 5 and bool(_BOX_TITLE.fullmatch(line))),
        ("cta", bool(_PROMO.match(line) or _SHORTCODE.search(line))),
        ("byline", bool(_EMAIL.search(line) or _BYLINE.fullmatch(line))),
        ("byline", bool(_HANDLE.fullmatch(line) or _BY_HANDLE.fullmatch(line))),
        ("byline", words <= 10 and bool(_DATELINE.fullmatch(line))),
        ("headline", near_top and words <= SHORT and _is_headline(line, hints)),
        ("caption", words <= SHORT and bool(_CREDIT.match(line))),
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
            if paragraph.startswith("- ") and len(paragraph.split()) <= SHORT:
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
