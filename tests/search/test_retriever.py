"""Tests for newsbot.search.retriever (and the FTS5 baseline in newsbot.search.fts) on the
sample article: answers, "no good match", typos, other scripts, other processes' changes, and
hostile questions that must never raise; on SQLite and PostgreSQL (FTS5: SQLite only)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from newsbot.ingest.records import answer_json
from newsbot.ingest.text import ExtractedArticle
from newsbot.search.fts import fts_bm25, fts_or_query, quote_fts_word
from newsbot.search.retriever import Retriever, SearchResult
from newsbot.service import SAMPLE_DATA, Newsbot
from newsbot.settings import Settings
from tests.helpers.databases import BOTH

BACKENDS = BOTH
DATA = Path(__file__).resolve().parents[1] / "data"
HOSTILE: dict[str, str] = json.loads((DATA / "hostile_questions.json").read_text(encoding="utf-8"))
ZHONGGUANCUN = "What is Zhongguancun known as?"
UNANSWERED = "Who won the 2018 football world cup?"
SEED_TITLE = "Xi Jinping calls for greater international technology cooperation"
SILICON_VALLEY_PASSAGE = 4  # the seed's fourth and last passage
SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
VOLCANO = (
    "A volcano erupted on the Reykjanes peninsula on Monday evening, the Icelandic Met Office "
    "said. Lava flowed towards the town of Grindavík, which had been evacuated in November."
)


def article(title: str, text: str, language: str | None = None) -> ExtractedArticle:
    return ExtractedArticle(
        title=title, text=text, url=None, site=None, author=None, published=None, language=language
    )


RUSSIAN = article(
    "Ледовая переправа через Байкал открылась",
    "Ледовая переправа через озеро Байкал открылась в понедельник, на две недели раньше, чем в "
    "прошлом году, сообщили власти Иркутской области.\n\nГрузовики массой до пяти тонн могут "
    "ездить между Куркутом и островом Ольхон.",
    "ru",
)
CHINESE = article(
    "中关村论坛开幕",
    "中关村论坛在北京开幕，来自世界各地的科学家讨论人工智能和碳中和。\n\n"
    "中关村被称为中国的硅谷，聚集了大量高科技企业。",
    "zh",
)
ARABIC = article(
    "افتتاح معرض الكتاب في القاهرة",
    "افتتح معرض القاهرة الدولي للكتاب يوم الأربعاء بمشاركة أكثر من ألف ناشر من سبعين دولة."
    "\n\nويستمر المعرض أسبوعين ويتوقع المنظمون مليوني زائر.",
    "ar",
)
HINDI = article(
    "दिल्ली में पुस्तक मेला शुरू",
    "दिल्ली के प्रगति मैदान में विश्व पुस्तक मेला शनिवार को शुरू हुआ। इसमें हिंदी और अंग्रेज़ी के "
    "दो हज़ार प्रकाशक भाग ले रहे हैं।\n\nमेला नौ दिन चलेगा।",
    "hi",
)


def assert_json_answer(result: SearchResult, question: str) -> None:
    """PRODUCT.md's `ask --json` shape, strictly valid JSON (no NaN), for this question."""
    shown = json.loads(json.dumps(answer_json(result), ensure_ascii=False, allow_nan=False))
    assert shown["question"] == question
    assert isinstance(shown["answered"], bool)
    for hit in shown["results"]:
        assert set(hit) == {"article_id", "url", "title", "passage", "score", "answer"}
        assert isinstance(hit["score"], float)
        if hit["answer"] is not None:
            answer = hit["answer"]
            assert hit["passage"][answer["start"] : answer["end"]] == answer["sentence"]


# -- answers from the sample article ------------------------------------------------------------


