"""`newsbot ask`'s plain text: what a terminal shows of a hit, and of what isn't a question."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from newsbot.cli.ask import BOLD, NOT_A_QUESTION, PLAIN, format_result, terminal_passage
from newsbot.search.answer import AnswerSpan
from newsbot.search.results import Hit, SearchResult

PASSAGE = "The forum opened on Friday.\nIt is a five-day discussion of technology."
ANSWER = "It is a five-day discussion of technology."


def hit(answer: AnswerSpan | None) -> Hit:
    return Hit(
        passage_id=1,
        article_id=1,
        title="Forum opens",
        url="https://news.example/forum",
        site="News",
        published=datetime(2021, 9, 25, tzinfo=UTC),
        passage=PASSAGE,
        score=1.0,
        highlights=[(PASSAGE.index("forum"), PASSAGE.index("forum") + 5)],
        confidence=0.9,
        answer=answer,
    )


def test_the_answer_sentence_is_bold_on_a_terminal() -> None:
    start = PASSAGE.index(ANSWER)
    shown = terminal_passage(hit(AnswerSpan(ANSWER, start, start + len(ANSWER))), bold=True)
    assert shown == f"   The forum opened on Friday.\n   {BOLD}{ANSWER}{PLAIN}"


def test_without_an_answer_sentence_the_matched_words_are_bold() -> None:
    shown = terminal_passage(hit(None), bold=True)
    assert shown.startswith(f"   The {BOLD}forum{PLAIN} opened")


def test_every_line_of_the_passage_is_indented_and_plain_off_a_terminal() -> None:
    result = SearchResult("how long is the forum", True, [hit(None)], confidence=0.9)
    assert format_result(result, 1, bold=False) == (
        "1. Forum opens (News, 2021-09-25)\n"
        "   https://news.example/forum\n"
        "   The forum opened on Friday.\n"
        "   It is a five-day discussion of technology."
    )


def test_the_names_a_passage_lacks_are_listed_under_it() -> None:
    lacking = replace(hit(None), missing=("qatar", "2019"))
    result = SearchResult("qatar airways 787 order in 2019", True, [lacking], confidence=0.9)
    assert format_result(result, 1, bold=False).endswith(
        "   It is a five-day discussion of technology.\n   Missing: qatar, 2019"
    )


def test_a_passage_lacking_a_name_has_its_matched_words_bold_not_the_sentence() -> None:
    start = PASSAGE.index(ANSWER)
    near = replace(hit(AnswerSpan(ANSWER, start, start + len(ANSWER))), missing=("qatar",))
    shown = terminal_passage(near, bold=True)
    assert shown == f"   The {BOLD}forum{PLAIN} opened on Friday.\n   {ANSWER}"


def test_ask_says_what_the_bot_says_to_a_non_question_and_refuses_an_empty_one(
    cli: Any,
) -> None:
    assert cli("db", "sample")[0] == 0
    for chatter in ("2", "thanks", "ok!"):
        assert cli("ask", chatter) == (0, NOT_A_QUESTION + "\n", "")
    status, out, err = cli("ask", " ")
    assert (status, out) == (2, "") and err.startswith("newsbot ask: the question is empty")
    status, out, _ = cli("ask", "--json", "thanks")
    assert status == 0
    assert json.loads(out) == {"question": "thanks", "answered": False, "results": []}


def test_a_decline_says_which_names_the_closest_articles_never_mention() -> None:
    declined = SearchResult("How long is the Qatar forum?", answered=False, hits=[hit(None)])
    plain = format_result(declined, 3, bold=False)
    assert plain == (
        "I couldn't find that in the 3 articles I know. Try other words, or see `newsbot articles`."
    )
    named = replace(declined, unmentioned=("qatar", "2"))
    assert format_result(named, 3, bold=False) == (
        f"{plain} None of the articles I found mentions “qatar”, “2”."
    )
