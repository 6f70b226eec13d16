"""The reader's language: chosen for every update before any handler answers it, and /language.

A chat that chose a language with /language gets it (stored in the database, so every replica
and restart knows it); otherwise each reader gets the language of their Telegram app
(`language_code`), English when it's one we don't speak. A subscription's digests follow:
written in the subscriber's language when they subscribed, then in the chat's /language.
"""

from __future__ import annotations

import html

from telegram import Update

from newsbot import i18n
from newsbot.bot.context import Context
from newsbot.i18n import _

AUTO = "auto"


def telegram_language(update: Update) -> str:
    """The language of the update's user's Telegram app, if we speak it (else English)."""
    user = update.effective_user
    return i18n.language_for(user.language_code if user else None)


async def reader_language(update: object, context: Context) -> None:
    """Before every handler: speak the chat's chosen language, else the reader's own."""
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    chosen = await context.bot_data.service.languages.get(chat.id) if chat else None
    i18n.activate(chosen or telegram_language(update))


def _choices() -> str:
    options = ", ".join(f"/language {code} ({name})" for code, name in i18n.LANGUAGES.items())
    return _("Choose one: {options}; /language auto follows your Telegram app.").format(
        options=options
    )


async def language(update: Update, context: Context) -> None:
    """/language [en|ru|auto]: the language this chat is answered in."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    args = context.args or []
    if not args:
        name = i18n.LANGUAGES[i18n.current()]
        text = _("I speak {language} here.").format(language=name) + " " + _choices()
        await message.reply_text(html.escape(text))
        return
    wanted = args[0].strip().lower()
    chosen = i18n.supported(wanted)
    if chosen is None and wanted != AUTO:
        text = _("I don't speak “{language}”.").format(language=args[0]) + " " + _choices()
        await message.reply_text(html.escape(text))
        return
    service = context.bot_data.service
    await service.languages.choose(chat.id, chosen)
    spoken = chosen or telegram_language(update)
    await service.subscriptions.set_language(chat.id, spoken)
    i18n.activate(spoken)
    if chosen is None:
        text = _("Done: I follow your Telegram app's language here ({language}).")
    else:
        text = _("Done: I speak {language} here now.")
    await message.reply_text(html.escape(text.format(language=i18n.LANGUAGES[spoken])))
