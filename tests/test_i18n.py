"""The catalogs: every string the code marks has a whole Russian translation, with the same
placeholders, and the compiled .mo says what the .po says (`make messages` keeps them so)."""

from __future__ import annotations

import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from newsbot import i18n

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "src" / "newsbot"
TAGS = re.compile(r"</?(?:b|i|u|s|code|pre|a)\b[^>]*>")  # Telegram's HTML
CATALOGS = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]


def extracted() -> dict[str | tuple[str, ...], str]:
    """What Babel's extractor finds in the code (as `make messages` runs it): msgid -> where."""
    found: dict[str | tuple[str, ...], str] = {}
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        SOURCES, method_map=[("**.py", "python")], keywords=keywords
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def catalog(code: str) -> Catalog:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=code)


def forms(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms (one, or one per plural form)."""
    if isinstance(value, tuple | list):
        return tuple(str(form) for form in value)
    return (str(value),) if value is not None else ()


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_code_marks_strings_and_nothing_is_marked_twice_differently() -> None:
    messages = extracted()
    assert len(messages) > 50
    assert "This answer has expired, ask again." in messages  # N_ at import time
    assert "Your news digest: {count} new article since {since}" in {
        m[0] for m in messages if isinstance(m, tuple)
    }


@pytest.mark.parametrize("code", CATALOGS)
def test_every_marked_string_has_a_whole_translation(code: str) -> None:
    po = catalog(code)
    assert po.num_plurals == 3 if code == "ru" else po.num_plurals >= 1
    for msgid, where in extracted().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = po.get(key)
        assert message is not None, f"{where}: {msgid!r} has no {code} translation"
        assert not message.fuzzy, f"{where}: {msgid!r} is fuzzy in {code}"
        translations = forms(message.string)
        assert len(translations) == (po.num_plurals if isinstance(msgid, tuple) else 1), where
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        for text in translations:
            assert text.strip(), f"{where}: an empty {code} translation of {msgid!r}"
            # The same placeholders: a missing one loses a value, an extra one raises KeyError.
            assert fields(text) == fields(ids[-1]), f"{where}: {text!r} vs {msgid!r}"
            # Telegram HTML: the same tags, so a translation can't break a message.
            assert TAGS.findall(text) == TAGS.findall(ids[0]), where


@pytest.mark.parametrize("code", CATALOGS)
def test_the_catalog_holds_nothing_the_code_no_longer_says(code: str) -> None:
    keys = {m[0] if isinstance(m, tuple) else m for m in extracted()}
    stale = [m.id for m in catalog(code) if m.id and _key(m) not in keys]
    assert stale == [], "run `make messages`"


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else str(message.id)


@pytest.mark.parametrize("code", CATALOGS)
def test_the_compiled_catalog_says_what_the_po_says(code: str) -> None:
    mo = i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with mo.open("rb") as compiled:
        loaded = gettext.GNUTranslations(compiled)
    for message in catalog(code):
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            for n in range(30):  # the header's rule, compiled, picks the form grammar wants
                expected = forms(message.string)[_plural_index(code, n)]
                assert loaded.ngettext(message.id[0], message.id[1], n) == expected
        else:
            assert loaded.gettext(message.id) == message.string, message.id


def _plural_index(code: str, n: int) -> int:
    """The form Russian grammar wants for n (1, 21: one; 2-4, 22: few; else many)."""
    assert code == "ru"
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def test_languages_from_telegram_and_the_fallback() -> None:
    assert [i18n.language_for(c) for c in ("ru", "ru-RU", "RU", "en-GB", "de", None, "")] == [
        "ru",
        "ru",
        "ru",
        "en",
        "en",
        "en",
        "en",
    ]
    assert i18n.current() == "en"
    with i18n.using("ru"):
        assert i18n.gettext("More") == "Ещё"
        assert i18n.current() == "ru"
        with i18n.using("xx"):
            assert i18n.gettext("More") == "More"
    assert i18n.gettext("More") == "More" and i18n.current() == "en"
