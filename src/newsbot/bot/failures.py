"""The one error handler: log with the update, tell the user, report to admins, keep running.

Admin reports go through the bot's one `AdminNotifier` (`notify.py`), which throttles them."""

from __future__ import annotations

import html
import json
import logging
import traceback

from telegram import Update
from telegram.error import NetworkError, TelegramError

from newsbot.bot.context import Context
from newsbot.bot.render import utf16_len
from newsbot.i18n import N_, _

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = N_("Sorry, something went wrong. The admins have been told.")
_REPORT_LIMIT = 3500  # leaves room for the heading within Telegram's 4,096


async def on_error(update: object, context: Context) -> None:
    """Log the exception with the update; tell the user something went wrong; tell the admins."""
    error = context.error
    if update is None and isinstance(error, NetworkError):
        # getUpdates hiccups: PTB retries by itself; no user to tell, no need to page admins.
        log.warning("network trouble while polling: %s", error)
        return
    described = json.dumps(
        update.to_dict() if isinstance(update, Update) else str(update), ensure_ascii=False
    )
    log.error("unexpected error handling update %s", described, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        await _tell(context, update.effective_chat.id, _(SOMETHING_WENT_WRONG))
    lines = traceback.format_exception(error) if error else ["(no exception)"]
    details = "".join(lines)
    while utf16_len(html.escape(details)) > _REPORT_LIMIT:  # the end of a traceback matters most
        details = details[len(details) // 4 :]
    where = ""
    if isinstance(update, Update) and update.effective_chat is not None:
        where = f" in chat {update.effective_chat.id}"
    await context.bot_data.notifier.send(f"Error{where}", f"<pre>{html.escape(details)}</pre>")


async def _tell(context: Context, chat_id: int, text: str) -> None:
    # The error handler must not fail in turn: if Telegram refuses (blocked, never started
    # the bot, the outage itself), the log line above is all we can do.
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as exc:
        log.warning("could not send the error notice to %s: %s", chat_id, exc)
