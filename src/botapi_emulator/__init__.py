"""A local Telegram Bot API emulator: a real HTTP server PTB talks to via ``base_url``.

Usage::

    async with BotAPIEmulator() as emu:
        app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
               .base_file_url(emu.base_file_url).build())
        ...
        emu.user_sends("/start", user_id=1)
        [reply] = await emu.wait_for_messages(1)
"""

from __future__ import annotations

from .flood import FloodLimiter, FloodLimits
from .htmltext import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    EntityParseError,
    parse_html,
    user_entities,
    utf16_len,
)
from .records import (
    ApiError,
    CallRecord,
    RejectedCall,
    SentRecord,
    StoredFile,
    WebhookConfig,
    inline_buttons,
)
from .render import render_plain
from .server import BotAPIEmulator

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "ApiError",
    "BotAPIEmulator",
    "CallRecord",
    "EntityParseError",
    "FloodLimiter",
    "FloodLimits",
    "RejectedCall",
    "SentRecord",
    "StoredFile",
    "WebhookConfig",
    "inline_buttons",
    "parse_html",
    "render_plain",
    "user_entities",
    "utf16_len",
]
