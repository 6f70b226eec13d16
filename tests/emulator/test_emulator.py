"""The Telegram Bot API emulator on its own: HTML checks, raw HTTP and flood limits.

The HTML checker (nesting, entities, UTF-16 offsets, what Telegram refuses) and user entities
are tested as functions; tokens, encodings, sendMessage's checks and long polling through raw
HTTP calls; the flood limiter's windows directly and over HTTP.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from botapi_emulator import (
    BotAPIEmulator,
    EntityParseError,
    FloodLimiter,
    FloodLimits,
    parse_html,
    user_entities,
    utf16_len,
)
from tests.helpers.emulator import call, plain_bot

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
