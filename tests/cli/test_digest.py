"""`newsbot digest [--now [--chat ID]]` against the emulator, on real SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from botapi_emulator import BotAPIEmulator
from newsbot.cli.digest import add_digest_command, cmd_digest
from newsbot.digest.subscriptions import BLOCKED, FAILED, SENT
from newsbot.errors import ConfigError
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.bot import ADMIN, make_settings
from tests.helpers.databases import BOTH
from tests.helpers.digest import add_article

BACKENDS = BOTH
DUE, LATER, BLOCKED_CHAT, BROKEN = 301, 302, 303, 304


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="newsbot")
    add_digest_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["digest", *argv])


def midday_zone(now: datetime) -> ZoneInfo:
    """A zone where it's between 02:00 and 21:00, so "an hour ago" and "in an hour" are today."""
    for name in ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"):
        if 2 <= now.astimezone(ZoneInfo(name)).hour < 21:
            return ZoneInfo(name)
    raise AssertionError("no zone at midday")


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotAPIEmulator]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with BotAPIEmulator(enforce_flood_limits=True) as emulator:
        for chat in (ADMIN, DUE, LATER, BLOCKED_CHAT, BROKEN):
            emulator.private_chat(chat)
        yield emulator


@pytest.fixture
async def settings(emu: BotAPIEmulator, tmp_path: Path, database_url: str) -> Settings:
    settings = make_settings(tmp_path, emu, database_url=database_url)
    now = datetime.now(UTC)
    zone = midday_zone(now)
    async with await Newsbot.open(settings) as service:
        await add_article(service, 1, now - timedelta(hours=3))
        store = service.subscriptions
        long_ago = now - timedelta(days=3)
        for chat, when in [
            (DUE, now - timedelta(hours=1)),
            (LATER, now + timedelta(hours=1)),
            (BLOCKED_CHAT, now - timedelta(hours=1)),
            (BROKEN, now - timedelta(hours=1)),
        ]:
            local = when.astimezone(zone).time().replace(microsecond=0)
            await store.subscribe(chat, "private", local, zone.key, now=long_ago)
    return settings


async def states(settings: Settings) -> dict[int, tuple[bool, str | None]]:
    async with await Newsbot.open(settings) as service:
        store = service.subscriptions
        found = [await store.get(chat) for chat in (DUE, LATER, BLOCKED_CHAT, BROKEN)]
        return {s.chat_id: (s.active, s.claim_state) for s in found if s is not None}


async def test_now_sends_the_due_digests_once(
    emu: BotAPIEmulator, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.block(BLOCKED_CHAT)
    emu.fail_next("sendMessage", chat_id=BROKEN, error_code=400, description="Bad Request: boom")
    assert await cmd_digest(parse("--now"), settings) == 1  # one failed
    out = capsys.readouterr().out
    assert "1 digests sent (1 messages)" in out and "1 chats blocked the bot" in out
    assert "1 failed" in out
    assert [len(emu.messages_in(c)) for c in (DUE, LATER, BLOCKED_CHAT, BROKEN)] == [1, 0, 0, 0]
    assert (emu.messages_in(DUE)[0].text or "").startswith("Your news digest: 1 new article")
    [alert] = emu.messages_in(ADMIN)  # admins hear of the failure; the subscriber doesn't
    assert (alert.text or "").startswith("Digest delivery problem\nThe digest for chat 304")
    assert "Boom" in (alert.text or "")
    assert await states(settings) == {
        DUE: (True, SENT),
        LATER: (True, None),
        BLOCKED_CHAT: (False, BLOCKED),
        BROKEN: (True, FAILED),
    }
    # Again: every due chat had today's (or failed, and admins know); nothing is sent.
    assert await cmd_digest(parse("--now"), settings) == 0
    assert "No digests due" in capsys.readouterr().out
    assert len(emu.sent) == 2
    # One chat, before its time: its digest for today, and only once.
    assert await cmd_digest(parse("--now", "--chat", str(LATER)), settings) == 0
    assert len(emu.messages_in(LATER)) == 1
    assert await cmd_digest(parse("--now", "--chat", str(LATER)), settings) == 0
    assert len(emu.messages_in(LATER)) == 1 and emu.flood_violations == 0


async def test_listing_and_usage_errors(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cmd_digest(parse(), settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "4 active subscriptions" and lines[0].startswith(f"{DUE}\tprivate\t")
    assert await cmd_digest(parse("--chat", str(DUE)), settings) == 2
    assert await cmd_digest(parse("--now", "--chat", "999"), settings) == 1
    assert "chat 999 has no subscription" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="NEWSBOT_BOT_TOKEN"):
        await cmd_digest(parse("--now"), settings.model_copy(update={"bot_token": None}))
