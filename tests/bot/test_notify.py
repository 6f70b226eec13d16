"""Tests for newsbot.bot.notify: the one throttled way reports reach the admins."""

from __future__ import annotations

import logging

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from botapi_emulator import BotAPIEmulator
from newsbot.bot.notify import AdminNotifier, ErrorReports
from newsbot.tls import tls_context


def test_error_reports_throttle_and_count_what_they_skip() -> None:
    reports = ErrorReports(every=3600)
    assert reports.due()
    assert not reports.due() and not reports.due()
    assert reports.take_suppressed() == 2
    assert reports.take_suppressed() == 0


def plain_bot(emu: BotAPIEmulator) -> Bot:
    """A PTB Bot on the emulator with the process's TLS context in both of its requests
    (without them, PTB's two clients load the CA bundle again: ~0.1 CPU-s a Bot)."""
    tls = {"verify": tls_context()}
    return Bot(
        emu.token,
        base_url=emu.base_url,
        request=HTTPXRequest(httpx_kwargs=tls),
        get_updates_request=HTTPXRequest(httpx_kwargs=tls),
    )


async def test_one_report_per_period_to_every_admin_in_html() -> None:
    async with BotAPIEmulator() as emu:
        for admin in (7, 3):
            emu.private_chat(admin)
        async with plain_bot(emu) as bot:
            notifier = AdminNotifier(bot, [7, 3], every=3600)
            await notifier.send("Trouble <in> chat", "<i>first</i> &amp; more")
            await notifier.send("Trouble", "second")  # too soon: dropped, counted
            await notifier.send("Trouble", "third")
            notifier.reports.every = 0.0
            await notifier.alert("Digest delivery problem")("a <plain> text")
        assert [r.chat_id for r in emu.sent] == [3, 7, 3, 7]  # admins in id order
        first, last = emu.messages_in(3)
        assert first.text == "Trouble <in> chat\nfirst & more"
        assert last.text == "Digest delivery problem (2 more since the last report)\na <plain> text"
        assert emu.rejected == []


async def test_an_admin_telegram_refuses_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with BotAPIEmulator() as emu:
        emu.private_chat(5)
        emu.private_chat(9)
        emu.block(5)
        async with plain_bot(emu) as bot:
            with caplog.at_level(logging.WARNING, logger="newsbot.bot.notify"):
                await AdminNotifier(bot, [5, 9]).send("Trouble", "body")
        assert [r.chat_id for r in emu.sent] == [9]
        assert "could not send the admin report to 5" in caplog.text


async def test_notices_the_throttle_holds_go_out_together_once_it_allows() -> None:
    async with BotAPIEmulator() as emu:
        emu.private_chat(3)
        async with plain_bot(emu) as bot:
            notifier = AdminNotifier(bot, [3], every=1.0)
            await notifier.send("Trouble", "an error")  # the throttle's period starts
            await notifier.notice("Feed #1 (A &amp; B) is paused")  # too soon: held, not dropped
            await notifier.notice("Feed #2 (C) is paused")
            [report] = await emu.wait_for_messages(3)
            assert report.text == "Trouble\nan error"
            [together] = await emu.wait_for_messages(3, timeout=10)
            assert together.text == "Feed #1 (A & B) is paused\n\nFeed #2 (C) is paused"
            # The notices took the period: an error now is dropped and counted, as ever.
            await notifier.send("Trouble", "dropped")
            await notifier.close()
        assert len(emu.messages_in(3)) == 2
        assert notifier.reports.take_suppressed() == 1
        assert emu.rejected == []


async def test_close_sends_what_is_held_and_nothing_is_lost() -> None:
    async with BotAPIEmulator() as emu:
        emu.private_chat(3)
        async with plain_bot(emu) as bot:
            notifier = AdminNotifier(bot, [3], every=3600)
            await notifier.notice("first")  # sent at once
            for n in range(400):  # held: more than one message holds
                await notifier.notice(f"Feed #{n} (a feed with a long enough name) is paused")
            await notifier.close()
        texts = [m.text or "" for m in emu.messages_in(3)]
        assert texts[0] == "first" and len(texts) > 2
        held = "\n\n".join(texts[1:]).split("\n\n")
        assert held == [f"Feed #{n} (a feed with a long enough name) is paused" for n in range(400)]
        assert all(len(text) <= 4096 for text in texts)
        assert emu.rejected == []
