"""The answer inside a passage: the sentence that best answers a question, and what isn't one.

A passage is 300-700 characters; the reader wants the one sentence that answers. Each sentence
is scored by the share of the question's weight it holds (IDF from the index when given, else
within the passage: a word found in every sentence says little), plus the question's names and
numbers it repeats, plus whether it holds what the question asks for (`expected_type`): a number
for "how many", a name for "who", a date or time word for "when", a capitalised place-like word
for "where". Offsets are into the passage text, for the bot to bold.

The question's words that only shape it ("many"/"long" of "how many/how long", a final "last"
or "take": `frame_positions`) aren't looked for in the answer (the retriever leaves them out
too). What the "answered" model reads from the sentence (hybrid.py): its evidence, and whether
the question says "not" where the sentence doesn't (`AnswerEvidence.negation_missing`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from newsbot.search.text import (
    STOP_WORDS,
    normalize,
    span_terms,
    word_pattern,
    word_terms,
    words,
)

# A sentence ends at . ! ? … (and their run, closing quotes or brackets) followed by a space and
# an upper-case letter, a digit or an opening quote; or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)\]]*\s+(?=[\"'«“(]?[\w\d])|\n+")
_ABBREVIATIONS_TEXT = (
    "mr mrs ms dr prof st jr sr vs etc inc ltd co corp gen gov sen rep no fig e.g i.e u.s "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|"
    r"один|два|три|четыре|пять|десять|сто|тысяч\w*|миллион\w*|миллиард\w*)\b"
)
_DATE_WORDS_TEXT = """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight
    morning evening night week weekend month year years decade century ago since later earlier
    spring summer autumn fall winter noon midnight am pm bc ad season
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
    понедельник вторник среда четверг пятница суббота воскресенье сегодня вчера завтра
    году год века веке лет"""
_DATE_WORDS = frozenset(_DATE_WORDS_TEXT.split())
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b\d{1,2}:\d{2}\b")
_YEAR_ONLY = re.compile(r"(?<![\d.,$€£-])\b(1[5-9][0-9]{2}|20[0-9]{2})s?\b(?![.,]\d|-)")
_CAPITALISED = re.compile(r"(?<![\w.])[A-ZА-ЯЁ][\w'’-]+")
_PLACE_LEAD = re.compile(
    r"\b(?:in|at|from|near|to|into|outside|inside|across|в|во|на|из)\s+"
    r"(?:the\s+)?[A-ZА-ЯЁ]"
)

TYPE_WEIGHT = 0.35
"""What finding the expected kind of answer adds, against a full match of the question (1.0)."""
NAME_WEIGHT = 0.25
"""What repeating the question's names and numbers adds (their share of them)."""

_CHATTER_TEXT = """
    ok okay k kk thanks thank thx ty cheers yes yeah yep no nope sure fine great cool nice
    hi hello hey bye goodbye quit exit stop start clear reset help menu more next back cancel
    lol hmm hm wow please pls test спасибо ок да нет привет пока стоп хорошо ладно помощь"""
_CHATTER = frozenset(_CHATTER_TEXT.split())


@dataclass(frozen=True)
class AnswerSpan:
    """The sentence of a passage that answers, and where it is: `passage[start:end]`."""

    sentence: str
    start: int
    end: int


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, without the spaces around it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].rsplit(None, 1)
        last = before[-1].rstrip(".").lower() if before else ""
        # "Dr. Smith", "U.S. officials", "J. R. R. Tolkien": not the end of a sentence.
        if text[match.start() - 1] == "." and (last in _ABBREVIATIONS or len(last) == 1):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


_DURATION_VERBS = frozenset({"last", "lasts", "lasted", "take", "takes", "took"})


_MEASURES = ("many", "much", "long", "old", "far", "big", "tall", "high", "large", "often")
"""The measure of "how many / how long / how old / how big …": the answer is a number."""
_MEANING = frozenset({"mean", "means", "meant", "meaning"})
_ASKS_NUMBER = re.compile(rf"\bhow ({'|'.join(_MEASURES)})\b|\bсколько\b")


def frame_positions(question_words: list[str]) -> set[int]:
    """Positions of words that shape the question rather than say what it is about: the measure
    of "how many / how long / how old …" and the verb of "how long / how many days does the
    forum last (take)?", and "mean" of "what does … mean?" (a definition doesn't say "mean").
    The answer says "a five-day forum" or "Van Der Beek, 42", not "lasts", "many" or "old":
    counting them as missing words would sink the passage that answers (and name them under it
    as missing). `question_words` are `words(question)`."""
    ws = question_words
    if len(ws) >= 3 and ws[0] == "what":
        return {i for i, w in enumerate(ws) if i > 1 and w in _MEANING}
    if len(ws) < 3 or ws[0] != "how" or ws[1] not in _MEASURES:
        return set()
    frame = {1}
    if len(ws) >= 4 and ws[-1] in _DURATION_VERBS:
        frame.add(len(ws) - 1)
    return frame


def content_words(question: str) -> list[tuple[int, str]]:
    """(position, word) of the question's words that say what it asks about: not stop words,
    not `frame_positions`."""
    ws = words(question)
    frame = frame_positions(ws)
    return [(i, w) for i, w in enumerate(ws) if w not in STOP_WORDS and i not in frame]


