"""Tests for newsbot.ingest.sentences and .passages: sentence splitting and passage building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.sentences import split_sentences
from tests.helpers.seed import HEADINGS, seed_body_paragraphs

DATA = Path(__file__).resolve().parents[1] / "data" / "pages"
REAL_TEXTS: list[str] = [
    entry["articleBody"]
    for entry in json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8")).values()
]
# The seed article's body (the package's sample), as the plain-text parser leaves it.
SEED_TEXT = "\n\n".join(seed_body_paragraphs())


# --- no text lost or repeated ------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "the", "council", "voted", "Mr.", "Dr.", "U.S.", "e.g.", "Jan.", "3.5", "J.", "K.",
        "budget", "“quoted”", '"Hi."', "wait...", "(yes)", "Москва", "город", "北京", "مرحبا",
        "x" * 40, "a", "I", "—", "-", "*", "#", "OK!", "why?", "end.”", "etc.", "No.", "5",
    ]
)  # fmt: skip
SENTENCES = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORDS, min_size=1, max_size=40),
    st.sampled_from([".", "!", "?", "…", '."', ".”", "", "。", "؟", ":"]),
)
PARAGRAPHS = st.builds(
    lambda sentences, sep: sep.join(sentences),
    st.lists(SENTENCES, min_size=1, max_size=12),
    st.sampled_from([" ", "  ", "\n", " \t "]),
)
TEXTS = st.builds(
    lambda paragraphs, sep: sep.join(paragraphs),
    st.lists(PARAGRAPHS, min_size=0, max_size=12),
    st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\n"]),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.sampled_from([(300, 700), (50, 120), (1, 10), (500, 2000)]))
def test_no_word_lost_or_repeated(text: str, bounds: tuple[int, int]) -> None:
    min_chars, max_chars = bounds
    passages = split_into_passages(text, min_chars=min_chars, max_chars=max_chars)
    assert " ".join(passages).split() == text.split()
    assert all(p.strip() for p in passages)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_no_word_lost_on_arbitrary_unicode(text: str) -> None:
    passages = split_into_passages(text)
    # CJK full stops end sentences without a space, so a break there splits one "word" in two;
    # the characters themselves are never lost, repeated or reordered.
    assert "".join("".join(passages).split()) == "".join(text.split())
    if not any(c in text for c in "。！？｡"):
        assert " ".join(passages).split() == text.split()


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_sentences_cover_the_text(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    if "。" in text:  # no space after a CJK full stop: compare characters instead
        assert "".join("".join(sentences).split()) == "".join(text.split())
    else:
        assert " ".join(sentences).split() == text.split()


def test_empty_text() -> None:
    assert split_into_passages("") == []
    assert split_into_passages(" \n\n \t") == []
    assert split_sentences("") == []


# --- sizes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", REAL_TEXTS, ids=range(len(REAL_TEXTS)))
def test_sizes_on_real_text(text: str) -> None:
    passages = split_into_passages(text)
    assert " ".join(passages).split() == text.split()
    for passage in passages:
        # over max_chars only by the allowed slack, or when it is a single long sentence
        assert len(passage) <= 700 * 1.3 or len(split_sentences(passage)) == 1
    if len(text) >= 600:
        assert all(len(p) >= 200 for p in passages)
        assert len(passages) >= 2 or len(text) <= 910


def test_sizes_on_long_paragraphs() -> None:
    sentence = "The committee reviewed the proposal in detail and asked for more data. "
    text = "\n\n".join(sentence * n for n in (3, 25, 1, 12))
    passages = split_into_passages(text)
    assert " ".join(passages).split() == text.split()
    assert all(300 <= len(p) <= 700 for p in passages[:-1])
    assert len(passages[-1]) <= 910
    # a long paragraph is cut into near-equal parts, not max_chars + a crumb
    lengths = [len(p) for p in passages]
    assert max(lengths) - min(lengths) < 400


def test_short_paragraphs_are_merged() -> None:
    text = "\n\n".join(f"Short paragraph number {i} is here." for i in range(30))
    passages = split_into_passages(text)
    assert all(len(p) >= 300 for p in passages)
    assert all(len(p) <= 910 for p in passages)


def test_last_short_remainder_joins_previous() -> None:
    long_paragraph = "This is a sentence that adds some length to the paragraph. " * 9
    text = long_paragraph + "\n\nThe end."
    passages = split_into_passages(text)
    assert passages[-1].endswith("The end.")
    assert len(passages[-1]) > len("The end.")


def test_short_text_is_one_passage() -> None:
    assert split_into_passages("Just one line.") == ["Just one line."]
    assert split_into_passages("Two short.\n\nParagraphs here.") == ["Two short.\nParagraphs here."]


# --- sentences ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in the U.S. capital. They talked.",
            ["Mr. Smith met Dr. Jones in the U.S. capital.", "They talked."],
        ),
        (
            "Sales rose 3.5 percent in Jan. 2021 to $4.2 billion. Analysts were surprised.",
            ["Sales rose 3.5 percent in Jan. 2021 to $4.2 billion.", "Analysts were surprised."],
        ),
        (
            "Fruit, e.g. apples, is healthy. So is fish, i.e. salmon.",
            ["Fruit, e.g. apples, is healthy.", "So is fish, i.e. salmon."],
        ),
        (
            "J. K. Rowling and George R. R. Martin spoke. Fans cheered.",
            ["J. K. Rowling and George R. R. Martin spoke.", "Fans cheered."],
        ),
        (
            '"We will win." She smiled. “It is over.” Then he left.',
            ['"We will win."', "She smiled.", "“It is over.”", "Then he left."],
        ),
        (
            '"Is it true?" he asked. "Yes!" she said.',
            ['"Is it true?" he asked.', '"Yes!" she said.'],
        ),
        (
            "He paused... Then he spoke. Wait… what? Nothing.",
            ["He paused...", "Then he spoke.", "Wait… what?", "Nothing."],
        ),
        (
            "Visit example.com/a.html today. The site (www.example.org) is new.",
            ["Visit example.com/a.html today.", "The site (www.example.org) is new."],
        ),
        (
            "It happened at 5 p.m. on Friday. No. 10 said so.",
            ["It happened at 5 p.m. on Friday.", "No. 10 said so."],
        ),
        (
            "Москва — столица России. Город большой! Вы там были? Да.",
            ["Москва — столица России.", "Город большой!", "Вы там были?", "Да."],
        ),
        (
            "北京是中国的首都。上海很大！你去过吗？去过。",
            ["北京是中国的首都。", "上海很大！", "你去过吗？", "去过。"],
        ),
        (
            "「行きます。」と彼は言った。東京は大きい。",
            ["「行きます。」", "と彼は言った。", "東京は大きい。"],
        ),
        (
            "هل أنت بخير؟ نعم، أنا بخير. شكرا!",
            ["هل أنت بخير؟", "نعم، أنا بخير.", "شكرا!"],
        ),
        (
            "He said no. Then she left. It was in Jan. The next one came in Feb. 2020.",
            ["He said no.", "Then she left.", "It was in Jan.", "The next one came in Feb. 2020."],
        ),
        ("No final stop here", ["No final stop here"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_paragraph_break_ends_a_sentence() -> None:
    assert split_sentences("A heading\n\nText starts here. More text") == [
        "A heading",
        "Text starts here.",
        "More text",
    ]


# --- subheadings -------------------------------------------------------------------------------


def test_subheading_stays_with_following_text() -> None:
    passages = split_into_passages(SEED_TEXT)
    assert " ".join(passages).split() == SEED_TEXT.split()
    for heading in HEADINGS:
        holder = next(p for p in passages if heading in p)
        after = holder.split(heading, 1)[1]
        assert after.strip(), f"{heading!r} ends a passage"
    silicon = next(p for p in passages if "Silicon Valley”\n" in p)
    assert "The companies in Zhongguancun" in silicon
    for passage in passages:
        assert passage.rsplit("\n", 1)[-1] not in HEADINGS


def test_subheading_after_long_passage_starts_a_new_one() -> None:
    body = "Officials said the plan would take effect next year after a review. " * 6
    text = f"{body}\n\nWhat happens next\n\n{body}"
    passages = split_into_passages(text)
    assert any(p.startswith("What happens next\nOfficials said") for p in passages)
    assert not any(p.endswith("What happens next") for p in passages)


def test_subheading_before_huge_paragraph() -> None:
    huge = "Officials said the plan would take effect next year after a review. " * 30
    text = f"Intro sentence is short.\n\nThe details\n\n{huge}"
    passages = split_into_passages(text)
    assert " ".join(passages).split() == text.split()
    holder = next(p for p in passages if "The details" in p)
    assert holder.split("The details", 1)[1].strip()


def test_list_of_short_lines_is_not_one_giant_heading() -> None:
    items = "\n\n".join(f"Item number {i} without a stop" for i in range(80))
    text = f"{items}\n\nA closing sentence."
    passages = split_into_passages(text)
    assert " ".join(passages).split() == text.split()
    assert all(len(p) <= 910 for p in passages)


# --- scripts and long sentences ----------------------------------------------------------------


def test_cjk_text() -> None:
    sentence = "北京是中国的首都，也是一座有三千多年历史的城市，每年吸引大量游客。"
    text = "\n\n".join(sentence * n for n in (4, 40, 2))
    passages = split_into_passages(text)
    assert len(passages) > 1
    assert "".join("".join(passages).split()) == "".join(text.split())
    assert all(p.endswith("。") for p in passages)
    assert all(len(p) <= 910 for p in passages)


def test_one_huge_sentence_is_its_own_passage() -> None:
    huge = "and then " * 150 + "it ended."  # about 1,350 characters, one sentence
    text = f"A short opening sentence.\n\n{huge}\n\nA short closing sentence."
    passages = split_into_passages(text)
    assert huge in passages  # not cut, not padded
    assert " ".join(passages).split() == text.split()


def test_pathological_sentence_is_cut_at_word_boundaries() -> None:
    words = [f"word{i}" for i in range(1200)]  # about 9,000 characters without a full stop
    text = " ".join(words)
    passages = split_into_passages(text)
    assert len(passages) > 5
    assert all(len(p) <= 910 for p in passages)
    assert " ".join(passages).split() == words


def test_pathological_single_word_is_kept_whole() -> None:
    text = "x" * 5000 + " tail."
    assert " ".join(split_into_passages(text)).split() == text.split()


def test_list_inside_one_paragraph_is_cut_at_line_breaks() -> None:
    lines = "\n".join(f"June {d} -- Amphitheatre, City {d}, FL" for d in range(1, 31))
    passages = split_into_passages(f"Tour dates:\n{lines}")
    assert len(passages) > 1
    assert all(len(p) <= 910 for p in passages)
