"""Words for search: unicode-aware tokens, a light English stemmer, stop words, highlights.

The same function turns passages and questions into terms, so they always agree. Latin, Cyrillic,
Arabic and other alphabetic scripts split on non-word characters; Chinese, Japanese and Korean,
written without spaces, become overlapping character bigrams (the usual way to match CJK words
without a dictionary).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

_LETTERS = r"[^\W_]"  # letters and digits of any script
# The same words in lower-cased ASCII text (where [^\W_] is [a-zA-Z0-9]): a plain class, twice
# as fast, and most news text is ASCII.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Combining marks to drop (accents, Arabic harakat, Hebrew points): "café" and "cafe" are one word.
# Not the breve of Cyrillic "й" and "ў", which are letters of their own ("мой" is not "мои").
_MARKS = re.compile(
    "(?<![иИуУ])\u0306|[\u0300-\u0305\u0307-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
)
_MARK_SCAN = (0x0300, 0x20000)  # combining marks outside these planes are ~all variation selectors


@lru_cache(maxsize=1)
def _mark_class() -> str:
    """A regex class of every combining mark (Unicode category M), built once when first needed
    (~20 ms): Python's `\\w` leaves them out, and Indic scripts write their vowel signs and
    viramas with them, so "हिंदी" split at each mark would be "ह" and "द"."""
    ranges: list[str] = []
    start = None
    for cp in range(*_MARK_SCAN):
        mark = unicodedata.category(chr(cp))[0] == "M"
        if mark and start is None:
            start = cp
        elif not mark and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{cp - 1:08x}")
            start = None
    return "[" + "".join(ranges) + "]"


@lru_cache(maxsize=1)
def word_pattern() -> re.Pattern[str]:
    """A word: a letter or digit, then letters, digits and the combining marks they carry
    (what is left of them after `normalize`: Indic vowel signs, not Latin accents)."""
    return re.compile(f"{_LETTERS}{_word_rest()}")


def _word_rest() -> str:
    """The rest of a word after its first letter: letters, digits and their marks."""
    return f"{_LETTERS}*(?:{_mark_class()}+{_LETTERS}*)*"


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")

_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each either else ever few for from further had hadn has hasn have haven
    having he her here hers herself him himself his how however i if in into is isn it its
    itself just let ll me more most much must my myself no nor not now of off on once only or
    other ought our ours ourselves out over own per re s same say says said shall she should
    shouldn so some such t than that the their theirs them themselves then there these they
    this those through to too under until up upon us ve very was wasn we were weren what when
    where which while who whom whose why will with within without won would wouldn yet you your
    yours yourself yourselves d m o y name named called known
    whats hows whos wheres whens whys thats theres dont doesnt didnt isnt wasnt arent werent
    havent hasnt hadnt couldnt wouldnt shouldnt im ive youre theyre
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""English function words, plus question words, and the contractions readers type without their
apostrophe ("whats"): they say nothing about which passage answers."""


def normalize(text: str) -> str:
    """Case-folded text without accents, for matching."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", _MARKS.sub("", decomposed)).casefold()


_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def stem(word: str) -> str:
    """Snowball stem of an English or Russian word; other scripts and numbers stay as they are.

    Stemming lets "built" meet "building", "A380s" meet "A380" and "компании" meet
    "компания"; Snowball is the standard, and deterministic, so questions and passages always
    agree.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word[-1] == "s" and word[-2].isdigit():
        return word[:-1]  # a model's or decade's plural: "787s", "a380s", "1990s"
    if word.isascii():
        return str(_ENGLISH.stemWord(word)) if word.isalpha() else word
    if _CYRILLIC.match(word):
        return str(_RUSSIAN.stemWord(word))
    return word


def _words(text: str) -> list[str]:
    """`word_pattern().findall(normalize(text))`, the fast way for ASCII."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return word_pattern().findall(normalize(text))


def _cjk_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=500_000)
def _word_terms(word: str) -> tuple[str, ...]:
    """Terms of one normalized word (several for a CJK run); cached, words repeat a lot."""
    if word.isascii() or not _CJK.search(word):
        return (stem(word),)
    terms: list[str] = []
    position = 0
    for match in _CJK.finditer(word):
        if match.start() > position:
            terms.append(stem(word[position : match.start()]))
        terms.extend(_cjk_terms(match.group()))
        position = match.end()
    if position < len(word):
        terms.append(stem(word[position:]))
    return tuple(terms)


def terms(text: str) -> list[str]:
    """Every searchable term of a text, in order, stop words included."""
    out: list[str] = []
    for found in map(_word_terms, _words(text)):
        out.extend(found)
    return out


def content_terms(text: str) -> list[str]:
    """Terms of the words that aren't stop words, in order (what the index stores)."""
    out: list[str] = []
    for word in _words(text):
        if word not in STOP_WORDS:
            out.extend(_word_terms(word))
    return out


# A capitalised word after a space that follows a letter, a digit or a comma, so that no
# sentence can start there ("shares of Lowe's", "said NBC"; not "Rep. Rashida", a miss that
# only undercounts). The capitals of Latin, Greek and Cyrillic (mixed ranges: checked again).
# The space first: the engine then jumps from space to space (5x faster than the look-behind
# first).
_CAPITAL = "[A-ZÀ-ÖØ-ÞĀ-ɏΆ-ΫЀ-Я]"


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    """`_CAPITAL` and the rest of its word (`word_pattern`'s letters and marks)."""
    return re.compile(f" (?<=[\\w,] )({_CAPITAL}{_word_rest()})")


def capitalised_terms(text: str) -> list[str]:
    """The content terms of the words written with a capital where a sentence doesn't start
    ("Lowe's", "Tlaib" and the "North" of "North Dakota"; not "Shares" opening a sentence), in
    order. The index counts them to tell the words its texts treat as names, so that a
    lowercase question ("lowes third quarter revenue") still has names to check."""
    out: list[str] = []
    for word in _name_pattern().findall(text):
        if word.isascii():
            folded: Sequence[str] = (word.lower(),)
        elif word[0].isupper():
            folded = _words(word)  # as `content_terms` splits it ("A¼" is "a1⁄4")
        else:
            continue
        for one in folded:
            if one not in STOP_WORDS:
                out.extend(_word_terms(one))
    return out


def words(text: str) -> list[str]:
    """The normalized words of a text, stop words included, before stemming."""
    return _words(text)


def word_terms(word: str) -> tuple[str, ...]:
    """The terms one normalized word stands for."""
    return _word_terms(word)


class Analysed:
    """A text's words and terms, worked out once (`analysed`): each question reads its 20
    candidate passages word by word, then its answers' passages again (highlights, the best
    sentence), and the same passages come back for follow-ups, "More" and related questions."""

    __slots__ = ("_spans", "ascii", "lowered", "per_word", "positions", "words")

    def __init__(self, text: str) -> None:
        self.ascii = text.isascii()
        # ASCII: lower-casing keeps offsets, so words found in the lowered text are the text's.
        self.lowered = text.lower() if self.ascii else ""
        self.words = _ASCII_WORD.findall(self.lowered) if self.ascii else words(text)
        self.per_word = list(map(_word_terms, self.words))
        positions: dict[str, list[int]] = {}
        for index, found in enumerate(self.per_word):
            for term in found:
                at = positions.get(term)
                if at is None:
                    positions[term] = [index]
                else:
                    at.append(index)
        self.positions = positions  # term -> word positions, in the order of first occurrence
        self._spans: list[tuple[int, int]] | None = None

    def spans(self) -> list[tuple[int, int]]:
        """The character span of each word (ASCII texts only)."""
        if self._spans is None:
            # Each word is the next occurrence of itself: only non-word characters stand
            # between two words.
            spans, end, lowered = [], 0, self.lowered
            for word in self.words:
                start = lowered.find(word, end)
                end = start + len(word)
                spans.append((start, end))
            self._spans = spans
        return self._spans


ANALYSED = 2048
"""Texts kept `Analysed` (a 700-character passage: ~10 KB)."""