def expected_type(question: str) -> str | None:
    """What kind of answer the question asks for: "number", "name", "date", "place" or None."""
    q = " ".join(words(question))
    if _ASKS_NUMBER.search(q):
        return "number"
    if re.search(r"\bwhat (year|date|day|month|time|century|decade)\b|\bwhen\b|\bкогда\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b|\bкто\b|\bкого\b|\bкому\b", q):
        return "name"
    if re.search(r"\bwhere\b|\bwhat (country|city|state|town|place)\b|\bгде\b|\bкуда\b", q):
        return "place"
    return None


def has_type(sentence: str, kind: str, question_words: set[str]) -> bool:
    """Whether `sentence` holds an answer of that kind that the question doesn't already say."""
    if kind == "number":
        # A year is a date, not how many or how long: "the Forum 2021" doesn't answer "how
        # long does the forum last?", "a five-day discussion" does.
        return bool(_NUMBER.search(_YEAR_ONLY.sub(" ", normalize(sentence))))
    if kind == "date":
        return bool(_YEAR.search(sentence)) or any(w in _DATE_WORDS for w in words(sentence))
    new_names = [
        m for m in _CAPITALISED.finditer(sentence) if normalize(m.group()) not in question_words
    ]
    # The sentence's first word is capitalised anyway: it counts only with another name.
    names = [m for m in new_names if m.start() > 0] or new_names[1:]
    if kind == "name":
        return bool(names)
    return bool(names) and bool(_PLACE_LEAD.search(sentence))


_NEGATION_TEXT = "not no never nor neither none nobody nothing without cannot не ни нет никогда"
_NEGATION = frozenset(_NEGATION_TEXT.split())


def _negated(text: str) -> bool:
    """Whether a text says "not" ("never", "didn't", "не", ...)."""
    ws = words(text)
    return any(
        w in _NEGATION or (w.endswith("n") and i + 1 < len(ws) and ws[i + 1] == "t")
        for i, w in enumerate(ws)
    )


def question_names(question: str) -> set[str]:
    """The question's words written with a capital (not the first word) or with digits,
    normalized, not stemmed (`QueryTerm.surface`)."""
    found: set[str] = set()
    for i, match in enumerate(word_pattern().finditer(question)):
        word = match.group()
        if any(c.isdigit() for c in word) or (i > 0 and word[0].isupper()):
            found.add(normalize(word))
    return found


def _names_and_numbers(question: str) -> set[str]:
    """The terms of `question_names`: what a sentence's terms are matched against."""
    return {term for word in question_names(question) for term in word_terms(word)}


@dataclass(frozen=True)
class AnswerEvidence:
    """The best sentence of a passage and what the "answered" decision reads from it."""

    span: AnswerSpan
    coverage: float  # share of the question's weight the sentence holds
    names: float  # share of the question's names and numbers the passage holds (1: none asked)
    type_expected: bool  # the question asks for a number, name, date or place
    type_found: bool  # ... and the sentence holds one the question doesn't already say
    negation_missing: bool = False  # the question says "not"/"never", the sentence doesn't


def answer_evidence(
    question: str, passage: str, idf: Callable[[str], float] | None = None
) -> AnswerEvidence | None:
    """The sentence of `passage` that best answers `question`, with its evidence; None when no
    sentence shares a word with the question (a one-sentence passage is its own answer).

    `idf` gives a term's weight (the index's IDF); without it, weights come from the passage's
    own sentences.
    """
    spans = sentences(passage)
    if not spans:
        return None
    question_terms = list(
        dict.fromkeys(t for _, w in content_words(question) for t in word_terms(w))
    )
    sentence_terms = span_terms(passage, spans)
    if idf is None:
        n = len(spans)
        weight = {
            t: math.log(1 + (n + 0.5) / (0.5 + sum(t in s for s in sentence_terms)))
            for t in question_terms
        }
    else:
        weight = {t: idf(t) for t in question_terms}
    total = sum(weight.values())
    kind = expected_type(question)
    marked = _names_and_numbers(question)
    in_passage = set().union(*sentence_terms)
    names = len(marked & in_passage) / len(marked) if marked else 1.0
    question_words = set(words(question))
    best: tuple[float, int, float, bool] | None = None
    for i, found in enumerate(sentence_terms):
        coverage = sum(weight[t] for t in question_terms if t in found) / total if total else 0.0
        if coverage == 0 and len(spans) > 1:
            continue
        score = coverage
        if marked:
            score += NAME_WEIGHT * len(marked & found) / len(marked)
        a, b = spans[i]
        typed = bool(kind) and has_type(passage[a:b], str(kind), question_words)
        if typed:
            score += TYPE_WEIGHT
        if best is None or score > best[0]:
            best = (score, i, coverage, typed)
    if best is None:
        return None
    _, i, coverage, typed = best
    a, b = spans[i]
    negated = _negated(question) and not _negated(passage[a:b])
    span = AnswerSpan(passage[a:b], a, b)
    return AnswerEvidence(span, coverage, names, kind is not None, typed, negated)


def locate_answer(
    question: str, passage: str, idf: Callable[[str], float] | None = None
) -> AnswerSpan | None:
    """The sentence of `passage` that best answers `question` (see `answer_evidence`)."""
    found = answer_evidence(question, passage, idf)
    return found.span if found else None


def is_not_a_question(text: str) -> bool:
    """True for messages with no content word: "2", "ok", "thanks", "quit", "/help", "?"."""
    for word in words(text):
        if word in STOP_WORDS or word in _CHATTER or word.isdigit():
            continue
        if len(word) >= 2 or not word.isascii():
            return False
    return True
