"""End to end, as readers: the real Application polling the emulator, real SQLite in tmp_path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from botapi_emulator import BotAPIEmulator, inline_buttons, parse_html
from newsbot.bot.failures import SOMETHING_WENT_WRONG
from newsbot.bot.paging import EXPIRED
from tests.helpers.bot import (
    ADMIN,
    GROUP,
    READER,
    RunningBot,
    bot_on_emulator,
    hermetic,
    make_settings,
    running_bot,
)

ZHONGGUANCUN = "What is Zhongguancun known as?"


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningBot]:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path) as running:
        yield running


async def test_start_help_and_command_menus(bot: RunningBot) -> None:
    start = await bot.one("/start")
    assert start.text is not None and start.text.startswith("I answer questions")
    assert "/latest — the newest articles" in start.text and "/add" not in start.text
    admin_help = await bot.one("/help", user=ADMIN)
    assert admin_help.text is not None and "For admins\n/add <url> [<url> …]" in admin_help.text
    menus = {
        key.split("|")[0]: [c["command"] for c in value] for key, value in bot.emu.commands.items()
    }
    assert menus['{"type": "default"}'] == [
        "start",
        "help",
        "ask",
        "latest",
        "subscribe",
        "unsubscribe",
        "digest",
        "settings",
        "language",
    ]
    assert menus['{"chat_id": 11, "type": "chat"}'][-6:] == [
        "add",
        "remove",
        "articles",
        "stats",
        "feed",
        "feedback",
    ]


async def test_question_answered_under_one_header_with_the_answer_bold(bot: RunningBot) -> None:
    answer = await bot.one(ZHONGGUANCUN)
    assert answer.text is not None and answer.link_preview_disabled
    title = "Xi Jinping calls for greater international technology cooperation"
    assert answer.text.startswith(f"{title} (no link)\nMedia Inter World · 2021-09-25\n")
    # Three passages of the one article: its header once.
    assert answer.text.count(title) == 1 and answer.text.count("Media Inter World") == 1
    bold = [
        answer.text[e["offset"] : e["offset"] + e["length"]]
        for e in answer.entities
        if e["type"] == "bold"
    ]
    # The title (bold: it has no link), then the sentence that answers (the answer locator's).
    assert bold[0] == title
    assert "China’s “Silicon Valley”" in bold[1]
    assert all(b in answer.text for b in bold[1:])
    assert len(answer.text) <= 700  # one phone screen
    assert [b["text"] for b in inline_buttons(answer)] == ["More from this article", "👍", "👎"]
    assert "reply_to_message" not in answer.message  # private chats aren't quoted


async def test_more_pages_through_further_results(bot: RunningBot) -> None:
    records = [
        (
            f"https://news.example/ferry/{n}",
            f"Ferry story {n}",
            f"The ferry to Olkhon number {n} sails at dawn past the cliffs, day {n}.",
        )
        for n in range(5)
    ]
    async for _ in bot.service.ingestor.add_records(
        (f"rec{n}", {"url": u, "title": t, "text": x}) for n, (u, t, x) in enumerate(records)
    ):
        pass
    first = await bot.one("Which ferry sails to Olkhon at dawn?")
    assert first.text is not None and first.text.count("Ferry story") == 3
    [more, up, down] = inline_buttons(first)
    assert (more["text"], up["text"], down["text"]) == ("More", "👍", "👎")
    assert all(len(b["callback_data"]) <= 64 for b in (more, up, down))
    bot.emu.user_presses(first, more["callback_data"], user_id=READER)
    removed, second = await bot.emu.wait_for_messages(READER, 2)
    # The pressed "More" goes; the feedback buttons stay.
    assert removed.method == "editMessageReplyMarkup"
    assert [b["text"] for b in inline_buttons(removed)] == ["👍", "👎"]
    assert second.text is not None and second.text.count("Ferry story") == 2
    assert inline_buttons(second) == []  # five results: nothing after the second page
    shown = [
        line
        for r in (first, second)
        for line in (r.text or "").splitlines()
        if line.startswith("Ferry story")
    ]
    assert sorted(shown) == sorted(t for _, t, _ in records)
    assert bot.emu.unanswered_callback_queries == []
    # Each title links to its source.
    links = {e["url"] for e in first.entities + second.entities if e["type"] == "text_link"}
    assert links == {u for u, _, _ in records}


async def test_more_keeps_one_token_per_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path, max_results=2) as bot:
        async for _ in bot.service.ingestor.add_records(
            (f"r{n}", {"title": f"Sauna {n}", "text": f"The floating sauna number {n} opened."})
            for n in range(5)
        ):
            pass
        page = await bot.one("Where did the floating sauna open?")
        tokens = set()
        pages = [page.text]
        while more := [b for b in inline_buttons(page) if b["text"] == "More"]:
            tokens.add(more[0]["callback_data"].split(":")[1])
            bot.emu.user_presses(page, more[0]["callback_data"], user_id=READER)
            _, page = await bot.emu.wait_for_messages(READER, 2)
            pages.append(page.text)
        assert len(tokens) == 1 and len(pages) == 3, pages


async def test_no_good_match_is_declined_plainly(bot: RunningBot) -> None:
    reply = await bot.one("Who won the 1987 Tour de France cycling race?")
    assert reply.text == (
        "I couldn't find that in the 1 article I know. Try other words, or see /latest."
    )
    assert inline_buttons(reply) == []


async def test_latest_lists_newest_with_pages(bot: RunningBot) -> None:
    async for _ in bot.service.ingestor.add_records(
        (
            f"r{n}",
            {
                "url": f"https://ex.org/{n}",
                "title": f"Story <{n}> & co",
                "text": f"Body {n} text here.",
            },
        )
        for n in range(12)
    ):
        pass
    first = await bot.one("/latest")
    assert first.text is not None and first.text.splitlines()[:2] == [
        "Latest articles",
        "Story <11> & co",
    ]
    assert len(first.text.splitlines()) == 11
    assert [b["text"] for b in inline_buttons(first)] == ["Older »"]
    bot.emu.user_presses(first, "latest:1", user_id=READER)
    [older] = await bot.emu.wait_for_messages(READER)
    assert older.is_edit and older.text is not None
    assert older.text.splitlines() == [
        "Latest articles (page 2)",
        "Story <1> & co",
        "Story <0> & co",
        "Xi Jinping calls for greater international technology cooperation (no link)"
        " · Media Inter World · 2021-09-25",
    ]
    assert [b["text"] for b in inline_buttons(older)] == ["« Newer"]
    assert {e["url"] for e in older.entities if e["type"] == "text_link"} == {
        "https://ex.org/1",
        "https://ex.org/0",
    }


async def test_groups_answer_ask_and_replies_and_ignore_chatter(bot: RunningBot) -> None:
    bot.emu.group_chat(GROUP, "Readers")
    bot.emu.user_sends("lovely weather in Beijing today", user_id=READER, chat_id=GROUP)
    usage = await bot.one("/ask", chat_id=GROUP)
    assert usage.text == "Usage: /ask <question>, for example: /ask Who won the election?"
    asked = bot.emu.user_sends(
        f"/ask@newsbot_emulator_bot {ZHONGGUANCUN}", user_id=READER, chat_id=GROUP
    )
    [answer] = await bot.emu.wait_for_messages(GROUP)
    assert answer.message["reply_to_message"]["message_id"] == asked["message_id"]
    assert answer.text is not None and "Silicon Valley" in answer.text
    follow_up = await bot.one(
        "And what is it, a technology center?", chat_id=GROUP, reply_to_message_id=answer.message_id
    )
    assert follow_up.text is not None and "technology center" in follow_up.text
    refused = await bot.one("/stats", chat_id=GROUP)
    assert refused.text == "This command is for admins."
    # The sentinel: the chatter came before two questions that went through the same search and
    # were answered since, so an answer to it would be in by now.
    assert len(bot.emu.messages_in(GROUP)) == 4


HOSTILE = [
    "<b>bold</b> <script>alert('x')</script> &amp; &nbsp; <a href='javascript:x'>",
    'Zhongguancun" OR title:* NEAR(a b) AND NOT ^x -y (z',
    "Zhongguancun " + "Silicon Valley " * 266,  # 4,000 characters
    "😀🔥🇨🇳" * 30,
    "Кто такой Си Цзиньпин? 中关村是什么？ ما هو تشونغ قوان تسون؟",
    "'; DROP TABLE articles; --",
    "the of and a to in",
    "/unknown_command with args",
    "\u200b\u202e reversed",
]


async def test_hostile_messages_all_get_an_answer(bot: RunningBot) -> None:
    for text in HOSTILE:
        reply = await bot.one(text)
        assert reply.text, text
        parse_html(reply.raw_text or "")
    unknown = (await bot.one("/unknown_command")).text or ""
    assert unknown.startswith("I don't know /unknown_command. What I can do:\n\nI answer")
    assert "Silicon Valley" in ((await bot.one(ZHONGGUANCUN)).text or "")  # still fine afterwards


async def test_error_handler_tells_user_and_admins_and_bot_keeps_running(bot: RunningBot) -> None:
    bot.emu.fail_next("sendMessage", chat_id=READER, error_code=500)
    sorry = await bot.one(ZHONGGUANCUN)
    assert sorry.text == SOMETHING_WENT_WRONG
    [report] = await bot.emu.wait_for_messages(ADMIN)
    assert report.text is not None and report.text.startswith(f"Error in chat {READER}")
    assert "NetworkError" in report.text
    assert "Silicon Valley" in ((await bot.one(ZHONGGUANCUN)).text or "")


async def test_concurrent_users_and_adds_share_the_database(bot: RunningBot) -> None:
    users = list(range(1000, 1040))
    for user in users:
        bot.emu.user_sends(ZHONGGUANCUN, user_id=user)
    for n in range(5):
        bot.emu.user_sends(
            f"/add\nParallel story {n}\nA paragraph about parallel thing {n}.", user_id=ADMIN
        )
    replies = await asyncio.gather(*(bot.emu.wait_for_messages(u, timeout=20) for u in users))
    assert [r.text for [r] in replies if "Silicon Valley" not in (r.text or "")] == []
    adds = await bot.emu.wait_for_messages(ADMIN, 10, timeout=20)
    assert sum("Added #" in (r.text or "") for r in adds) == 5
    assert await bot.service.store.count() == 6
    assert all(r.text != SOMETHING_WENT_WRONG for r in bot.emu.sent)


async def test_more_works_after_a_restart_and_old_buttons_expire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    emu = BotAPIEmulator()
    await emu.start()
    settings = make_settings(tmp_path, emu, max_results=1)
    async with running_bot(emu, settings) as first_run:
        answer = await first_run.one(ZHONGGUANCUN)
        old = await first_run.one("Who spoke to the Zhongguancun Forum?")
    more = next(b for b in inline_buttons(answer) if b["text"] == "More")
    async with running_bot(emu, settings) as second_run:
        # The answer is kept in the database: another process (here, after a restart) pages it.
        emu.user_presses(answer, more["callback_data"], user_id=READER)
        edit, second = await emu.wait_for_messages(READER, 2)
        assert edit.method == "editMessageReplyMarkup"
        assert second.text is not None and "Zhongguancun" in second.text
        # An answer older than its time to live: its buttons say so, and go.
        old_more = next(b for b in inline_buttons(old) if b["text"] == "More")
        token = old_more["callback_data"].split(":")[1]
        async with second_run.service.write_engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE answers SET created_at = '2020-01-01 00:00:00' WHERE token = :t"),
                {"t": token},
            )
        emu.user_presses(old, old_more["callback_data"], user_id=READER)
        [gone] = await emu.wait_for_messages(READER)
        await emu.wait_for_call("answerCallbackQuery")
        assert gone.method == "editMessageReplyMarkup" and gone.reply_markup is None
        assert emu.callback_answers[-1]["text"] == EXPIRED
    assert emu.rejected == []
    await emu.stop()


async def _stories(bot: RunningBot, count: int) -> None:
    records = (
        (f"r{n}", {"url": f"https://ex.org/{n}", "title": f"Story {n}", "text": f"Body {n}."})
        for n in range(count)
    )
    async for _ in bot.service.ingestor.add_records(records):
        pass


async def _answer_of_press(bot: RunningBot, message: object, data: str) -> str:
    """Press a (possibly forged) button; the text of the callback answer."""
    bot.emu.user_presses(message, data, user_id=READER, forged=True)  # type: ignore[arg-type]
    await bot.emu.wait_for_call("answerCallbackQuery")
    return str(bot.emu.callback_answers[-1]["text"])


async def test_double_taps_forged_and_malformed_buttons_say_expired(bot: RunningBot) -> None:
    await _stories(bot, 12)
    first = await bot.one("/latest")
    bot.emu.user_presses(first, "latest:1", user_id=READER)
    [older] = await bot.emu.wait_for_messages(READER)
    await bot.emu.wait_for_call("answerCallbackQuery")
    edits = len(bot.emu.calls("editMessageText"))
    # The same button again (a double tap), then buttons the message never had.
    for data in ("latest:1", "latest:999999", "more:zzzz:1", "more:", "x" * 64, "é"):
        assert await _answer_of_press(bot, first, data) == EXPIRED, data
    answer = await bot.one(ZHONGGUANCUN)
    for data in ("more:forged:1", "latest:0"):
        assert await _answer_of_press(bot, answer, data) == EXPIRED, data
    assert len(bot.emu.calls("editMessageText")) == edits
    assert bot.emu.unanswered_callback_queries == []
    assert older.is_edit


async def test_latest_page_emptied_by_removals_keeps_its_way_back(bot: RunningBot) -> None:
    await _stories(bot, 12)
    first = await bot.one("/latest")
    for article_id in range(2, 14):
        await bot.service.store.remove(article_id)
    bot.emu.user_presses(first, "latest:1", user_id=READER)
    [empty] = await bot.emu.wait_for_messages(READER)
    assert empty.text == "No more articles."
    assert [b["callback_data"] for b in inline_buttons(empty)] == ["latest:0"]


async def test_an_update_ptb_cannot_parse_is_skipped_and_logged_once(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {"message_id": 999, "date": "yesterday", "text": "hi"}
    broken["chat"] = {"id": READER, "type": "private"}
    with caplog.at_level(logging.ERROR, logger="newsbot.bot.updates"):
        bot.emu.queue_raw_update("message", broken)
        answer = await bot.one(ZHONGGUANCUN)
        assert answer.text is not None and "Silicon Valley" in answer.text
    skipped = [r for r in caplog.records if r.getMessage().startswith("skipping update")]
    assert len(skipped) == 1
    assert len(bot.emu.calls("getUpdates")) < 20  # no tight loop on the same update