@lru_cache(maxsize=ANALYSED)
def analysed(text: str) -> Analysed:
    """The text's words and terms (cached: don't change them)."""
    return Analysed(text)


def term_positions(text: str, wanted: frozenset[str] | set[str]) -> dict[str, list[int]]:
    """Where (word positions) each of the `wanted` terms stands in a text, in the order of
    their first occurrence."""
    positions = analysed(text).positions
    found = [(at[0], term) for term in wanted if (at := positions.get(term))]
    found.sort()
    return {term: list(positions[term]) for _, term in found}


def terms_in(text: str, wanted: frozenset[str] | set[str]) -> set[str]:
    """The `wanted` terms that are among the text's (`terms`)."""
    positions = analysed(text).positions
    return {term for term in wanted if term in positions}


def highlight_spans(text: str, matched: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of `text` whose terms are in `matched`, merged when adjacent."""
    if text.isascii():
        found = analysed(text)
        positions = found.positions
        word_spans = found.spans()
        at = sorted({i for term in matched for i in positions.get(term, ())})
        chosen = [word_spans[i] for i in at]
    else:  # each word normalised on its own, so its offsets are the text's; split again, as
        # `terms` splits the normalised text (Tibetan BHA, U+0F57, decomposes to BA and a mark)
        chosen = [
            match.span()
            for match in word_pattern().finditer(text)
            if any(t in matched for word in _words(match.group()) for t in _word_terms(word))
        ]
    spans: list[tuple[int, int]] = []
    for start, end in chosen:
        if spans and text[spans[-1][1] : start].strip() == "":
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def span_terms(text: str, spans: Sequence[tuple[int, int]]) -> list[set[str]]:
    """`set(terms(text[start:end]))` for each span (the sentences of a passage), from the
    text's analysed words where that is the same (ASCII, and no word cut by the span)."""
    if not text.isascii():
        return [set(terms(text[a:b])) for a, b in spans]
    found = analysed(text)
    word_spans, per_word = found.spans(), found.per_word
    out: list[set[str]] = []
    for a, b in spans:
        first = bisect_left(word_spans, a, key=_start)
        last = bisect_left(word_spans, b, key=_start)
        cut = (first > 0 and word_spans[first - 1][1] > a) or (
            last > first and word_spans[last - 1][1] > b
        )
        out.append(set(terms(text[a:b])) if cut else set().union(*per_word[first:last]))
    return out


def _start(span: tuple[int, int]) -> int:
    return span[0]


_SPELLED = {
    0: "zero ноль",
    1: "one first один одна одно первый",
    2: "two second два две второй",
    3: "three third три третий",
    4: "four fourth четыре четвёртый четвертый",
    5: "five fifth пять пятый",
    6: "six sixth шесть шестой",
    7: "seven seventh семь седьмой",
    8: "eight eighth восемь восьмой",
    9: "nine ninth девять девятый",
    10: "ten tenth десять десятый",
    11: "eleven eleventh",
    12: "twelve twelfth dozen",
    13: "thirteen thirteenth",
    14: "fourteen fourteenth",
    15: "fifteen fifteenth",
    16: "sixteen sixteenth",
    17: "seventeen seventeenth",
    18: "eighteen eighteenth",
    19: "nineteen nineteenth",
    20: "twenty twentieth",
    30: "thirty thirtieth",
    40: "forty fortieth",
    50: "fifty fiftieth",
    60: "sixty sixtieth",
    70: "seventy seventieth",
    80: "eighty eightieth",
    90: "ninety ninetieth",
    100: "hundred hundredth",
}
_DIGITS = re.compile(r"([0-9]{1,3})(?:st|nd|rd|th)?")


@lru_cache(maxsize=256)
def spelled_terms(word: str) -> tuple[str, ...]:
    """The terms of the words a number the reader typed in digits ("5", "5th") is spelled with
    (five, fifth, пять, пятый): news style writes small numbers out ("a five-day forum")."""
    match = _DIGITS.fullmatch(word)
    spelled = _SPELLED.get(int(match.group(1))) if match else None
    return tuple(dict.fromkeys(t for w in spelled.split() for t in terms(w))) if spelled else ()