async def test_zhongguancun_question_is_answered_by_the_silicon_valley_passage(
    seeded: Newsbot,
) -> None:
    result = await seeded.retriever.search(ZHONGGUANCUN)
    assert result.answered is True
    assert result.confidence >= seeded.retriever.weights.answer_threshold
    assert len(result.hits) == 3
    best = result.hits[0]
    assert best.passage_id == SILICON_VALLEY_PASSAGE
    assert "China’s “Silicon Valley”" in best.passage
    assert (best.article_id, best.title, best.url, best.site) == (
        1,
        SEED_TITLE,
        None,
        "Media Inter World",
    )
    assert best.published is not None and best.published.isoformat() == "2021-09-25T21:58:00+00:00"
    # Only the question's content word is highlighted ("What", "is", "known", "as" are stop words).
    assert {best.passage[s:e] for s, e in best.highlights} == {"Zhongguancun"}
    assert len(best.highlights) == 3
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert best.answer is not None
    assert best.answer.sentence.startswith("Zhongguancun, China’s “Silicon Valley”")
    assert best.passage[best.answer.start : best.answer.end] == best.answer.sentence
    assert_json_answer(result, ZHONGGUANCUN)


async def test_the_answer_sentence_of_how_many_days_holds_the_number(seeded: Newsbot) -> None:
    result = await seeded.retriever.search("How many days does the forum last?")
    [hit] = [h for h in result.hits if "five-day" in h.passage]
    assert hit.answer is not None and "five-day" in hit.answer.sentence


@pytest.mark.parametrize("message", ["2", "ok", "thanks", "quit", "clear", "/help", "Thank you!"])
async def test_messages_that_are_not_questions_are_declined(seeded: Newsbot, message: str) -> None:
    result = await seeded.ask(message)
    assert (result.answered, result.hits, result.not_a_question) == (False, [], True)
    assert_json_answer(result, message)


async def test_a_question_the_article_cannot_answer_is_not_answered(seeded: Newsbot) -> None:
    question = UNANSWERED
    result = await seeded.retriever.search(question)
    assert result.answered is False
    assert result.confidence < seeded.retriever.weights.answer_threshold
    assert_json_answer(result, question)


@pytest.mark.parametrize(
    "question",
    [
        "What is Zhongguncun known as?",
        "What is Zhongguancunn known as?",
        "zhonguancun silicon vally",
        "silicon valey of china",
    ],
)
async def test_typos_still_find_the_passage(seeded: Newsbot, question: str) -> None:
    result = await seeded.retriever.search(question)
    assert result.answered is True
    assert result.hits[0].passage_id == SILICON_VALLEY_PASSAGE


async def test_limit_and_offset_page_through_distinct_passages(seeded: Newsbot) -> None:
    everything = await seeded.retriever.search(ZHONGGUANCUN, limit=10)
    # Every passage that names Zhongguancun (the third one doesn't), best first.
    assert [h.passage_id for h in everything.hits] == [4, 1, 2]
    first = await seeded.retriever.search(ZHONGGUANCUN, limit=2)
    second = await seeded.retriever.search(ZHONGGUANCUN, limit=2, offset=2)
    assert len(second.hits) == 1
    assert [h.passage_id for h in first.hits + second.hits] == [
        h.passage_id for h in everything.hits
    ]
    beyond = await seeded.retriever.search(ZHONGGUANCUN, limit=2, offset=10)
    assert (beyond.hits, beyond.answered) == ([], False)


async def test_service_ask_uses_max_results_and_counts_questions(seeded: Newsbot) -> None:
    result = await seeded.ask(ZHONGGUANCUN)
    assert len(result.hits) == seeded.settings.max_results == 3
    await seeded.ask(UNANSWERED)
    await seeded.ask(ZHONGGUANCUN, offset=3)  # "More": not a new question
    stats = await seeded.stats()
    assert (stats.questions, stats.answered) == (2, 1)


async def test_questions_are_counted_when_the_service_closes(settings: Settings) -> None:
    async with await Newsbot.open(settings) as app:
        await app.ingestor.add_file(SEED)
        await app.ask(ZHONGGUANCUN)
        await app.ask(UNANSWERED)
    async with await Newsbot.open(settings) as again:
        stats = await again.stats()
    assert (stats.questions, stats.answered) == (2, 1)


