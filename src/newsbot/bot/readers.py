"""What readers can do: ask questions, page with "More", browse /latest, read /start and /help.

Handlers stay thin: they read the update, call the service layer and send what `render` made.
Anything unexpected propagates to the one error handler (`failures.py`).
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import filters

from newsbot.bot import render
from newsbot.bot.context import Context
from newsbot.bot.lists import list_page, show_page
from newsbot.bot.paging import more_keyboard, parse_more
from newsbot.service import no_good_match

log = logging.getLogger(__name__)

ASK_USAGE = "Usage: /ask &lt;question&gt;, for example: <code>/ask Who won the election?</code>"


class RepliesToBot(filters.MessageFilter):
    """Messages that reply to one of the bot's own messages (questions in groups)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        author = replied.from_user if replied else None
        return author is not None and author.id == message.get_bot().id


async def start(update: Update, context: Context) -> None:
    """Greet and show what the bot does."""
    await help_command(update, context)


async def help_command(update: Update, context: Context) -> None:
    """List every command the user may use (admins see theirs too)."""
    message = update.effective_message
    if message is None:
        return
    data = context.bot_data
    user = update.effective_user
    text = data.admin_help_text if data.is_admin(user.id if user else None) else data.help_text
    await message.reply_text(text)


async def ask(update: Update, context: Context) -> None:
    """/ask <question>: answer it (the way to ask in groups)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    parts = message.text.split(maxsplit=1)
    question = parts[1].strip() if len(parts) > 1 else ""
    if not question:
        await message.reply_text(ASK_USAGE)
        return
    await send_answer(message, question, context)


async def question(update: Update, context: Context) -> None:
    """Answer a private message, or a reply to the bot in a group."""
    message = update.effective_message
    if message is None or not (message.text or "").strip():
        return
    await send_answer(message, message.text or "", context)


async def send_answer(
    message: Message, text: str, context: Context, page: int = 0, token: str | None = None
) -> None:
    """Send answer page `page` for `text` in the message's chat, with "More" if there is more.

    `token` is the question's "More" token when paging (a new question gets one if needed).
    """
    data = context.bot_data
    per_page = data.settings.max_results
    # No cap on questions in flight: search is synchronous CPU work, and questions are counted
    # in memory, so answers no longer queue for the database (bot_load: 4 at a time gave
    # 171/s, no cap 211/s).
    result = await data.service.ask(
        text, limit=per_page + 1, offset=page * per_page, source="telegram"
    )
    if not result.answered or not result.hits:
        known = await data.service.store.count()
        no_match = f"{no_good_match(known)} /latest" if page == 0 else "No more results."
        await message.reply_text(render.answer_messages(result, no_match)[0])
        return
    shown = result.hits[:per_page]
    has_more = len(result.hits) > per_page
    chunks = render.answer_messages(replace(result, hits=shown), "")
    markup = more_keyboard(token or data.pages.remember(text), page + 1) if has_more else None
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        # In a group the first part quotes the question (PTB's default); the rest follow it.
        if page == 0 and index == 0:
            await message.reply_text(chunk, reply_markup=markup if last else None)
        else:
            await message.get_bot().send_message(
                message.chat_id, chunk, reply_markup=markup if last else None
            )


async def more(update: Update, context: Context) -> None:
    """The "More" button: the next page of an answer, as a new message."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_more(query.data)
    data = context.bot_data
    asked = data.pages.question(parsed[0]) if parsed else None
    message = query.message if isinstance(query.message, Message) else None
    if parsed is None or asked is None or message is None:
        await query.answer("This answer is too old. Please ask again.")
        if message is not None and message.reply_markup:
            await _drop_buttons(message)
        return
    await query.answer()
    # One live "More" per answer: the pressed one goes, the new page brings its own.
    await _drop_buttons(message)
    await send_answer(message, asked, context, page=parsed[1], token=parsed[0])


async def _drop_buttons(message: Message) -> None:
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:
        # A double tap: the first press already removed them.
        if "not modified" not in str(exc):
            raise
        log.debug("buttons of message %s already gone", message.message_id)


async def stale_button(update: Update, context: Context) -> None:
    """A button this bot no longer knows (from an older version): answer so it stops spinning."""
    if update.callback_query is not None:
        await update.callback_query.answer("This button no longer works.")


async def latest(update: Update, context: Context) -> None:
    """/latest: the newest articles with links, paged with buttons."""
    message = update.effective_message
    if message is None:
        return
    text, markup = await list_page(context, "latest", 0)
    await message.reply_text(text, reply_markup=markup)


async def latest_page(update: Update, context: Context) -> None:
    """Newer/Older buttons of /latest: show that page in the same message."""
    await show_page(update, context, "latest")


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot doesn't have (private chats only: in groups it may be another bot's)."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    command = (message.text or "").split(maxsplit=1)[0]
    await message.reply_text(f"I don't know {html.escape(command)}. See /help.")


async def document_hint(update: Update, context: Context) -> None:
    """A file sent privately without /add: say what to do with it."""
    message = update.effective_message
    if message is None:
        return
    user = update.effective_user
    if context.bot_data.is_admin(user.id if user else None):
        await message.reply_text("To add this file as an article, send it with the caption /add.")
    else:
        await message.reply_text("I answer questions sent as text. See /help.")
