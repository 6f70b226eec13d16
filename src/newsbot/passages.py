"""Split article text into passages: the units that are indexed, retrieved and shown.

A passage is roughly 1–4 sentences or 300–700 characters. Passages never cut a sentence, keep a
subheading together with the text that follows it, and lose or repeat no word: joining the
passages with spaces gives exactly the article's words in order (CJK text, which has no spaces
between sentences, is the one exception: a passage break there adds a space).

Sentence splitting is a regular-expression scanner with a few checks around each candidate full
stop (abbreviations, initials, dotted acronyms, a lowercase word after it). No external sentence
library: this runs on every ingested article and has to stay fast.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["sentence_spans", "split_into_passages", "split_sentences"]

# Sentences longer than this are cut at word boundaries: a "sentence" that long is a table, a
# list without punctuation or scraped junk, and would make a useless passage on its own.
PATHOLOGICAL_SENTENCE = 2000
# How far over max_chars a passage may grow to keep short pieces together (a short paragraph with
# the next one, the last remainder with the previous passage).
SLACK = 1.3

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
_TERMINAL_END = frozenset(".!?…‽;。！？｡؟۔।॥")
_WORD_CHAR = re.compile(r"\w+")


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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text` itself (not a normalised copy), so that
    `text[start:end]` is the sentence as written; line breaks always end a sentence (a line
    without a full stop is a heading or a caption, not the start of the next sentence)."""
    spans: list[tuple[int, int]] = []
    for block in re.finditer(r"[^\n]+", text):
        # Where each character of the whitespace-collapsed paragraph came from.
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
    return spans


def _is_heading(par: str) -> bool:
    """A short line without final punctuation: a subheading, a caption, a list item, a lead-in."""
    if len(par) > 120 or len(par.split()) > 15:
        return False
    last = par.rstrip(_CLOSERS)[-1:]
    return bool(last) and last not in _TERMINAL_END and _WORD_CHAR.search(par) is not None


@dataclass(slots=True)
class _Unit:
    """The smallest piece a passage is built from: one sentence, or a heading with what follows.

    ``segments`` are (paragraph index, start, end) slices; ``first_in_par`` says the unit begins a
    paragraph, which is the preferred place to start a new passage.
    """

    segments: list[tuple[int, int, int]]
    length: int
    first_in_par: bool


def _cut_long(par: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a pathological sentence at spaces into pieces of about max_chars, never in a word."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = par.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:
            cut = par.find(" ", start + max_chars)  # one enormous word: keep it whole
            if cut == -1:
                break
        pieces.append((start, cut))
        start = cut + 1
    pieces.append((start, end))
    return pieces


def _cut_at_breaks(start: int, end: int, breaks: list[int]) -> list[tuple[int, int]]:
    """Cut a too-long sentence at the line breaks inside it: it is a list or a table."""
    pieces: list[tuple[int, int]] = []
    for pos in breaks:
        if start < pos < end:
            pieces.append((start, pos))
            start = pos + 1
    pieces.append((start, end))
    return pieces


def _units(pars: list[tuple[str, list[int]]], max_chars: int) -> list[_Unit]:
    """Sentences as units, with every heading glued to the unit after it."""
    units: list[_Unit] = []
    pending: _Unit | None = None  # headings waiting for the text they introduce
    last = len(pars) - 1
    for index, (par, breaks) in enumerate(pars):
        if index < last and _is_heading(par):
            if pending is None:
                pending = _Unit([(index, 0, len(par))], len(par), True)
            elif pending.length + len(par) > max_chars // 2:
                # A run of short lines (a list, a table) is not one long heading: let the run go
                # as its own unit and keep only the latest line waiting.
                units.append(pending)
                pending = _Unit([(index, 0, len(par))], len(par), True)
            else:
                pending.segments.append((index, 0, len(par)))
                pending.length += len(par) + 1
            continue
        spans: list[tuple[int, int]] = []
        for sentence in _sentence_spans(par):
            pieces = [sentence]
            if breaks and sentence[1] - sentence[0] > max_chars:
                pieces = _cut_at_breaks(*sentence, breaks)
            for start, end in pieces:
                if end - start > PATHOLOGICAL_SENTENCE:
                    spans.extend(_cut_long(par, start, end, max_chars))
                else:
                    spans.append((start, end))
        for i, (start, end) in enumerate(spans):
            unit = _Unit([(index, start, end)], end - start, i == 0)
            if pending is not None:
                pending.segments.extend(unit.segments)
                pending.length += unit.length + 1
                unit, pending = pending, None
            units.append(unit)
    if pending is not None:
        units.append(pending)
    return units


def _render(pars: list[tuple[str, list[int]]], units: list[_Unit]) -> str:
    """The text of a passage: slices of one paragraph joined as written, paragraphs by newlines."""
    pieces: list[str] = []
    cur_par, cur_start, cur_end = -1, 0, 0
    for unit in units:
        for par, start, end in unit.segments:
            if par == cur_par:
                cur_end = end
                continue
            if cur_par >= 0:
                pieces.append(pars[cur_par][0][cur_start:cur_end])
            cur_par, cur_start, cur_end = par, start, end
    if cur_par >= 0:
        pieces.append(pars[cur_par][0][cur_start:cur_end])
    return "\n".join(pieces)


def _paragraph_length(units: list[_Unit], i: int) -> int:
    """Characters from unit i to the end of its paragraph (to the next paragraph-starting unit)."""
    total = units[i].length
    for unit in units[i + 1 :]:
        if unit.first_in_par:
            break
        total += unit.length + 1
    return total


def split_into_passages(text: str, *, min_chars: int = 300, max_chars: int = 700) -> list[str]:
    """Split article text into passages of whole sentences, about min_chars to max_chars long."""
    pars = _paragraphs(text)
    if not pars:
        return []
    units = _units(pars, max_chars)
    hard_max = int(max_chars * SLACK)
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    cur_len = 0
    limit = max_chars
    for i, unit in enumerate(units):
        if unit.first_in_par:
            # A long paragraph is cut into near-equal parts rather than max_chars + remainder.
            limit = max_chars
            if not cur or cur_len >= min_chars:
                par_len = _paragraph_length(units, i)
                if par_len > max_chars:
                    parts = math.ceil(par_len / max_chars)
                    limit = min(max_chars, max(min_chars, int(par_len / parts * 1.15)))
        if cur:
            grown = cur_len + 1 + unit.length
            if (
                (unit.first_in_par and cur_len >= min_chars)
                or (grown > limit and cur_len >= min_chars)
                or grown > hard_max  # don't pad a short piece with a huge one
            ):
                groups.append(cur)
                cur, cur_len = [], 0
        cur_len = cur_len + 1 + unit.length if cur else unit.length
        cur.append(unit)
    if cur:
        if groups and cur_len < min_chars:
            prev_len = sum(u.length + 1 for u in groups[-1])
            if prev_len + cur_len <= hard_max:
                groups[-1].extend(cur)
                cur = []
        if cur:
            groups.append(cur)
    return [_render(pars, group) for group in groups]
