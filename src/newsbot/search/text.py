"""Words for search: unicode-aware tokens, a light English stemmer, stop words, highlights.

The same function turns passages and questions into terms, so they always agree. Latin, Cyrillic,
Arabic and other alphabetic scripts split on non-word characters; Chinese, Japanese and Korean,
written without spaces, become overlapping character bigrams (the usual way to match CJK words
without a dictionary).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
# Combining marks to drop (accents, Arabic harakat, Hebrew points): "café" and "cafe" are one word.
_MARKS = re.compile("[\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
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
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""English function words, plus question words: they say nothing about which passage answers."""


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

    Stemming lets "built" meet "building" and "компании" meet "компания"; Snowball is the
    standard, and deterministic, so questions and passages always agree.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.isascii():
        return str(_ENGLISH.stemWord(word)) if word.isalpha() else word
    if _CYRILLIC.match(word):
        return str(_RUSSIAN.stemWord(word))
    return word


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
    for word in _WORD.findall(normalize(text)):
        out.extend(_word_terms(word))
    return out


def content_terms(text: str) -> list[str]:
    """Terms of the words that aren't stop words, in order (what the index stores)."""
    out: list[str] = []
    for word in _WORD.findall(normalize(text)):
        if word not in STOP_WORDS:
            out.extend(_word_terms(word))
    return out


def words(text: str) -> list[str]:
    """The normalized words of a text, stop words included, before stemming."""
    return _WORD.findall(normalize(text))


def word_terms(word: str) -> tuple[str, ...]:
    """The terms one normalized word stands for."""
    return _word_terms(word)


def term_positions(text: str, wanted: frozenset[str] | set[str]) -> dict[str, list[int]]:
    """Where (word positions) each of the `wanted` terms stands in a text."""
    positions: dict[str, list[int]] = {}
    word_terms = _word_terms
    for index, word in enumerate(_WORD.findall(normalize(text))):
        for term in word_terms(word):
            if term in wanted:
                positions.setdefault(term, []).append(index)
    return positions


def highlight_spans(text: str, matched: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of `text` whose terms are in `matched`, merged when adjacent."""
    spans: list[tuple[int, int]] = []
    # Lower-casing ASCII keeps offsets, so the fast path normalizes once, not per word.
    fast = text.isascii()
    for match in _WORD.finditer(text.lower() if fast else text):
        word = match.group()
        found = _word_terms(word if fast else normalize(word))
        if any(t in matched for t in found):
            start, end = match.span()
            if spans and text[spans[-1][1] : start].strip() == "":
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans
