"""The reader's language: gettext catalogs (made with Babel) for the bot's words.

The msgids are the English texts, so English needs no catalog and is what anything outside a
reader's update gets (the CLI, logs, tests that render directly). The bot sets the language
of each update once (`activate`, from the chat's `/language` or Telegram's `language_code`)
and everything it renders while handling that update reads it from a context variable, the
way Django and Flask-Babel do: each update is handled in its own asyncio task, so readers
never see each other's language. Work outside an update (a scheduled digest) says which
language it renders in with `using`.

Strings defined at import time are marked with `N_` (so Babel's extractor finds them) and
translated where they are used: `_(HINT)`.

The catalogs: `newsbot/locale/<lang>/LC_MESSAGES/newsbot.po`, compiled to `.mo` beside it
(`make messages` extracts, updates and compiles; tests/test_i18n.py checks they agree).
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "newsbot"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
"""The languages the bot speaks, each named in itself (for /language)."""

_current: ContextVar[str] = ContextVar("newsbot_language", default=DEFAULT)


def supported(code: str | None) -> str | None:
    """The language of ours a language tag names ("ru", "ru-RU", "RU" -> "ru"), or None."""
    primary = (code or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else None


def language_for(code: str | None) -> str:
    """The language to speak to someone whose Telegram says `code` (English if not ours)."""
    return supported(code) or DEFAULT


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of `language` (English, or a missing catalog: the msgids)."""
    if language == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def current() -> str:
    """The language being spoken (the update's, or the one `using` set)."""
    return _current.get()


def activate(language: str) -> None:
    """Speak `language` for the rest of this task (an update's handling)."""
    _current.set(language if language in LANGUAGES else DEFAULT)


@contextlib.contextmanager
def using(language: str | None) -> Iterator[None]:
    """Speak `language` inside the block (None or not ours: English)."""
    token = _current.set(language_for(language))
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Russian has three)."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # gettext's name for "mark, translate later"
    """Mark `message` for the catalog without translating it (translated where it's used)."""
    return message


_ = gettext
