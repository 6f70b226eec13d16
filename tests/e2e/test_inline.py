"""End to end, inline mode: `@bot question` in any chat offers the answers as results."""

from __future__ import annotations

from pathlib import Path

import pytest

from botapi_emulator import parse_html
from tests.helpers.bot import READER, bot_on_emulator, hermetic


async def test_inline_query_offers_answers_with_title_site_and_answer_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path) as bot:
        bot.emu.user_inline_query("What is Zhongguancun known as?", user_id=READER)
        await bot.emu.wait_for_call("answerInlineQuery")
        [answer] = bot.emu.inline_answers
        assert answer["results"], answer
        first = answer["results"][0]
        assert first["type"] == "article"
        assert first["title"] == "Xi Jinping calls for greater international technology cooperation"
        assert first["description"].startswith("Media Inter World · 2021-09-25 — ")
        assert "Silicon Valley" in first["description"]
        # Choosing it sends the passage under its header, as valid HTML without a preview.
        message = first["message"]["text"]
        assert message.startswith(first["title"] + " (no link)\nMedia Inter World")
        content = first["input_message_content"]
        assert content["link_preview_options"]["is_disabled"] is True
        parse_html(content["message_text"])
        # Nothing that answers, or no question at all: an empty list, still an answer.
        bot.emu.user_inline_query("Who won the 1987 Tour de France?", user_id=READER)
        bot.emu.user_inline_query("", user_id=READER, chat_type="group")
        await bot.emu.wait_for_call("answerInlineQuery")
        await bot.emu.wait_for_call("answerInlineQuery")
        assert [a["results"] for a in bot.emu.inline_answers[1:]] == [[], []]
        help_text = (await bot.one("/help")).text or ""
        assert "In any chat, type @newsbot_emulator_bot and a question" in help_text
