"""Split article text into passages: the units that are indexed, retrieved and shown.

A passage is roughly 1–4 sentences or 300–700 characters. Passages never cut a sentence, keep a
subheading together with the text that follows it, and lose or repeat no word: joining the
passages with spaces gives exactly the article's words in order (CJK text, which has no spaces
between sentences, is the one exception: a passage break there adds a space).

Sentences come from `newsbot.ingest.sentences`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from newsbot.ingest.sentences import _CLOSERS, _paragraphs, _sentence_spans

__all__ = ["split_into_passages"]

# Sentences longer than this are cut at word boundaries: a "sentence" that long is a table, a
# list without punctuation or scraped junk, and would make a useless passage on its own.
PATHOLOGICAL_SENTENCE = 2000
# How far over max_chars a passage may grow to keep short pieces together (a short paragraph with
# the next one, the last remainder with the previous passage).
SLACK = 1.3

_TERMINAL_END = frozenset(".!?…‽;。！？｡؟۔।॥")
_WORD_CHAR = re.compile(r"\w+")


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