@pytest.mark.parametrize(
    ("extracted", "questions"),
    [
        (RUSSIAN, ["Байкал", "переправы", "Когда открылась переправа через Байкал?"]),
        (CHINESE, ["硅谷", "中关村被称为什么？"]),
        (ARABIC, ["القاهرة", "معرض الكتاب", "مَعْرِض"]),
        (HINDI, ["हिंदी", "पुस्तक मेला कहाँ शुरू हुआ?"]),
    ],
    ids=["russian", "chinese", "arabic", "hindi"],
)
async def test_articles_in_other_scripts_are_found_by_their_words(
    seeded: Newsbot, extracted: ExtractedArticle, questions: list[str]
) -> None:
    added = await seeded.ingestor.add_extracted(extracted.title, extracted)
    assert (added.status, added.article_id) == ("added", 2)
    for question in questions:
        result = await seeded.retriever.search(question)
        assert result.answered is True, question
        assert result.hits[0].article_id == 2, question
        assert result.hits[0].highlights, question
        # Whole words: Indic vowel signs are combining marks, and words keep them.
        shown = {result.hits[0].passage[a:b] for a, b in result.hits[0].highlights}
        assert all(len(word) > 1 for word in shown), shown


MALEVICH = article(
    "Казимир Малевич и «Чёрный квадрат»",
    "Казимир Малевич написал «Чёрный квадрат» в 1915 году и впервые показал картину на "
    "выставке в Петрограде.\n\nСегодня она хранится в Третьяковской галерее в Москве.",
    "ru",
)


async def test_a_patronymic_the_article_omits_is_no_other_person(seeded: Newsbot) -> None:
    await seeded.ingestor.add_extracted(MALEVICH.title, MALEVICH)
    asked = await seeded.retriever.search("Когда Казимир Северинович Малевич написал картину?")
    assert asked.answered is True
    assert "1915" in asked.hits[0].passage
    # Another first name (or surname) is another person: declined, whatever the patronymic.
    other = await seeded.retriever.search("Когда Иван Северинович Малевич написал картину?")
    assert other.answered is False


async def test_a_new_retriever_loads_what_is_stored(seeded: Newsbot) -> None:
    retriever = Retriever(seeded.engine, seeded.reader)
    result = await retriever.search(ZHONGGUANCUN)
    assert result.hits[0].passage_id == SILICON_VALLEY_PASSAGE
    assert retriever.index.size == 4


# -- other processes -----------------------------------------------------------------------------


async def test_changes_by_another_process_show_after_refresh(
    seeded: Newsbot, settings: Settings
) -> None:
    assert (await seeded.retriever.search(ZHONGGUANCUN)).hits[0].article_id == 1
    other = await Newsbot.open(settings)  # its own engine and index, like another process
    try:
        added = await other.ingestor.add_extracted("volcano", article("Volcano", VOLCANO))
        assert (added.article_id, added.passages) == (2, 1)
        await other.store.remove(1)
    finally:
        await other.close()

    # Even before the index hears of it, a removed article's passages are never shown.
    stale = await seeded.retriever.search(ZHONGGUANCUN)
    assert all(hit.article_id != 1 for hit in stale.hits)

    await seeded.retriever.refresh()
    assert seeded.retriever.index.size == 1  # the volcano article's passage only
    gone = await seeded.retriever.search(ZHONGGUANCUN)
    assert (gone.answered, gone.hits) == (False, [])
    found = await seeded.retriever.search("Where did the volcano erupt?")
    assert found.hits[0].article_id == 2


async def test_an_article_added_after_removing_the_newest_is_found(seeded: Newsbot) -> None:
    second = article("Bobsleigh", "Bobsleigh teams train on the Lillehammer track in winter.")
    added = await seeded.ingestor.add_extracted("bobsleigh", second)
    assert (await seeded.retriever.search("bobsleigh lillehammer")).hits[0].article_id == 2
    await seeded.store.remove(added.article_id or 0)
    third = article("Patagonia", "Glaciers in Patagonia retreat faster than scientists expected.")
    new = await seeded.ingestor.add_extracted("patagonia", third)
    result = await seeded.retriever.search("glaciers patagonia")
    assert [hit.article_id for hit in result.hits[:1]] == [new.article_id]


async def test_a_word_the_articles_never_use_is_not_answered_through_a_look_alike(
    seeded: Newsbot,
) -> None:
    result = await seeded.retriever.search("bear")
    assert result.answered is False


