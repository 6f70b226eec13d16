"""/subscribe, /unsubscribe, /digest and /settings: a chat's digest subscription."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from telegram import Update

from newsbot.bot.context import Context
from newsbot.bot.digests.render import (
    digest_messages,
    nothing_new,
    settings_text,
    subscribed_text,
    unsubscribed_text,
)
from newsbot.digest.content import build_digest, digest_since
from newsbot.digest.schedule import next_due, parse_subscribe_args
from newsbot.errors import BadSubscription

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
        await message.reply_text(html.escape(str(exc)))
        return
    digests = context.bot_data.digests
    sub = await digests.service.subscriptions.subscribe(chat.id, chat.type, local_time, timezone)
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
    """/digest: what's new since this chat's last digest (or in the last 24 hours), now."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    digests = context.bot_data.digests
    store = digests.service.subscriptions
    sub = await store.get(chat.id)
    sub = sub if sub is not None and sub.active else None
    now = digests.clock()
    since = digest_since(sub, now)
    zone = sub.zone if sub else ZoneInfo(context.bot_data.settings.timezone)
    digest = await build_digest(digests.service.articles, since, until=now)
    if digest is None:
        await message.reply_text(nothing_new(since, zone))
        return
    for part in digest_messages(digest, zone):
        await message.reply_text(part)
    if sub is not None:  # the next digest starts after this one; today's daily one still comes
        await store.record_sent(chat.id, digest.until)


async def settings_cmd(update: Update, context: Context) -> None:
    """/settings: this chat's digest time and zone, next and last digest."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    digests = context.bot_data.digests
    sub = await digests.service.subscriptions.get(chat.id)
    slot = next_due(sub, digests.clock()) if sub is not None and sub.active else None
    await message.reply_text(settings_text(sub, slot))
