"""Reading a message before searching: is it a question at all, and does it lean on the last
answer ("and who does he play first?")? Word lists, no model: nothing here knows Telegram.
"""

from __future__ import annotations

import re

from newsbot.search.text import STOP_WORDS, content_terms, terms_in, words

# Messages made only of these (and stop words, digits, commands) are chatter, not questions.
CHATTER = frozenset(
    str.split(
        """
    ok okay k kk thanks thank thx ty cheers quit exit bye goodbye hi hello hey yo yes yeah yep
    no nope nah clear stop cancel help start menu cool great nice good fine lol haha hmm hm
    please pls sorry test testing right sure wow oops
    """
    )
)
# Words that point back at what was just said: people (a strong lean: a news question rarely
# starts a topic with "he"), and things or places (weak: "is there a ferry?" may be new).
PEOPLE = frozenset(
    str.split("he she they him her his hers their theirs them himself herself themselves")
)
THINGS = frozenset(str.split("it its this that these those there then"))
CONTINUATIONS = frozenset(str.split("and also but so plus"))
_COMMAND = re.compile(r"(?<!\S)/\w+(@\w+)?")
_ABOUT = re.compile(r"^\s*(what|how)\s+about\b", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return words(_COMMAND.sub(" ", text))


def own_words(text: str) -> list[str]:
    """The words of a message that could find a passage: not stop words, chatter or numbers."""
    return [w for w in _words(text) if w not in STOP_WORDS and w not in CHATTER and not w.isdigit()]


def is_chatter(text: str) -> bool:
    """No word of the message says what to look for, and it doesn't ask about the last answer
    either: "ok", "2", "thanks", "quit", "/help" typed mid-sentence."""
    found = _words(text)
    # "why?", "who is he?": a question, just not one of its own words.
    asks = "?" in text and any(w in STOP_WORDS for w in found)
    return not own_words(text) and not asks


def leans_on_context(text: str) -> bool:
    """Whether the message may lean on the previous answer: a back-reference ("he", "it"),
    an opening "and"/"what about", or no words of its own at all."""
    found = _words(text)
    return bool(found) and (leans_strongly(text) or any(w in THINGS for w in found))


def leans_strongly(text: str) -> bool:
    """Whether the message can only be about the previous answer: "and …", "he", "they", or
    no words of its own ("and why?")."""
    found = _words(text)
    if not found:
        return False
    if found[0] in CONTINUATIONS or _ABOUT.match(text):
        return True
    return any(w in PEOPLE for w in found) or not own_words(text)


def fits_context(question: str, passage: str) -> bool:
    """Whether a passage of the last answer's article holds any of the follow-up's own words
    (any passage does when the follow-up has none: "and why?")."""
    wanted = set(content_terms(" ".join(own_words(question))))
    return not wanted or bool(terms_in(passage, wanted))