# -- hostile questions ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_hostile_questions_get_a_json_answer(seeded: Newsbot, question: str) -> None:
    result = await seeded.ask(question)
    assert isinstance(result, SearchResult)
    assert len(result.hits) <= 3
    assert_json_answer(result, question)


@pytest.mark.parametrize(
    "name",
    [
        *["empty", "whitespace", "newlines", "emoji only", "stop words only", "AND", "OR", "NOT"],
        *["double quote", "star", "caret", "colon", "minus", "open paren", "close paren"],
        "combining marks only",
    ],
)
async def test_questions_without_words_are_not_answered(seeded: Newsbot, name: str) -> None:
    result = await seeded.retriever.search(HOSTILE[name])
    assert (result.answered, result.hits) == (False, [])


@pytest.mark.parametrize("name", ["html", "unbalanced quote", "caret word", "minus word"])
async def test_syntax_around_words_is_just_text(seeded: Newsbot, name: str) -> None:
    result = await seeded.retriever.search(HOSTILE[name])
    assert result.hits[0].passage_id == SILICON_VALLEY_PASSAGE


@pytest.mark.sqlite_only
@pytest.mark.parametrize("question", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_hostile_questions_never_break_fts5(seeded: Newsbot, question: str) -> None:
    async with seeded.sessions() as session:
        found = await fts_bm25(session, question, limit=5)
    assert all(isinstance(pid, int) and score > 0 for pid, score in found)
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)


@pytest.mark.sqlite_only
async def test_fts_bm25_ranks_and_quotes(seeded: Newsbot) -> None:
    async with seeded.sessions() as session:
        zhongguancun = await fts_bm25(session, "Zhongguancun", limit=5)
        silicon = await fts_bm25(session, '"Silicon Valley', limit=5)
        prefix = await fts_bm25(session, "silic*", limit=5)
        nothing = await fts_bm25(session, "what is the", limit=5)
    # Three mentions in the last passage, one in each of the first two.
    assert [pid for pid, _ in zhongguancun] == [4, 1, 2]
    assert [pid for pid, _ in silicon] == [4]
    assert prefix == []  # the star is text, not a prefix query
    assert nothing == []


def test_fts_queries_are_quoted_words() -> None:
    assert quote_fts_word('say "hi"') == '"say ""hi"""'
    assert fts_or_query('What is "Silicon" NEAR(valley) -x OR z*') == (
        '"silicon" OR "near" OR "valley" OR "x" OR "z"'
    )
    assert fts_or_query("the silicon silicon SILICON") == '"silicon"'
    assert fts_or_query("what is it?") is None
    assert fts_or_query("") is None
    assert fts_or_query("हिंदी मेला") == '"हिंदी" OR "मेला"'  # whole words, marks and all


# -- any text at all -----------------------------------------------------------------------------

FTS_SOUP = st.lists(
    st.sampled_from(['"', "*", "NEAR(", "AND", "OR", "NOT", "^", ":", "-", "(", ")", "{", "}"])
    | st.sampled_from(["silicon", "Zhongguancun", "valley", "中关村", "Байкал", "القاهرة"])
    | st.text(max_size=4),
    max_size=12,
).map(" ".join)


@pytest.mark.sqlite_only
def test_any_text_gets_a_json_answer_and_never_breaks_fts(
    tmp_path: Path, settings: Settings
) -> None:
    # Hypothesis drives a synchronous function, so this test runs its own event loop.
    with asyncio.Runner() as runner:
        app = runner.run(Newsbot.open(settings))
        try:
            added = runner.run(app.ingestor.add_file(SEED))
            assert added.status == "added"

            async def answer(question: str) -> None:
                result = await app.retriever.search(question)
                assert isinstance(result, SearchResult)
                assert_json_answer(result, question)
                async with app.sessions() as session:
                    await fts_bm25(session, question, limit=3)

            @hypothesis_settings(
                max_examples=150,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            )
            @given(st.text() | FTS_SOUP)
            def check(question: str) -> None:
                runner.run(answer(question))

            check()
        finally:
            runner.run(app.close())
