"""End to end, the scheduled digest (sent by the JobQueue's sender, not as a reply): written in
each subscriber's language, and with the "Next" button under it when it didn't show all,
which works in a later run of the bot (the subscription in the database says where it goes
on)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator, SentRecord, inline_buttons
from newsbot.bot.app import build_application, running
from newsbot.bot.digests.jobs import Clock, Digests
from newsbot.db.models import utcnow
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.bot import ADMIN, READER, hermetic, make_settings
from tests.helpers.digest import add_article

RUSSIAN = 33


@contextlib.asynccontextmanager
async def bot_run(settings: Settings, clock: Clock = utcnow) -> AsyncIterator[Digests]:
    """One run of the bot (a process's lifetime) whose digests think it is `clock()`."""
    service = await Newsbot.open(settings)
    app = build_application(settings, service, clock=clock)
    async with running(app, poll_timeout=0.5):
        yield app.bot_data.digests


async def say(emu: BotAPIEmulator, text: str, user: int) -> str:
    emu.user_sends(text, user_id=user)
    [reply] = await emu.wait_for_messages(user, 1, timeout=10)
    return reply.text or ""


async def press(emu: BotAPIEmulator, record: SentRecord, user: int) -> SentRecord:
    """Press the one button under `record`: it goes, and the next digest comes."""
    [button] = inline_buttons(record)
    emu.user_presses(record, button["callback_data"], user_id=user)
    edit, reply = await emu.wait_for_messages(user, 2, timeout=10)
    assert edit.method == "editMessageReplyMarkup" and inline_buttons(edit) == []
    return reply


async def test_scheduled_digest_in_the_subscribers_language_with_a_next_button_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as emu:
        emu.add_user(RUSSIAN, "Иван", language_code="ru")
        for user in (ADMIN, READER, RUSSIAN):
            emu.private_chat(user)
        settings = make_settings(tmp_path, emu, timezone="UTC")
        now = datetime.now(UTC)
        async with await Newsbot.open(settings) as service:
            for n in range(25):
                await add_article(service, n, now - timedelta(hours=3, minutes=-n))
        due = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
        at = due.strftime("%H:%M")
        async with bot_run(settings):
            for user in (ADMIN, READER, RUSSIAN):
                assert (await say(emu, f"/subscribe {at} UTC", user)).startswith(
                    "Готово" if user == RUSSIAN else "Subscribed"
                )
            # An English reader's chat switched to Russian: its digests follow.
            assert (await say(emu, "/language ru", READER)).startswith("Готово")
        async with bot_run(settings, clock=lambda: due + timedelta(seconds=1)) as digests:
            assert digests.caught_up == 3  # the bot was "down" at their time
            digest = {}
            for user in (ADMIN, READER, RUSSIAN):
                [digest[user]] = await emu.wait_for_messages(user, 1, timeout=20)
            await digests.sender.join()
        english, russian = digest[ADMIN], digest[RUSSIAN]
        assert (english.text or "").startswith("Your news digest: 10 of 25 new articles since ")
        assert [b["text"] for b in inline_buttons(english)] == ["Next 10 of 15 »"]
        for chat in (READER, RUSSIAN):
            assert (digest[chat].text or "").startswith(
                "Ваша сводка новостей: 10 из 25 новых статей с "
            )
            assert (digest[chat].text or "").endswith("Ещё 15: /digest more")
            assert [b["text"] for b in inline_buttons(digest[chat])] == ["Ещё 10 из 15 »"]
        # Another run of the bot (a restart): the buttons under those digests still work.
        async with bot_run(settings):
            second = await press(emu, english, ADMIN)
            assert (second.text or "").startswith("Your news digest: 10 of 15 new articles")
            assert [b["text"] for b in inline_buttons(second)] == ["Next 5 of 5 »"]
            third = await press(emu, second, ADMIN)
            assert (third.text or "").startswith("Your news digest: 5 new articles")
            assert inline_buttons(third) == []
            assert (await say(emu, "/digest", ADMIN)).startswith("Nothing new since ")
            again = await press(emu, russian, RUSSIAN)
            assert (again.text or "").startswith("Ваша сводка новостей: 10 из 15 новых статей")
        seen = [english, second, third]
        lines = [line for record in seen for line in (record.text or "").splitlines()]
        titles = [line for line in lines if line.startswith("Story ") and "lead" not in line]
        assert sorted(titles) == sorted(f"Story {n}" for n in range(25))  # each once
        assert emu.rejected == []
