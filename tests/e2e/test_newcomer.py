"""End to end, what a newcomer meets: `/stats` counts the command line's questions apart from
the readers', and an article without a source link says "no link" instead of looking like a
broken link (the sample article that `make run` adds has none)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.cli import main
from tests.helpers.bot import ADMIN, RunningBot, bot_on_emulator, hermetic

ZHONGGUANCUN = "What is Zhongguancun known as?"
UNANSWERABLE = "Who won the 1987 Tour de France?"


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningBot]:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path) as running:
        monkeypatch.setenv("NEWSBOT_DATABASE_URL", running.service.settings.database_url)
        yield running


async def newsbot_cli(*args: str) -> int:
    """`newsbot ARGS` in-process, on the bot's database (main() runs its own event loop)."""
    return await asyncio.to_thread(main, list(args))


async def test_stats_counts_the_command_lines_questions_apart(
    bot: RunningBot, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot.one(ZHONGGUANCUN)
    await bot.one(UNANSWERABLE)
    assert await newsbot_cli("ask", ZHONGGUANCUN) == 0
    assert await newsbot_cli("ask", "--json", UNANSWERABLE) == 0
    capsys.readouterr()
    stats = await bot.one("/stats", user=ADMIN)
    assert stats.text is not None
    assert "Questions asked: 2 from readers (50% answered), 2 from the CLI\n" in stats.text
    assert await newsbot_cli("stats") == 0
    out = capsys.readouterr().out
    assert "questions asked: 2 from readers (50% answered), 2 from the CLI\n" in out


async def test_an_article_without_a_link_says_so(bot: RunningBot) -> None:
    sample = await bot.service.store.get(1)
    assert sample.url is None  # the seed names no source: nothing to link to
    answer = await bot.one(ZHONGGUANCUN)
    assert answer.text is not None
    title = "Xi Jinping calls for greater international technology cooperation"
    assert answer.text.startswith(f"{title} (no link)\n")
    assert [e for e in answer.entities if e["type"] == "text_link"] == []
    latest = await bot.one("/latest")
    assert latest.text is not None and f"{title} (no link)" in latest.text
