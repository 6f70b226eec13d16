"""Two `newsbot run --webhook-url` processes on one PostgreSQL database against the Bot API
emulator, the test playing the load balancer (it points the emulator's webhook at one replica
or the other): a "More" pressed on B for A's answer, a follow-up asked of B after A's answer,
and an article an admin adds through A found by B at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from botapi_emulator import BotAPIEmulator, SentRecord, inline_buttons
from newsbot.db.chat_state import FLUSH_DELAY
from newsbot.service import Newsbot
from tests.e2e.test_replicas import replica, wait_for_line
from tests.e2e.test_replies import FOOTBALL, HOCKEY, add
from tests.helpers.bot import ADMIN, READER, make_settings
from tests.helpers.databases import POSTGRESQL
from tests.helpers.emulator import free_port

BACKENDS = (POSTGRESQL,)
FERRIES = [
    {
        "url": f"https://news.example/ferry/{n}",
        "title": f"Ferry story {n}",
        "text": f"The ferry to Olkhon number {n} sails at dawn past the cliffs, day {n}.",
    }
    for n in range(4)
]


@contextlib.contextmanager
def served_by(log: Path) -> Iterator[None]:
    """The block's updates were POSTed to the replica that writes `log` (tornado's access
    log), and only to it: the emulator posts each update to one URL."""
    before = log.read_text().count("POST /telegram")
    yield
    assert log.read_text().count("POST /telegram") > before


@dataclass
class Replicas:
    """The emulator and the two replicas' webhook URLs and logs: `to(0)` sends the next
    updates to A, `to(1)` to B (what a load balancer decides)."""

    emu: BotAPIEmulator
    urls: list[str]
    logs: list[Path]

    async def newest_indexed(self, which: int) -> int:
        """The newest passage in the replica's search index, as its /metrics says."""
        base = self.urls[which].rsplit("/", 1)[0]
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"{base}/metrics")).text
        [line] = [x for x in body.splitlines() if x.startswith("newsbot_index_newest_passage ")]
        return int(float(line.split()[1]))

    def to(self, which: int) -> None:
        assert self.emu.webhook is not None
        self.emu.webhook.url = self.urls[which]

    async def reply(self, text: str, user: int = READER) -> SentRecord:
        self.emu.user_sends(text, user_id=user)
        [reply] = await self.emu.wait_for_messages(user, 1, timeout=30)
        return reply


async def a_reader_pause() -> None:
    """What a reader takes at least before pressing a button or asking on: answers are written
    behind, `FLUSH_DELAY` after they are sent (newsbot.db.chat_state)."""
    await asyncio.sleep(10 * FLUSH_DELAY)


async def more_on_b_for_an_answer_of_a(bot: Replicas) -> None:
    bot.to(0)
    first = await bot.reply("Which ferry sails to Olkhon at dawn?")
    assert first.text is not None and "Ferry story" in first.text
    more = next(btn for btn in inline_buttons(first) if btn["text"] == "More")
    await a_reader_pause()
    bot.to(1)
    with served_by(bot.logs[1]):
        bot.emu.user_presses(first, more["callback_data"], user_id=READER)
        removed, second = await bot.emu.wait_for_messages(READER, 2, timeout=30)
    assert bot.emu.unanswered_callback_queries == []
    assert removed.method == "editMessageReplyMarkup"  # the pressed "More" goes
    assert second.text is not None and "Ferry story" in second.text
    shown = {line for line in first.text.splitlines() if "Ferry story" in line}
    assert not shown & set(second.text.splitlines())  # the next page, not the first


async def follow_up_on_b_after_an_answer_of_a(bot: Replicas) -> None:
    bot.to(0)
    answer = await bot.reply("Which club did Mourinho join?")
    assert answer.text is not None and answer.text.startswith(FOOTBALL["title"])
    await a_reader_pause()
    bot.to(1)
    with served_by(bot.logs[1]):
        follow_up = await bot.reply("and who does he play first?")
    assert follow_up.text is not None
    assert follow_up.text.startswith(
        f"From “{FOOTBALL['title']}”, the article of your last question"
    )
    assert HOCKEY["title"] not in follow_up.text


async def article_added_through_a_found_by_b(bot: Replicas) -> tuple[float, float]:
    """How long after A said "Added" B's index held the new article (nobody asking B: the
    NOTIFY woke it), and B answered from it."""
    before = await bot.newest_indexed(1)
    bot.to(0)
    title = "Geysir erupts twice in one afternoon"
    added = await bot.reply(
        f"/add\n{title}\nThe old Geysir in Haukadalur erupted twice on Sunday afternoon, "
        "sending water forty metres high for the first time in years.",
        user=ADMIN,
    )
    assert added.text == "Adding the pasted article…"
    [report] = await bot.emu.wait_for_messages(ADMIN, 1, timeout=60)  # the progress, edited
    assert report.text is not None and report.text.startswith("Added #"), report.text
    added_at = time.monotonic()
    while await bot.newest_indexed(1) == before:
        assert time.monotonic() - added_at < 1.0, "B's index didn't catch up within a second"
        await asyncio.sleep(0.01)
    indexed = time.monotonic() - added_at
    bot.to(1)
    with served_by(bot.logs[1]):
        found = await bot.reply("How high did the Geysir in Haukadalur erupt?")
    delay = time.monotonic() - added_at
    assert found.text is not None and found.text.startswith(title), found.text
    return indexed, delay


async def test_buttons_follow_ups_and_new_articles_work_across_webhook_replicas(
    tmp_path: Path, database_url: str
) -> None:
    async with BotAPIEmulator() as emu:
        emu.private_chat(READER)
        emu.private_chat(ADMIN)
        settings = make_settings(tmp_path, emu, database_url=database_url)
        async with await Newsbot.open(settings) as service:
            await add(service, *FERRIES, FOOTBALL, HOCKEY)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")},
            "NEWSBOT_BOT_TOKEN": emu.token,
            "NEWSBOT_API_BASE_URL": emu.base_url,
            "NEWSBOT_DATABASE_URL": database_url,
            "NEWSBOT_ADMIN_IDS": str(ADMIN),
            "PTB_TIMEDELTA": "1",
        }
        ports = [free_port(), free_port()]
        bot = Replicas(
            emu,
            [f"http://127.0.0.1:{port}/telegram" for port in ports],
            [tmp_path / "a.log", tmp_path / "b.log"],
        )
        hook = ["--listen", "127.0.0.1", "--webhook-url"]
        async with (
            replica(env, bot.logs[0], *hook, bot.urls[0], "--port", str(ports[0])),
            replica(env, bot.logs[1], *hook, bot.urls[1], "--port", str(ports[1])),
        ):
            for log in bot.logs:
                await wait_for_line(log, "newsbot is running", within=60)
            await more_on_b_for_an_answer_of_a(bot)
            await follow_up_on_b_after_an_answer_of_a(bot)
            indexed, answered = await article_added_through_a_found_by_b(bot)
            async with httpx.AsyncClient() as client:
                for port in ports:
                    ready = await client.get(f"http://127.0.0.1:{port}/readyz")
                    assert ready.status_code == 200, ready.text
        print(
            f"an article added through A: in B's index {indexed * 1000:.0f} ms later, "
            f"answered by B {answered * 1000:.0f} ms later"
        )
        assert emu.rejected == []
