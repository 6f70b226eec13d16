"""Tests for newsbot.search.answer: sentences, expected answer types, the answering sentence,
and messages that are not questions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsbot.search.answer import (
    AnswerSpan,
    answer_evidence,
    content_words,
    expected_type,
    frame_positions,
    has_type,
    is_not_a_question,
    locate_answer,
    sentences,
)
from newsbot.search.text import words

FORUM = (
    "Chinese President Xi Jinping on Friday stressed the importance of international technology "
    "cooperation. President Xi made the remarks when speaking to the Zhongguancun Forum 2021 via "
    "video link. The forum is a five-day discussion of some of the world's most advanced "
    "technological achievements. Innovation is the number one driving force for development, "
    "Xi said."
)


def spans_text(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


def test_sentences_split_on_end_marks_and_keep_abbreviations() -> None:
    text = "Dr. Smith met U.S. officials on Monday. Prices rose 2.5%! Why?\nNext line"
    assert spans_text(text) == [
        "Dr. Smith met U.S. officials on Monday.",
        "Prices rose 2.5%!",
        "Why?",
        "Next line",
    ]


def test_sentences_of_russian_text() -> None:
    assert spans_text("Форум открылся в Пекине. Он продлится пять дней.") == [
        "Форум открылся в Пекине.",
        "Он продлится пять дней.",
    ]


@given(st.text(alphabet="ab .!?\n\"'", max_size=60))
def test_sentences_are_ordered_trimmed_slices(text: str) -> None:
    previous = 0
    for start, end in sentences(text):
        assert previous <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous = end


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many days does the forum last?", "number"),
        ("how much did it cost", "number"),
        ("Сколько стоит билет?", "number"),
        ("When did the forum open?", "date"),
        ("what year was it founded", "date"),
        ("Who won the match?", "name"),
        ("Кто выиграл?", "name"),
        ("Where is the forum held?", "place"),
        ("What does technology for good mean?", None),
    ],
)
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_has_type_ignores_what_the_question_already_says() -> None:
    assert has_type("The forum is a five-day discussion.", "number", set())
    assert not has_type("The forum is a long discussion.", "number", set())
    assert has_type("It opened on 25 September.", "date", set())
    assert has_type("It opened in 2021.", "date", set())
    assert not has_type("It opened with a speech.", "date", set())
    assert has_type("The award went to Maria Lopez.", "name", set())
    assert not has_type("The award went to Maria Lopez.", "name", {"maria", "lopez"})
    # A capitalised first word is no name by itself.
    assert not has_type("Officials said little.", "name", set())
    assert has_type("The summit was held in Geneva.", "place", set())
    assert not has_type("The summit was held by Geneva officials.", "place", set())


def test_locate_answer_finds_the_number_for_how_many() -> None:
    span = locate_answer("How many days does the forum last?", FORUM)
    assert span is not None
    assert "five-day" in span.sentence
    assert FORUM[span.start : span.end] == span.sentence


def test_locate_answer_prefers_the_sentence_with_the_rare_words() -> None:
    span = locate_answer("what drives development?", FORUM)
    assert span is not None
    assert span.sentence.startswith("Innovation is the number one driving force")


def test_locate_answer_uses_the_given_weights() -> None:
    text = "The council met on Monday. The council approved the budget for parks."
    # With "council" worth nothing, the sentence about the budget wins on its own word.
    span = locate_answer(
        "council budget", text, idf=lambda t: {"council": 0.0, "budget": 5.0}.get(t, 1.0)
    )
    assert span == AnswerSpan("The council approved the budget for parks.", 27, 69)


def test_locate_answer_uses_the_expected_answer_type() -> None:
    text = (
        "The final was played at the new stadium. "
        "The final was won by Real Madrid after extra time. "
        "The final drew a record crowd."
    )
    span = locate_answer("Who won the final?", text)
    assert span is not None and "Real Madrid" in span.sentence
    span = locate_answer("When was the final?", "The final was a draw. The final was in 1998.")
    assert span is not None and span.sentence == "The final was in 1998."


def test_locate_answer_matches_names_of_the_question() -> None:
    text = "Apple cut the price of the phone. Samsung cut the price of the Galaxy S24 to $799."
    span = locate_answer("what is the price of the Galaxy S24", text)
    assert span is not None and span.sentence.startswith("Samsung")


def test_locate_answer_none_without_any_shared_word() -> None:
    assert locate_answer("volcano eruption", "Prices rose. Markets fell.") is None
    assert locate_answer("anything", "") is None


def test_locate_answer_single_sentence_passage() -> None:
    span = locate_answer("volcano eruption", "  Prices rose sharply  ")
    assert span == AnswerSpan("Prices rose sharply", 2, 21)


@pytest.mark.parametrize(
    "text", ["2", "ok", "OK!", "thanks", "Thank you", "quit", "clear", "/help", "?", "", "  ", "a"]
)
def test_not_a_question(text: str) -> None:
    assert is_not_a_question(text)


@pytest.mark.parametrize(
    "text",
    ["How many days does the forum last?", "Zhongguancun", "AI", "2021 forum", "кто выиграл матч"],
)
def test_questions_are_questions(text: str) -> None:
    assert not is_not_a_question(text)


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("How many days does the forum last?", ["days", "forum"]),
        ("how long will the strike take", ["strike"]),
        ("How long is the bridge?", ["bridge"]),
        ("Who came last?", ["came", "last"]),  # "last" is no duration verb here
        ("What was the last forum about?", ["last", "forum"]),
        ("how many", ["many"]),
    ],
)
def test_content_words_leave_out_the_question_frame(question: str, kept: list[str]) -> None:
    assert [w for _, w in content_words(question)] == kept


def test_negation_in_the_question_but_not_the_sentence_is_noticed() -> None:
    passage = "The bridge was finished in 1932. Cars crossed it at once."
    found = answer_evidence("When was the bridge not finished?", passage)
    assert found is not None and found.negation_missing
    found = answer_evidence("When was the bridge finished?", passage)
    assert found is not None and not found.negation_missing
    found = answer_evidence("Why didn't the bridge open?", "The bridge didn't open: it was unsafe.")
    assert found is not None and not found.negation_missing


def test_a_year_is_not_how_many_or_how_long() -> None:
    assert not has_type("He spoke to the Zhongguancun Forum 2021 via video link.", "number", set())
    assert not has_type("Growth slowed in the 1990s.", "number", set())
    assert has_type("Prices rose 2.5% in 2020.", "number", set())
    assert has_type("It cost $2,021.", "number", set())
    assert has_type("The 2020-2021 season had 38 rounds.", "number", set())
    # So the forum's length is the sentence that says it, not the one that names its year.
    for question in ("How long does the forum last?", "how long is the forum"):
        evidence = answer_evidence(question, FORUM, lambda term: 1.0)
        assert evidence is not None
        assert FORUM[evidence.span.start : evidence.span.end].startswith("The forum is a five-day")


def test_mean_of_what_does_it_mean_is_frame() -> None:
    assert frame_positions(words("What does technology for good mean?")) == {5}
    assert frame_positions(words("what is meant by technology for good")) == {2}
    assert frame_positions(words("mean temperature in july")) == set()
