"""The Telegram Bot API emulator: HTML checks, HTTP behaviour and a real PTB bot against it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import html
import socket
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from botapi_emulator import (
    BotAPIEmulator,
    EntityParseError,
    FloodLimiter,
    FloodLimits,
    inline_buttons,
    parse_html,
    render_plain,
    user_entities,
    utf16_len,
)

# ---- helpers ---------------------------------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator


@functools.cache
def tls() -> ssl.SSLContext:
    """The clients' one TLS context: httpx would load the CA bundle again for each client
    (~50 ms of CPU), and these tests make one per call."""
    return httpx.create_ssl_context()


async def call(emu: BotAPIEmulator, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """One raw Bot API call with a JSON body."""
    async with httpx.AsyncClient(verify=tls()) as client:
        response = await client.post(f"{emu.api_url}/{method}", json=params, timeout=10)
    return response.status_code, response.json()


def bot_for(emu: BotAPIEmulator, token: str | None = None, **options: Any) -> Bot:
    """A PTB Bot on the emulator whose two requests share `tls()`."""
    return Bot(
        token or emu.token,
        base_url=emu.base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": tls()}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": tls()}),
        **options,
    )


def new_app(
    emu: BotAPIEmulator, *handlers: BaseHandler[Any, Any, Any]
) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .request(HTTPXRequest(httpx_kwargs={"verify": tls()}))
        .get_updates_request(HTTPXRequest(httpx_kwargs={"verify": tls()}))
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    return app


@contextlib.asynccontextmanager
async def polling_bot(
    emu: BotAPIEmulator, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the emulator, exactly as in production."""
    app = new_app(emu, *handlers)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=1))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@contextlib.asynccontextmanager
async def plain_bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    async with bot_for(emu, base_file_url=emu.base_file_url) as bot:
        yield bot


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- the HTML checker ------------------------------------------------------------------------


def test_html_valid_nested_tags_and_entities() -> None:
    text, entities = parse_html(
        '<b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<code>c</code> <pre><code class="language-python">p()</code></pre> '
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span> '
        "<blockquote expandable>q</blockquote><s>x</s><U>u</U> &lt;&gt;&amp;&quot;&#39;&#x1F600;"
    )
    assert text == "bold both link c p() st qxu <>&\"'😀"
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("bold", 0, 9),
        ("italic", 5, 4),
        ("text_link", 10, 4),
        ("code", 15, 1),
        ("pre", 17, 3),
        ("spoiler", 21, 1),
        ("spoiler", 22, 1),
        ("expandable_blockquote", 24, 1),
        ("strikethrough", 25, 1),
        ("underline", 26, 1),
    ]
    assert entities[2]["url"] == "https://x.org/?a=1&b=2"
    assert entities[4]["language"] == "python"
    assert "language" not in entities[3]


