"""The Telegram Bot API emulator's scripted users and chats.

Group privacy and members, a delay and a stop while a long poll is pending, answerInlineQuery
checked as Telegram does, and the latest message that still has buttons.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from botapi_emulator import BotAPIEmulator
from tests.helpers.emulator import bot_for, call, plain_bot

# ---- scripted users ------------------------------------------------------------------------


async def test_group_privacy_and_members() -> None:
    async with BotAPIEmulator(group_privacy=True) as emu:
        emu.add_user(1, "Ann", "ann")
        emu.group_chat(-42, "Club", admins=[1])
        emu.user_sends("just chatting", user_id=2, chat_id=-42)
        emu.user_sends("/ask@newsbot_emulator_bot what?", user_id=2, chat_id=-42)
        body = (await call(emu, "getUpdates"))[1]
        assert [u["message"]["text"][:4] for u in body["result"]] == ["/ask"]
        member = (await call(emu, "getChatMember", chat_id=-42, user_id=1))[1]["result"]
        assert member["status"] == "administrator"
        async with plain_bot(emu) as bot:
            admins = await bot.get_chat_administrators(-42)
            chat = await bot.get_chat(-42)
        assert [a.user.id for a in admins] == [1] and chat.title == "Club"


async def test_delay_and_stop_with_a_pending_long_poll() -> None:
    emu = BotAPIEmulator()
    await emu.start()
    emu.delay_next("getme", 0.3)
    started = time.monotonic()
    assert (await call(emu, "getMe"))[0] == 200
    assert time.monotonic() - started >= 0.3
    poll = asyncio.create_task(call(emu, "getUpdates", timeout=30))
    await emu.wait_for_inflight()  # the poll is held by the emulator, not still in transit
    started = time.monotonic()
    await emu.stop()
    assert await poll == (200, {"ok": True, "result": []})  # released, not hung
    assert time.monotonic() - started < 2


async def test_answer_inline_query_is_checked_like_telegram() -> None:
    async with BotAPIEmulator() as emu, httpx.AsyncClient() as http:
        url = f"{emu.base_url}{emu.token}/answerInlineQuery"
        query = emu.user_inline_query("ferry", user_id=1)
        good = {
            "type": "article",
            "id": "1",
            "title": "Ferry",
            "input_message_content": {"message_text": "<b>ok</b>", "parse_mode": "HTML"},
        }
        bad_html = {
            **good,
            "id": "2",
            "input_message_content": {"message_text": "<b>no", "parse_mode": "HTML"},
        }
        for results, error in [
            ([good, good], "RESULT_ID_DUPLICATE"),
            ([bad_html], "can't parse entities"),
            ([{**good, "title": ""}], "RESULT_TITLE_EMPTY"),
        ]:
            reply = await http.post(url, json={"inline_query_id": query["id"], "results": results})
            assert reply.status_code == 400 and error in reply.json()["description"]
        ok = await http.post(url, json={"inline_query_id": query["id"], "results": [good]})
        assert ok.json() == {"ok": True, "result": True}
        [answer] = emu.inline_answers
        assert answer["results"][0]["message"]["text"] == "ok"
        again = await http.post(url, json={"inline_query_id": query["id"], "results": []})
        assert again.status_code == 400  # each query is answered once


async def test_latest_with_buttons_is_the_newest_message_that_still_has_them(
    emu: BotAPIEmulator,
) -> None:
    emu.private_chat(5)
    more = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    async with bot_for(emu) as bot:
        assert emu.latest_with_buttons(5) is None
        first = await bot.send_message(5, "first", reply_markup=more)
        second = await bot.send_message(5, "second", reply_markup=more)
        await bot.send_message(5, "no buttons")
        latest = emu.latest_with_buttons(5)
        assert latest is not None and latest["message_id"] == second.message_id
        await bot.edit_message_reply_markup(5, second.message_id, reply_markup=None)
        latest = emu.latest_with_buttons(5)  # the edit took them off: the older one is next
        assert latest is not None and latest["message_id"] == first.message_id
    assert emu.latest_with_buttons(6) is None
    assert emu.rejected == []
