"""What of a passage an answer shows: the sentence that answers, with a few whole sentences
around it, cut to a window a phone shows at a glance (the full passage is one tap away).

Nothing here knows about Telegram: the bot renders a `Snippet`, the CLI could too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsbot.ingest.sentences import sentence_spans

WINDOW = 320
"""Characters of a passage shown around the answer sentence, by default."""
MIN_WINDOW = 160
MIN_CUT = 100
"""Characters a passage after the first keeps when the screen is nearly full."""
ELLIPSIS = "…"
SENTENCE_END = frozenset(".!?…。！？")
CLOSERS = "\"'”’»)]"

Span = tuple[int, int]


@dataclass(frozen=True)
class Snippet:
    """The shown part of a passage; `bold` is the answer sentence's span in `text`."""

    text: str
    bold: Span | None
    trimmed: bool  # whether some of the passage is left out
    offset: int = 0  # `text[i]` is the passage's character `i - offset` (within the body shown)
    shown: Span = (0, 0)  # the span of `text` that is the passage's (no ellipses)

    def spans_of(self, spans: Sequence[Span]) -> list[Span]:
        """Spans of the passage (matched words) as spans of `text`, those shown."""
        lo, hi = self.shown
        out = []
        for start, end in spans:
            a, b = max(lo, start + self.offset), min(hi, end + self.offset)
            if b > a:
                out.append((a, b))
        return out


def best_sentence(passage: str, highlights: Sequence[Span]) -> Span | None:
    """The sentence holding the most different matched words (on a tie, a real sentence
    before a heading, then the earliest); None when no sentence holds any. The fallback
    until an answer locator names the sentence."""
    best: Span | None = None
    best_key = (0, False)
    for start, end in sentence_spans(passage):
        found = {
            passage[max(s, start) : min(e, end)].lower()
            for s, e in highlights
            if s < end and e > start
        }
        key = (len(found), passage[start:end].rstrip(CLOSERS)[-1:] in SENTENCE_END)
        if found and key > best_key:
            best, best_key = (start, end), key
    return best


def _cut_at_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + ELLIPSIS


def snippet(
    passage: str, answer: Span | None, window: int = WINDOW, limit: int | None = None
) -> Snippet:
    """The answer sentence (bold) with whole neighbouring sentences while they fit in `window`.

    A passage barely longer than the window is shown whole; a sentence longer than `limit`
    (default: twice the window) is cut at a word. Without an answer sentence, the window
    starts at the passage's start.
    """
    sentences = sentence_spans(passage) or [(0, len(passage))]
    if answer is not None:
        answer = (max(0, answer[0]), min(len(passage), answer[1]))
        if answer[1] <= answer[0]:
            answer = None
    limit = window * 2 if limit is None else limit
    window = min(window, limit)
    if len(passage) <= min(window * 5 // 4, limit):
        return Snippet(passage, answer, trimmed=False, shown=(0, len(passage)))
    if answer is None:
        index = 0
    else:
        index = next((i for i, (_, e) in enumerate(sentences) if e > answer[0]), 0)
    lo = hi = index
    start, end = sentences[index]
    if answer is not None:
        start, end = min(start, answer[0]), max(end, answer[1])
    # Whole sentences around it, the one before first (it often names who "he" is).
    grew = True
    while grew:
        grew = False
        if lo > 0 and end - sentences[lo - 1][0] <= window:
            lo -= 1
            start, grew = sentences[lo][0], True
        if hi + 1 < len(sentences) and sentences[hi + 1][1] - start <= window:
            hi += 1
            end, grew = sentences[hi][1], True
    body = _cut_at_word(passage[start:end], limit)
    prefix = ELLIPSIS + " " if start > 0 else ""
    suffix = " " + ELLIPSIS if end < len(passage) and not body.endswith(ELLIPSIS) else ""
    text = prefix + body + suffix
    bold = None
    if answer is not None:
        b_start = len(prefix) + answer[0] - start
        b_end = min(len(prefix) + answer[1] - start, len(prefix) + len(body))
        bold = (b_start, b_end) if b_end > b_start else None
    kept = len(body) - (len(ELLIPSIS) if body != passage[start:end] else 0)  # cut at a word
    return Snippet(
        text,
        bold,
        trimmed=start > 0 or end < len(passage) or body != passage,
        offset=len(prefix) - start,
        shown=(len(prefix), len(prefix) + kept),
    )


def window_for(passages: int, budget: int, overhead: int) -> int:
    """The window per passage that fits `passages` of them and `overhead` characters of
    headers into `budget` characters (one phone screen), never under MIN_WINDOW."""
    if passages <= 0:
        return WINDOW
    return max(MIN_WINDOW, min(WINDOW, (budget - overhead) // passages))
