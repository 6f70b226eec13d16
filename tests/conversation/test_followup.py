"""Which messages are questions, and which lean on the last answer."""

from __future__ import annotations

import pytest

from newsbot.conversation.followup import (
    fits_context,
    is_chatter,
    leans_on_context,
    leans_strongly,
    own_words,
)


@pytest.mark.parametrize(
    "text", ["2", "ok", "OK!", "thanks", "quit", "clear", "/help", "hi /start", "the of and a"]
)
def test_chatter_is_not_a_question(text: str) -> None:
    assert is_chatter(text)


@pytest.mark.parametrize(
    "text", ["What is Zhongguancun known as?", "why?", "who is he?", "ferry", "2024 election"]
)
def test_questions_are_not_chatter(text: str) -> None:
    assert not is_chatter(text)


def test_follow_ups_lean_on_the_last_answer() -> None:
    assert leans_on_context("and who does he play first?")
    assert leans_on_context("What about the ferry?")
    assert leans_on_context("When did it open?")
    assert leans_on_context("why?")
    assert not leans_on_context("Which club did Mourinho join?")
    assert leans_strongly("and who does he play first?") and leans_strongly("why?")
    assert leans_on_context("Is there a ferry?") and not leans_strongly("Is there a ferry?")
    assert own_words("and who does he play first?") == ["play", "first"]


def test_a_context_passage_must_hold_the_follow_ups_own_words() -> None:
    passage = "Roma play Salernitana first, at home, on August 22."
    assert fits_context("and who does he play first?", passage)
    assert not fits_context("and what about the weather?", passage)
    assert fits_context("and why?", passage)
