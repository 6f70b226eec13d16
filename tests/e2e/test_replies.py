"""End to end, a conversation: follow-ups from the last answer (across a restart), hints for
messages that aren't questions, "More" only while relevant, feedback once per user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator, inline_buttons, parse_html
from newsbot.bot.replies import HINT
from newsbot.service import Newsbot
from tests.helpers.bot import (
    ADMIN,
    READER,
    RunningBot,
    bot_on_emulator,
    hermetic,
    make_settings,
    running_bot,
)

FOOTBALL = {
    "url": "https://sport.example/mourinho-roma",
    "title": "Mourinho takes over at Roma",
    "site": "Sport Daily",
    "text": (
        "José Mourinho has joined Roma as head coach, the Italian club announced on Tuesday. "
        "The Portuguese coach signed a three-year contract with the club.\n\n"
        "Roma start the new season away at Salernitana on August 22, and the coach said he "
        "expected a hard match in the south."
    ),
}
HOCKEY = {
    "url": "https://ice.example/leafs-opener",
    "title": "Leafs open against Montreal",
    "site": "Ice Times",
    "text": (
        "Who do the Maple Leafs play first? The Leafs play Montreal first, in the season "
        "opener at home on October 13, and the team does expect a sold-out arena."
    ),
}


async def add(service: Newsbot, *records: dict[str, str]) -> None:
    async for _ in service.ingestor.add_records((r["url"], r) for r in records):
        pass


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningBot]:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path) as running:
        yield running


async def test_follow_up_is_answered_from_the_last_article_across_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as emu:
        settings = make_settings(tmp_path, emu)
        async with running_bot(emu, settings) as first_run:
            await add(first_run.service, FOOTBALL, HOCKEY)
            answer = await first_run.one("Which club did Mourinho join?")
            assert answer.text is not None and answer.text.startswith(FOOTBALL["title"])
            # Without that context, the same words find the hockey article.
            other = await first_run.one("and who does he play first?", user=ADMIN)
            assert other.text is not None and other.text.startswith(HOCKEY["title"])
        async with running_bot(emu, settings) as second_run:
            follow_up = await second_run.one("and who does he play first?")
        assert follow_up.text is not None
        assert follow_up.text.startswith(
            f"From “{FOOTBALL['title']}”, the article of your last question:\n\n{FOOTBALL['title']}"
        )
        assert "Salernitana" in follow_up.text and HOCKEY["title"] not in follow_up.text
        assert emu.rejected == []


async def test_messages_that_are_not_questions_get_a_hint(bot: RunningBot) -> None:
    for text in ["2", "ok", "thanks", "quit", "clear"]:
        reply = await bot.one(text)
        assert reply.raw_text == HINT and inline_buttons(reply) == []
    unknown = await bot.one("/frobnicate now")
    assert unknown.text is not None and "I don't know /frobnicate" in unknown.text
    assert "/latest" in unknown.text and "/ask" in unknown.text  # the help itself
    assert (await bot.service.stats()).questions == 0  # hints aren't counted as questions


async def test_more_stops_when_results_stop_being_relevant(bot: RunningBot) -> None:
    ferries = [
        {
            "url": f"https://news.example/ferry/{n}",
            "title": f"Ferry story {n}",
            "text": f"The ferry to Olkhon number {n} sails at dawn past the cliffs, day {n}.",
        }
        for n in range(4)
    ]
    # Articles that share a word or two with the question, but don't answer it.
    others = [
        {
            "url": f"https://news.example/misc/{n}",
            "title": f"Dawn chorus {n}",
            "text": f"Birdsong at dawn in the city park, part {n}, recorded by volunteers.",
        }
        for n in range(6)
    ]
    await add(bot.service, *ferries, *others)
    first = await bot.one("Which ferry sails to Olkhon at dawn?")
    more = next(b for b in inline_buttons(first) if b["text"] == "More")
    bot.emu.user_presses(first, more["callback_data"], user_id=READER)
    _, second = await bot.emu.wait_for_messages(READER, 2)
    assert second.text is not None and second.text.count("Ferry story") == 1
    assert "Dawn chorus" not in second.text
    assert inline_buttons(second) == []  # the next page would not answer: no "More"


async def test_feedback_once_per_user_and_admins_see_it(bot: RunningBot) -> None:
    answer = await bot.one("What is Zhongguancun known as?")
    down = next(b for b in inline_buttons(answer) if b["text"] == "👎")
    for user, expected in [
        (READER, "Thanks for telling me."),
        (READER, "You already rated this answer."),
    ]:
        bot.emu.user_presses(answer, down["callback_data"], user_id=user)
        await bot.emu.wait_for_call("answerCallbackQuery")
        assert bot.emu.callback_answers[-1]["text"] == expected
    up = next(b for b in inline_buttons(answer) if b["text"] == "👍")
    bot.emu.user_presses(answer, up["callback_data"], user_id=ADMIN)
    await bot.emu.wait_for_call("answerCallbackQuery")
    assert bot.emu.callback_answers[-1]["text"] == "Thanks for telling me."
    stats = await bot.one("/stats", user=ADMIN)
    assert stats.text is not None and stats.text.endswith("Feedback: 1 👍, 1 👎")
    listed = await bot.one("/feedback", user=ADMIN)
    assert listed.text is not None and listed.text.startswith("Feedback: 1 👍, 1 👎\n\nRecent 👎:")
    assert "“What is Zhongguancun known as?” (passages #" in listed.text
    parse_html(listed.raw_text or "")
    assert (await bot.one("/feedback")).text == "This command is for admins."


async def test_not_found_names_the_closest_articles_or_the_empty_database(
    bot: RunningBot,
) -> None:
    await add(bot.service, FOOTBALL, HOCKEY)
    near = await bot.one("When did Mourinho leave Tottenham for good?")
    assert near.text is not None and near.text.startswith("I couldn't find that in the 3 articles")
    # Tottenham is in none of the articles: the reply says so over the closest one.
    assert near.text.endswith(
        f"The closest articles I have (none mentions “tottenham”):\n• {FOOTBALL['title']}"
    )
    assert [e["url"] for e in near.entities if e["type"] == "text_link"] == [FOOTBALL["url"]]
    near = await bot.one("How long is Mourinho's contract with the club?")
    assert near.text is not None and "three-year contract" in near.text  # answered
    near = await bot.one("How long is Mourinho's contract at Lazio?")
    assert near.text is not None and near.text.endswith(
        f"The closest articles I have (none mentions “lazio”):\n• {FOOTBALL['title']}"
    )
    far = await bot.one("Who won the 1987 Tour de France cycling race?")
    assert far.text == (
        "I couldn't find that in the 3 articles I know. Try other words, or see /latest."
    )
    for info in await bot.service.store.newest(limit=10):
        await bot.service.store.remove(info.id)
    empty = await bot.one("Which club did Mourinho join?")
    assert empty.text == (
        "I don't know any articles yet, so I can't answer that: an admin can add some with /add."
    )


async def test_more_from_this_article_shows_its_passages_whole(bot: RunningBot) -> None:
    answer = await bot.one("What is Zhongguancun known as?")
    full = next(b for b in inline_buttons(answer) if b["text"] == "More from this article")
    assert answer.text is not None and "…" in answer.text  # the answer shows a window
    bot.emu.user_presses(answer, full["callback_data"], user_id=READER)
    [whole] = await bot.emu.wait_for_messages(READER)
    assert whole.text is not None and whole.text.startswith("Xi Jinping calls for")
    assert len(whole.text) > len(answer.text) and "…" not in whole.text
    kept = await bot.service.chat_state.answer(full["callback_data"].split(":")[1])
    assert kept is not None and len(kept.shown) == 3
    texts = await bot.service.store.passages([s.passage_id for s in kept.shown])
    flat = " ".join(whole.text.split())
    assert all(" ".join(t.split()) in flat for t in texts.values())
    assert bot.emu.unanswered_callback_queries == []
