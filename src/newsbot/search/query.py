"""A question's terms, as the retriever searches for them: its words minus stop words and the
question's frame ("how many"), each stemmed, with its IDF as the weight; typos corrected
against the corpus's words."""

from __future__ import annotations

from newsbot.search.answer import frame_positions
from newsbot.search.evidence import QueryTerm
from newsbot.search.index import PassageIndex
from newsbot.search.text import STOP_WORDS, spelled_terms, word_terms, words
from newsbot.search.typos import TypoCorrector

MAX_QUESTION_TERMS = 48


_CASE_ENDINGS = frozenset({"а", "у", "ым", "е", "ой", "ых", "ыми", "ы"})
"""What follows -ов/-ев in a surname's other cases and its feminine ("Лаврова", "Лавровой")."""


def case_forms(surface: str, term: str) -> tuple[str, ...]:
    """The other term a Russian surname in -ов/-ев stems to in its other cases. Snowball
    reads the final -ов/-ев as a plural's ending, so "Лавров" stems to "лавр" but "Лаврова",
    "Лаврову" to "лавров": the question's "Лавров" also looks for "лавров", its "Лаврова" also
    for "лавр". (Asked of a plural, "долларов", the other form stems from hardly any word.)"""
    if len(surface) < 4 or not "а" <= surface[0] <= "я":
        return ()
    if surface.endswith(("ов", "ев")) and term == surface[:-2]:
        return (surface,)
    ending = surface.removeprefix(term)
    if term.endswith(("ов", "ев")) and len(term) >= 4 and ending in _CASE_ENDINGS:
        return (term[:-2],)
    return ()


def query_terms(question: str, index: PassageIndex, typos: TypoCorrector) -> list[QueryTerm]:
    """The question's terms with their weights (IDF).

    A Russian surname in -ов/-ев also brings the stem of its other cases (`case_forms`). A
    number typed in digits that the corpus only writes out becomes those words ("5" ->
    "five", "fifth"). Another word the corpus doesn't know becomes its nearest corpus words,
    weighted down by the slips between them; a word with no near corpus word stays in with
    the weight of the rarest possible word, so that a question about something never written
    about can't look answered by its common words alone.
    """
    out: list[QueryTerm] = []
    seen: set[str] = set()
    position = 0
    unknown_weight = index.max_idf()
    frame = frame_positions(words(question))
    for at, surface in enumerate(words(question)):
        if surface in STOP_WORDS or at in frame:
            position += 1
            continue
        for word in word_terms(surface):
            if word in seen:
                continue
            seen.add(word)
            forms = [word] if index.df(word) > 0 else []
            forms += [t for t in case_forms(surface, word) if t not in seen and index.df(t) > 0]
            if not forms:  # "5" of "the 5-day forum" where the corpus writes "five-day"
                forms = [t for t in spelled_terms(word) if t not in seen and index.df(t) > 0]
            for t in forms:
                seen.add(t)
                idf = index.idf(t)
                out.append(QueryTerm(t, idf, position, "exact", idf, surface, index.capitalised(t)))
            if forms:
                continue
            corrections = [(c, e) for c, e in typos.corrections(word) if c not in seen]
            for correction, edits in corrections:
                factor = 0.9 if edits == 1 else 0.75
                idf = index.idf(correction) * factor
                out.append(
                    QueryTerm(
                        correction,
                        idf,
                        position,
                        "typo",
                        unknown_weight,
                        surface,
                        index.capitalised(correction),
                    )
                )
            if not corrections:
                out.append(
                    QueryTerm(word, unknown_weight, position, "unknown", unknown_weight, surface)
                )
        position += 1
        if len(seen) >= MAX_QUESTION_TERMS:
            break
    return out
