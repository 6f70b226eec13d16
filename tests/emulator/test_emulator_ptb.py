"""The Telegram Bot API emulator against a real python-telegram-bot application.

A PTB Application polls the emulator as in production: echo, callback buttons, document upload
and download, injected faults and the callback data and edit checks; then the same over a
webhook, with the right secret and with a wrong one that is retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from botapi_emulator import BotAPIEmulator, inline_buttons, render_plain
from tests.helpers.emulator import bot_for, call, free_port, new_app, plain_bot, polling_bot

# ---- a real PTB application ----------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(
        f"<b>echo</b> {html.escape(update.message.text)}", parse_mode="HTML", do_quote=True
    )


async def test_ptb_polling_echo(emu: BotAPIEmulator) -> None:
    async with polling_bot(emu, MessageHandler(filters.TEXT, echo)):
        sent = emu.user_sends("hello <world> & 😀", user_id=42, reply_to_message_id=None)
        [reply] = await emu.wait_for_messages(42)
    assert reply.text == "echo hello <world> & 😀"
    assert reply.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert reply.raw_text == "<b>echo</b> hello &lt;world&gt; &amp; 😀"
    assert reply.message["reply_to_message"]["message_id"] == sent["message_id"]
    assert emu.rejected == [] and emu.pending_update_count == 0


async def test_ptb_callback_button(emu: BotAPIEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("More", callback_data="more:1")],
             [InlineKeyboardButton("Source", url="https://example.org/a")]]
        )  # fmt: skip
        await update.message.reply_text(
            'Top story: <a href="https://example.org/a">Title</a>',
            parse_mode="HTML",
            reply_markup=keyboard,
        )

    async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Loading")
        await query.edit_message_text(f"Details for {query.data}")

    handlers = (CommandHandler("start", start), CallbackQueryHandler(more))
    async with polling_bot(emu, *handlers):
        emu.user_sends("/start", user_id=9)
        [menu] = await emu.wait_for_messages(9)
        assert render_plain(menu) == (
            "Top story: Title (https://example.org/a)\n[1] More  [2] Source (https://example.org/a)"
        )
        assert [b["text"] for b in inline_buttons(menu)] == ["More", "Source"]
        emu.user_presses(menu, "more:1", user_id=9)
        [edit] = await emu.wait_for_messages(9)
        await emu.wait_for_call("answerCallbackQuery")
    assert edit.method == "editMessageText" and edit.text == "Details for more:1"
    assert edit.reply_markup is None  # editing without reply_markup drops the keyboard
    assert render_plain(edit) == "(edited) Details for more:1"
    assert emu.unanswered_callback_queries == []
    assert emu.callback_answers[0]["text"] == "Loading"
    assert emu.rejected == []
    with pytest.raises(ValueError, match="no button"):
        emu.user_presses(menu.message, "more:1", user_id=9)  # the keyboard is gone


async def test_ptb_document_upload_and_download(emu: BotAPIEmulator) -> None:
    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        file = await update.message.document.get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_document(
            bytes(data).upper(), filename="upper.txt", caption=f"{len(data)} bytes"
        )

    async with polling_bot(emu, MessageHandler(filters.Document.ALL, on_document)):
        emu.user_sends_document("notes.txt", b"news of the day", user_id=3, caption="read")
        [reply] = await emu.wait_for_messages(3)
    assert reply.method == "sendDocument" and reply.text == "15 bytes"
    assert reply.document is not None and reply.document["file_name"] == "upper.txt"
    assert emu.files[reply.document["file_id"]].content == b"NEWS OF THE DAY"
    assert [c.method for c in emu.calls("getFile")] == ["getFile"]
    assert render_plain(reply) == "[file: upper.txt]\n15 bytes"


async def test_injected_faults_reach_ptb(
    emu: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without this, PTB 22 warns (an error here) when it builds RetryAfter with an int.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emu.private_chat(7)
    emu.group_chat(-100, "Readers")
    async with plain_bot(emu) as bot:
        emu.fail_next("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(7, "hi")
        assert info.value.retry_after == dt.timedelta(seconds=3)
        await bot.send_message(7, "hi")  # the fault was used up
        emu.fail_next("sendmessage", chat_id=-100, error_code=403)
        with pytest.raises(Forbidden, match="kicked from the group chat"):
            await bot.send_message(-100, "hi")
        emu.block(7)
        for _ in range(2):
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(7, "hi")
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            button = InlineKeyboardButton("x", callback_data="é" * 33)  # 66 bytes
            await bot.send_message(-100, "hi", reply_markup=InlineKeyboardMarkup([[button]]))
    assert [r.description for r in emu.rejected] == ["Bad Request: BUTTON_DATA_INVALID"]
    assert emu.calls("sendMessage")[0].injected
    with pytest.raises(InvalidToken):
        async with bot_for(emu, token="999:WRONG"):
            pass


async def test_callback_data_limit_and_edit_checks(emu: BotAPIEmulator) -> None:
    emu.private_chat(8)
    keyboard = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    code, body = await call(emu, "sendMessage", chat_id=8, text="a", reply_markup=keyboard)
    assert (code, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    keyboard["inline_keyboard"][0][0]["callback_data"] = "d" * 64
    code, body = await call(emu, "sendMessage", chat_id=8, text="a", reply_markup=keyboard)
    assert code == 200 and body["result"]["reply_markup"] == keyboard
    message_id = body["result"]["message_id"]
    edit = {"chat_id": 8, "message_id": message_id, "text": "a", "reply_markup": keyboard}
    code, body = await call(emu, "editMessageText", **edit)
    assert code == 400 and "message is not modified" in body["description"]
    italic = {**edit, "text": "<i>a</i>", "parse_mode": "HTML"}  # same text, new entities
    code, body = await call(emu, "editMessageText", **italic)
    assert code == 200 and body["result"]["entities"][0]["type"] == "italic"
    assert (await call(emu, "editMessageText", **italic))[0] == 400
    code, body = await call(emu, "editMessageText", chat_id=8, message_id=99, text="b")
    assert body["description"] == "Bad Request: message to edit not found"
    assert len(emu.rejected) == 4


# ---- webhook ---------------------------------------------------------------------------------


async def test_webhook_delivery_to_ptb(emu: BotAPIEmulator) -> None:
    port = free_port()
    app = new_app(emu, MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret-token",
        )
        try:
            assert emu.webhook is not None and emu.webhook.secret_token == "s3cret-token"
            code, body = await call(emu, "getUpdates")
            assert code == 409 and "webhook is active" in body["description"]
            emu.user_sends("via webhook", user_id=11)
            [reply] = await emu.wait_for_messages(11)
            assert reply.text == "echo via webhook"
            assert emu.webhook.last_error_message is None
            info = (await call(emu, "getWebhookInfo"))[1]["result"]
            assert info["url"].endswith("/hook") and info["pending_update_count"] == 0
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.rejected == []


async def test_webhook_wrong_secret_is_retried() -> None:
    async with BotAPIEmulator(webhook_retry_delay=0.05) as emu:
        port = free_port()
        app = new_app(emu)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_webhook(
                listen="127.0.0.1", port=port, url_path="hook", secret_token="right"
            )
            try:
                await call(emu, "setWebhook", url=f"http://127.0.0.1:{port}/hook",
                           secret_token="wrong")  # fmt: skip
                emu.user_sends("hi", user_id=1)
                await asyncio.sleep(0.3)
                assert emu.webhook is not None
                assert "403" in (emu.webhook.last_error_message or "")
                assert emu.pending_update_count == 1  # kept for the next attempt
            finally:
                await app.updater.stop()
                await app.stop()
