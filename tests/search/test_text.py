"""Tests for newsbot.search.text: tokens, stems, stop words, scripts, accents and highlights."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

import pytest
import snowballstemmer
import Stemmer
from hypothesis import example, given
from hypothesis import strategies as st
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.russian_stemmer import RussianStemmer

from newsbot.search.text import (
    STOP_WORDS,
    capitalised_terms,
    content_terms,
    highlight_spans,
    normalize,
    spelled_terms,
    stem,
    term_positions,
    terms,
    word_terms,
    words,
)
from tests.conftest import SEED


def test_stop_words_are_kept_by_terms_and_dropped_by_content_terms() -> None:
    question = "What is the Silicon Valley of China known as?"
    assert terms(question) == [
        "what", "is", "the", "silicon", "valley", "of", "china", "known", "as"
    ]  # fmt: skip
    assert content_terms(question) == ["silicon", "valley", "china"]
    assert content_terms("What is it and who was there?") == []
    assert {"what", "who", "the", "known", "called"} <= STOP_WORDS


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("building", "build"),
        ("built", "built"),
        ("companies", "compani"),
        ("company", "compani"),
        ("running", "run"),
        ("abc", "abc"),  # three letters or fewer: left alone
        ("2021", "2021"),
        ("covid19", "covid19"),  # not purely alphabetic: left alone
        ("компании", "компан"),
        ("компания", "компан"),
        ("zhongguancun", "zhongguancun"),
        ("الصين", "الصين"),  # other scripts stay as they are
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_english_and_russian_stems_let_forms_meet() -> None:
    assert content_terms("The companies were building bridges") == ["compani", "build", "bridg"]
    assert content_terms("Компании строят мосты") == ["компан", "стро", "мост"]
    assert content_terms("компания строит мост") == ["компан", "стро", "мост"]
    assert terms("компаниями")[0] == terms("компаний")[0] == "компан"


def test_cjk_runs_become_overlapping_bigrams() -> None:
    assert terms("北京大学") == ["北京", "京大", "大学"]
    assert terms("中") == ["中"]
    assert terms("abc北京") == ["abc", "北京"]
    assert terms("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert terms("서울특별시") == ["서울", "울특", "특별", "별시"]
    assert terms("中关村被称为中国的硅谷") == [
        "中关", "关村", "村被", "被称", "称为", "为中", "中国", "国的", "的硅", "硅谷"
    ]  # fmt: skip


def test_accents_and_arabic_marks_are_ignored() -> None:
    assert terms("Café Zürich naïve ÉCOLE") == ["cafe", "zurich", "naiv", "ecol"]
    assert terms("cafe\u0301") == ["cafe"]  # decomposed accent
    assert terms("السَّلامُ عليكم") == terms("السلام عليكم") == ["السلام", "عليكم"]
    assert normalize("Straße") == "strasse"
    assert normalize("İstanbul") == "istanbul"
    assert normalize("ASCII Only") == "ascii only"


def test_words_split_on_punctuation_and_underscores() -> None:
    assert words("COVID-19, year-on-year: x_y «ёж»") == [
        "covid", "19", "year", "on", "year", "x", "y", "еж"
    ]  # fmt: skip
    assert word_terms("running") == ("run",)
    assert words("🚀🔥 ... !!!") == []


def test_term_positions() -> None:
    text = "A silicon chip, then Silicon Valley; valleys everywhere."
    assert term_positions(text, {"silicon", "valley"}) == {"silicon": [1, 4], "valley": [5, 6]}
    assert term_positions(text, {"absent"}) == {}


def test_highlight_spans_merge_adjacent_words() -> None:
    passage = "Zhongguancun, China’s “Silicon Valley” – and silicon  valley"
    spans = highlight_spans(passage, {"silicon", "valley"})
    assert spans == [(23, 37), (45, 60)]
    assert [passage[s:e] for s, e in spans] == ["Silicon Valley", "silicon  valley"]


def test_highlight_spans_of_stemmed_and_accented_words() -> None:
    passage = "The Café in Zürich: companies are building."
    spans = highlight_spans(passage, {"cafe", "zurich", "compani", "build"})
    assert [passage[s:e] for s, e in spans] == ["Café", "Zürich", "companies", "building"]
    russian = "Компании строят, компания строит."
    assert [russian[s:e] for s, e in highlight_spans(russian, {"компан"})] == [
        "Компании",
        "компания",
    ]
    assert highlight_spans("nothing here", {"absent"}) == []


# Characters with a compatibility decomposition ("¼", "Ŀ") are left out: normalize() turns them
# into two words ("1⁄4" -> "1", "4"; "l·") that no span of the original text stands for.
PLAIN_CHARACTERS = st.characters().filter(
    lambda c: unicodedata.normalize("NFKD", c) == unicodedata.normalize("NFD", c)
)


@given(st.text(PLAIN_CHARACTERS))
@example("\u0f57")  # Tibetan BHA: normalised, a letter and a combining mark, one term
def test_highlights_are_ordered_spans_of_words_in_any_text(text: str) -> None:
    wanted = set(content_terms(text)[:3])
    spans = highlight_spans(text, wanted)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    assert bool(spans) == bool(wanted)


def test_capitalised_terms_are_names_where_no_sentence_starts() -> None:
    text = (
        "Shares of Lowe's rose. Home Depot said sales fell, and the Fed held rates. "
        '"Prices rose," Rep. Rashida Tlaib (D-Mich.) told NBC: Markets fell.'
    )
    # "Shares", "Home", "Prices" and "Markets" open a sentence (after quotes or a colon too).
    # Only a capital after a letter, digit or comma and a space counts, so "Rep" (after a
    # quote), "Rashida" (after an abbreviation's full stop) and "Mich" are missed: an
    # undercount, never a sentence's first word; "D" is a stop word.
    assert capitalised_terms(text) == [stem("lowe"), "depot", "fed", "tlaib", "nbc"]
    assert capitalised_terms("В Москве Путин встретился с Си.") == [stem("москве"), "путин", "си"]
    assert capitalised_terms("iPhone sales and The rest") == []  # "The" is a stop word


@given(st.text(max_size=300))
def test_capitalised_terms_are_content_terms_of_the_text(text: str) -> None:
    assert set(capitalised_terms(text)) <= set(content_terms(text))


def test_a_plural_of_a_model_number_meets_the_number() -> None:
    assert [stem(w) for w in ("787s", "a380s", "1990s", "2s", "tng50")] == [
        "787", "a380", "1990", "2s", "tng50"
    ]  # fmt: skip
    assert content_terms("Emirates A380s") == content_terms("the Emirates A380")


def test_the_c_stemmers_are_used_and_stem_as_snowballs_python_port() -> None:
    # PyStemmer (a dependency) is what snowballstemmer hands out when it is installed: the
    # index is built 2.3x faster with it, and its stems must be the port's, word for word
    # (a saved index's stems would otherwise not meet a question's).
    assert snowballstemmer.stemmer is Stemmer.Stemmer
    seed = sorted(set(words(SEED.read_text(encoding="utf-8"))))
    english, russian = Stemmer.Stemmer("english"), Stemmer.Stemmer("russian")
    port_english, port_russian = EnglishStemmer(), RussianStemmer()
    assert len(seed) > 100
    assert [english.stemWord(w) for w in seed] == [port_english.stemWord(w) for w in seed]
    ru = ["компании", "компания", "вторжению", "администрации", "объединялись", "римской"]
    assert [russian.stemWord(w) for w in ru] == [port_russian.stemWord(w) for w in ru]


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя", min_size=4))
def test_the_c_and_python_stemmers_agree_on_any_word(word: str) -> None:
    assert Stemmer.Stemmer("english").stemWord(word) == EnglishStemmer().stemWord(word)
    assert Stemmer.Stemmer("russian").stemWord(word) == RussianStemmer().stemWord(word)


def test_a_number_in_digits_is_spelled_with_its_words_in_english_and_russian() -> None:
    # "пять" and "пятый" share their stem: each term once.
    assert spelled_terms("5") == ("five", "fifth", "пят")
    assert terms("пять пятый") == ["пят", "пят"]
    assert spelled_terms("5th") == spelled_terms("5")
    assert spelled_terms("12") == (*terms("twelve"), "twelfth", "dozen")
    assert "hundr" in spelled_terms("100")
    # Other numbers are left as they are: years, prices, codes, numbers news writes in digits.
    assert [spelled_terms(w) for w in ("21", "1500", "5g", "3x", "٥")] == [()] * 5


def test_words_keep_their_combining_marks() -> None:
    # Devanagari, Bengali and Telugu write vowel signs and viramas as combining marks.
    assert terms("हिंदी भाषा") == ["हिंदी", "भाषा"]
    assert terms("দিল্লী দর্বার") == ["দিল্লী", "দর্বার"]
    assert terms("ఆంధ్ర ప్రదేశ్") == ["ఆంధ్ర", "ప్రదేశ్"]
    assert highlight_spans("मेला हिंदी में", {"हिंदी"}) == [(5, 10)]
    # Accents still go, in precomposed and decomposed text alike; Cyrillic "й" stays a letter.
    assert terms("café cafe\u0301 Тью\u0301ринг") == ["cafe", "cafe", "тьюринг"]
    assert normalize("мой") == "мой" != normalize("мои")
    assert capitalised_terms("said Тью\u0301ринг") == terms("Тьюринг")
