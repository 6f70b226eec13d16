"""Sentence splitting: a regular-expression scanner with a few checks around each candidate
full stop (abbreviations, initials, dotted acronyms, a lowercase word after it). No external
sentence library: this runs on every ingested article and has to stay fast.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["sentence_spans", "split_sentences"]

_CLOSERS = "\"'”’»)]}」』）】›"
_OPENERS = "\"'“‘«([{「『（【‹¿¡"
# CJK full stops end a sentence without a following space; the Latin, Arabic, Urdu and Devanagari
# ones only when whitespace follows ("3.5", "U.S", "example.com" are not ends of sentences).
_BOUNDARY = re.compile(
    "[。！？｡]+[" + re.escape(_CLOSERS) + "]*\\s*|[.!?…‽؟۔।॥]+[" + re.escape(_CLOSERS) + "]*\\s+"
)
_CJK_STOPS = frozenset("。！？｡")
_DOTTED_ACRONYM = re.compile(r"(?:\w{1,3}\.)+\w{1,3}")
# Words that end with a full stop without ending the sentence (lowercase, without the dot):
# titles before a name, the US states' dateline abbreviations ("HAYWARD, Calif."; not those
# that are also words, like "Ill." or "Wash.") and a few Latin and Russian abbreviations. "Inc.",
# "Co.", "etc." are left out on purpose: they end sentences as often as not, and a lowercase
# next word already keeps them in one sentence when they don't.
_ABBREVIATIONS = frozenset(
    str.split(
        """
    mr mrs ms mx dr prof sr jr st mt ft messrs mme mlle rev hon pres gov sen rep gen col lt maj
    capt cmdr adm sgt cpl supt insp approx cf viz vs al resp ca
    ala ariz ark calif colo conn fla kan ky md mich minn mont neb nev okla penn tenn tex vt wis
    wyo
    тыс млн млрд руб им ул проф акад
    """
    )
)
# Abbreviations that are also words ending sentences ("we said no.", "they sat."): only when a
# number follows ("No. 10", "Jan. 5", "Fig. 3", "Sept. 12").
_BEFORE_NUMBER = frozenset(
    str.split(
        """
    no nos nr vol vols fig figs p pp ch chap sec art para
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    """
    )
)


def _sentence_cuts(par: str) -> list[int]:
    """Positions where a new sentence starts in a whitespace-normalised paragraph (0 excluded)."""
    cuts: list[int] = []
    n = len(par)
    for m in _BOUNDARY.finditer(par):
        nxt = m.end()
        if nxt >= n:
            break
        punct = m.group()
        if punct[0] not in _CJK_STOPS:
            # The first character of the next sentence, past any opening quote or bracket: a
            # lowercase letter there means the stop did not end the sentence ("approx. five",
            # '"Really?" he asked').
            k = nxt
            while k < n and par[k] in _OPENERS:
                k += 1
            if k < n and par[k].islower():
                continue
            if punct == ". ":  # a single full stop (paragraphs have single spaces by now)
                start = par.rfind(" ", 0, m.start()) + 1
                word = par[start : m.start()].lstrip(_OPENERS).lower()
                if (
                    word in _ABBREVIATIONS
                    or (word in _BEFORE_NUMBER and k < n and par[k].isdigit())
                    or (len(word) == 1 and word.isalpha())  # an initial: "J. K. Rowling"
                    or _DOTTED_ACRONYM.fullmatch(word)  # "U.S.", "e.g.", "p.m.", "Ph.D."
                ):
                    continue
        cuts.append(nxt)
    return cuts


def _sentence_spans(par: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a normalised paragraph, trailing space excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in _sentence_cuts(par):
        end = cut
        while end > start and par[end - 1] == " ":
            end -= 1
        if end > start:
            spans.append((start, end))
        start = cut
    if start < len(par):
        spans.append((start, len(par)))
    return spans


def _paragraphs(text: str) -> list[tuple[str, list[int]]]:
    """Blank-line separated paragraphs with whitespace collapsed to single spaces, each with the
    positions of the spaces that were line breaks (used to cut very long "sentences" like lists).
    """
    out: list[tuple[str, list[int]]] = []
    for raw in re.split(r"\n[^\S\n]*\n", text):
        if "\n" not in raw:
            par = " ".join(raw.split())
            if par:
                out.append((par, []))
            continue
        lines = [" ".join(line.split()) for line in raw.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        breaks: list[int] = []
        pos = -1
        for line in lines[:-1]:
            pos += len(line) + 1
            breaks.append(pos)
        out.append((" ".join(lines), breaks))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order; paragraph breaks always end a sentence."""
    return [par[start:end] for par, _ in _paragraphs(text) for start, end in _sentence_spans(par)]


# Whitespace that collapsing would change inside a line: any but a single space.
_UNNORMAL_SPACE = re.compile(r"[^\S ]|  ")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text` itself (not a normalised copy), so that
    `text[start:end]` is the sentence as written; line breaks always end a sentence (a line
    without a full stop is a heading or a caption, not the start of the next sentence).

    The answers of the bot split the same passages again and again: the last ones are cached."""
    return list(_cached_spans(text))


@lru_cache(maxsize=4096)
def _cached_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for block in re.finditer(r"[^\n]+", text):
        line = block.group()
        if not line.startswith(" ") and _UNNORMAL_SPACE.search(line) is None:
            # Already normalised but for trailing spaces (stored passages are): offsets are
            # the line's own, no character map needed.
            base = block.start()
            par = line.rstrip(" ")
            spans.extend((base + start, base + end) for start, end in _sentence_spans(par))
            continue
        # Where each character of the whitespace-collapsed line came from.
        origin: list[int] = []
        chars: list[str] = []
        for offset, char in enumerate(block.group(), block.start()):
            if char.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(offset)
                continue
            chars.append(char)
            origin.append(offset)
        while chars and chars[-1] == " ":
            chars.pop()
            origin.pop()
        par = "".join(chars)
        spans.extend((origin[start], origin[end - 1] + 1) for start, end in _sentence_spans(par))
    return tuple(spans)
