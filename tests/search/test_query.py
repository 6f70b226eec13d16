"""Tests for newsbot.search.query: a question's terms, here a Russian surname's other cases."""

from __future__ import annotations

import pytest

from newsbot.ingest.text import ExtractedArticle
from newsbot.search.query import case_forms
from newsbot.search.text import word_terms
from newsbot.service import Newsbot

GENEVA = ExtractedArticle(
    title="Переговоры в Женеве",
    text="Министр иностранных дел Сергей Лавров встретился в Женеве с госсекретарём США. "
    "Переговоры продлились шесть часов, сообщил Дмитрий Песков.\n\n"
    "Стороны договорились продолжить консультации в январе.",
    url=None,
    site=None,
    author=None,
    published=None,
    language="ru",
)


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("лавров", ("лавров",)),  # Snowball: "лавр"; "Лаврова", "Лаврову" stem to "лавров"
        ("лаврова", ("лавр",)),
        ("медведеву", ("медвед",)),
        ("киев", ("киев",)),
        ("путина", ()),  # "Путин", "Путина": one stem already
        ("слово", ()),
        ("lavrov", ()),
    ],
)
def test_a_surname_in_ov_ev_also_looks_for_its_other_cases(word: str, forms: tuple[str]) -> None:
    assert case_forms(word, word_terms(word)[0]) == forms


async def test_a_surname_asked_in_another_case_than_the_article_writes(seeded: Newsbot) -> None:
    # The article says "Сергей Лавров", "Дмитрий Песков": the questions' "Лаврова", "Пескову"
    # are the same men, not names no article mentions.
    await seeded.ingestor.add_extracted(GENEVA.title, GENEVA)
    for question in (
        "Сколько продлились переговоры Лаврова в Женеве?",
        "Что сообщил Пескову Лавров?",
    ):
        result = await seeded.retriever.search(question)
        assert result.answered is True, question
        assert result.unmentioned == (), question
        assert result.hits[0].article_id == 2, question
