"""What readers can do besides asking (see `replies`): browse /latest, read /start and /help.

Handlers stay thin: they read the update, call the service layer and send what `render` made.
Anything unexpected propagates to the one error handler (`failures.py`).
"""

from __future__ import annotations

import html
import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import filters

from newsbot.bot.context import Context
from newsbot.bot.lists import list_page, show_page
from newsbot.bot.paging import EXPIRED, answer_query
from newsbot.i18n import _

log = logging.getLogger(__name__)


class RepliesToBot(filters.MessageFilter):
    """Messages that reply to one of the bot's own messages (questions in groups)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        author = replied.from_user if replied else None
        return author is not None and author.id == message.get_bot().id


async def start(update: Update, context: Context) -> None:
    """Greet and show what the bot does."""
    await help_command(update, context)


def help_for(update: Update, context: Context) -> str:
    """/help for the update's user, in their language (admins see their commands too)."""
    # Imported here: the command table imports this module for its callbacks.
    from newsbot.bot.commands import help_text

    user = update.effective_user
    admin_view = context.bot_data.is_admin(user.id if user else None)
    return help_text(admin_view=admin_view, username=context.bot.username)


async def help_command(update: Update, context: Context) -> None:
    """List every command the user may use (admins see theirs too)."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(help_for(update, context))


async def stale_button(update: Update, context: Context) -> None:
    """A button this bot no longer knows (from an older version): answer so it stops spinning."""
    if update.callback_query is not None:
        await answer_query(update.callback_query, _(EXPIRED))


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
    """A command the bot doesn't have (private chats only: in groups it may be another bot's):
    say so, then the help."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    command = (message.text or "").split(maxsplit=1)[0]
    unknown = html.escape(_("I don't know {command}. What I can do:").format(command=command))
    await message.reply_text(f"{unknown}\n\n{help_for(update, context)}")


async def document_hint(update: Update, context: Context) -> None:
    """A file sent privately without /add: say what to do with it."""
    message = update.effective_message
    if message is None:
        return
    user = update.effective_user
    if context.bot_data.is_admin(user.id if user else None):
        await message.reply_text(
            _("To add this file as an article, send it with the caption /add.")
        )
    else:
        await message.reply_text(_("I answer questions sent as text. See /help."))
