"""/subscribe, /unsubscribe, /digest and /settings: a chat's digest subscription."""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.error import BadRequest

from newsbot import i18n
from newsbot.bot.context import Context
from newsbot.bot.digests.render import (
    digest_keyboard,
    digest_messages,
    nothing_new,
    settings_text,
    subscribed_text,
    unsubscribed_text,
)
from newsbot.digest.content import build_digest, digest_since
from newsbot.digest.schedule import next_due, parse_subscribe_args
from newsbot.errors import BadSubscription
from newsbot.i18n import _

DIGEST_PATTERN = r"^digest:\d{1,20}$"


def parse_digest_button(data: str | None) -> datetime | None:
    """Where the digest with this button ended, or None."""
    digits = (data or "").removeprefix("digest:")
    return datetime.fromtimestamp(int(digits) / 1_000_000, UTC) if digits.isdigit() else None


# ---- the commands -----------------------------------------------------------------------------


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe [HH:MM] [Area/City]: a daily digest at that local time (again: change it)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    settings = context.bot_data.settings
    try:
        local_time, timezone = parse_subscribe_args(
            context.args or [], settings.digest_time, settings.timezone
        )
    except BadSubscription as exc:
        await message.reply_text(html.escape(_(exc.template).format(**exc.values)))
        return
    digests = context.bot_data.digests
    sub = await digests.service.subscriptions.subscribe(
        chat.id, chat.type, local_time, timezone, language=i18n.current()
    )
    now = digests.clock()
    slot = digests.scheduler.schedule(sub, now) or next_due(sub, now)
    await message.reply_text(subscribed_text(sub, slot))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe: no more digests in this chat."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    digests = context.bot_data.digests
    was_subscribed = await digests.service.subscriptions.unsubscribe(chat.id)
    digests.scheduler.cancel(chat.id)
    await message.reply_text(unsubscribed_text(was_subscribed))


async def digest_now(update: Update, context: Context) -> None:
    """/digest (or /digest more): what's new since this chat's last digest (or in the last 24
    hours), now; when there are more than fit, the next ones are one tap away."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    await send_digest(message, chat.id, context, since=None)


async def digest_more(update: Update, context: Context) -> None:
    """The "Next" button under a digest: the articles after the last one it showed."""
    query = update.callback_query
    message = query.message if query and isinstance(query.message, Message) else None
    if query is None or message is None:
        return
    await query.answer()
    since = parse_digest_button(query.data)
    with contextlib.suppress(BadRequest):  # a double tap: the button is gone already
        await message.edit_reply_markup(reply_markup=None)
    await send_digest(message, message.chat_id, context, since=since)


async def send_digest(
    message: Message, chat_id: int, context: Context, *, since: datetime | None
) -> None:
    """The chat's digest from `since` (default: where its last digest ended)."""
    digests = context.bot_data.digests
    store = digests.service.subscriptions
    sub = await store.get(chat_id)
    sub = sub if sub is not None and sub.active else None
    now = digests.clock()
    start = digest_since(sub, now)
    since = max(since, start) if since is not None and sub is not None else since or start
    zone = sub.zone if sub else ZoneInfo(context.bot_data.settings.timezone)
    digest = await build_digest(digests.service.articles, since, until=now)
    if digest is None:
        await message.reply_text(nothing_new(since, zone))
        return
    parts = digest_messages(digest, zone)
    markup = digest_keyboard(digest.until, digest.remaining) if digest.remaining else None
    # The next digest starts after this one (today's daily one still comes). Moved before
    # sending, so a second /digest right behind this one can't show the same articles; put
    # back if the sending fails, so none is lost.
    if sub is not None:
        await store.record_sent(chat_id, digest.until)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await message.reply_text(part, reply_markup=markup if last else None)
    except BaseException:
        if sub is not None:
            await store.record_sent(chat_id, since)
        raise


async def settings_cmd(update: Update, context: Context) -> None:
    """/settings: this chat's digest time and zone, next and last digest."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    digests = context.bot_data.digests
    sub = await digests.service.subscriptions.get(chat.id)
    slot = next_due(sub, digests.clock()) if sub is not None and sub.active else None
    await message.reply_text(settings_text(sub, slot))