def test_html_utf16_offsets_and_trimming() -> None:
    text, entities = parse_html("  😀 <b>x</b>\n")
    assert text == "😀 x"
    assert entities == [{"type": "bold", "offset": 3, "length": 1}]
    assert utf16_len("😀a") == 3


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("a &nbsp; b", 'Unsupported HTML entity "&nbsp;" at byte offset 2'),
        ("&amp", 'Character "&" at byte offset 0 must be escaped'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("é<i>x</b>", "Unmatched end tag at byte offset 6"),
    ],
)
def test_html_invalid(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as info:
        parse_html(source)
    assert message in str(info.value)


def test_user_entities() -> None:
    text = "/ask@newsbot_emulator_bot 😀 see https://ex.org/a, @someone"
    entities = user_entities(text)
    assert [e["type"] for e in entities] == ["bot_command", "url", "mention"]
    assert entities[0] == {"type": "bot_command", "offset": 0, "length": 25}
    assert entities[1]["offset"] == 33 and entities[1]["length"] == len("https://ex.org/a")


# ---- raw HTTP ------------------------------------------------------------------------------


async def test_token_methods_and_encodings(emu: BotAPIEmulator) -> None:
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{emu.base_url}999:WRONG/getMe")
        assert bad.status_code == 401
        assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        missing = await client.post(f"{emu.api_url}/noSuchMethod")
        assert missing.status_code == 404
        assert missing.json()["description"] == "Not Found: method not found"
        me = await client.get(f"{emu.api_url}/GETME")
        assert me.json()["result"]["username"] == "newsbot_emulator_bot"
        emu.private_chat(5)
        # Form encoding as PTB sends it: non-strings are JSON-encoded, strings are raw.
        form = await client.post(
            f"{emu.api_url}/sendMessage",
            data={"chat_id": "5", "text": "123", "reply_markup": '{"remove_keyboard": true}'},
        )
        assert form.json()["result"]["text"] == "123"
        assert emu.sent[-1].reply_markup == {"remove_keyboard": True}
    code, body = await call(emu, "sendMessage", chat_id=404, text="x")
    assert (code, body["description"]) == (400, "Bad Request: chat not found")
    assert emu.rejected[-1].description == "Bad Request: chat not found"


async def test_send_message_checks(emu: BotAPIEmulator) -> None:
    emu.private_chat(5)
    code, body = await call(emu, "sendMessage", chat_id=5, text="😀" * 2049)
    assert (code, body["description"]) == (400, "Bad Request: message is too long")
    code, body = await call(emu, "sendMessage", chat_id=5, text="😀" * 2048)
    assert code == 200
    tagged = "<b>" + "a" * 4096 + "</b>"  # tags do not count
    assert (await call(emu, "sendMessage", chat_id=5, text=tagged, parse_mode="HTML"))[0] == 200
    code, body = await call(emu, "sendMessage", chat_id=5, text="<b> </b>", parse_mode="HTML")
    assert body["description"] == "Bad Request: message text is empty"
    code, body = await call(emu, "sendMessage", chat_id=5, text="<p>x</p>", parse_mode="HTML")
    assert body["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0'
    )
    link = {"text": "Go", "url": "javascript:alert(1)"}
    code, body = await call(
        emu, "sendMessage", chat_id=5, text="x", reply_markup={"inline_keyboard": [[link]]}
    )
    assert body["description"] == "Bad Request: BUTTON_URL_INVALID"
    code, body = await call(
        emu, "sendMessage", chat_id=5, text="x", link_preview_options={"is_disabled": True}
    )
    assert code == 200 and emu.sent[-1].link_preview_disabled
    assert len(emu.rejected) == 4


async def test_get_updates_long_polling(emu: BotAPIEmulator) -> None:
    assert await call(emu, "getUpdates", timeout=0) == (200, {"ok": True, "result": []})
    started = time.monotonic()
    poll = asyncio.create_task(call(emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    emu.user_sends("/start now", user_id=7)
    code, body = await poll
    assert code == 200 and time.monotonic() - started < 2
    [update] = body["result"]
    assert update["message"]["text"] == "/start now"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Not confirmed yet: delivered again; then offset confirms it.
    again = (await call(emu, "getUpdates", timeout=0))[1]["result"]
    assert again == [update]
    started = time.monotonic()
    empty = (await call(emu, "getUpdates", offset=update["update_id"] + 1, timeout=1))[1]
    assert empty["result"] == [] and time.monotonic() - started >= 0.9
    assert emu.pending_update_count == 0


async def test_second_poller_ends_first_with_conflict(emu: BotAPIEmulator) -> None:
    first = asyncio.create_task(call(emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    await call(emu, "getUpdates", timeout=0)
    code, body = await first
    assert code == 409 and body["description"].startswith("Conflict: terminated by other")


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


# ---- flood limits ----------------------------------------------------------------------------


def test_flood_limiter_windows() -> None:
    now = [0.0]
    limiter = FloodLimiter(FloodLimits(), clock=lambda: now[0])
    assert [limiter.check(1, True) for _ in range(3)] == [None, None, None]  # burst of 3
    assert limiter.check(1, True) == 3
    now[0] += 2.0
    assert limiter.check(1, True) == 1
    now[0] += 1.0
    for _ in range(20):  # then one per second forever is fine
        now[0] += 1.0
        assert limiter.check(1, True) is None
    assert [limiter.check(-5, False) for _ in range(20)] == [None] * 20
    now[0] += 30
    assert limiter.check(-5, False) == 30  # 20 per minute in a group
    now[0] += 100
    assert all(limiter.check(100 + i, True) is None for i in range(30))
    assert limiter.check(200, True) == 1  # 30 per second overall


async def test_flood_limits_over_http() -> None:
    async with BotAPIEmulator(enforce_flood_limits=True) as emu:
        for user_id in range(1, 32):
            emu.private_chat(user_id)
        results = await asyncio.gather(
            *(call(emu, "sendMessage", chat_id=u, text="x") for u in range(1, 32))
        )
        limited = [body for code, body in results if code == 429]
        assert limited and emu.flood_violations == len(limited)
        assert limited[0]["parameters"]["retry_after"] >= 1
        assert limited[0]["description"].startswith("Too Many Requests: retry after ")
    async with BotAPIEmulator(enforce_flood_limits=True) as emu:
        emu.private_chat(1)
        async with plain_bot(emu) as bot:
            for _ in range(3):
                await bot.send_message(1, "burst")
            for user_id in range(2, 12):
                emu.private_chat(user_id)
                await bot.send_message(user_id, "one each")
        assert emu.flood_violations == 0


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
