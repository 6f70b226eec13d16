"""Buttons: small callback_data, the state behind it in the database.

Telegram allows 64 bytes of callback_data, so the buttons under an answer carry a short
random token and an argument (`more:Xy3_a9Qk:2`, `full:Xy3_a9Qk:17`, `vote:Xy3_a9Qk:up`); the
answer itself is kept by `newsbot.db.chat_state`, where every bot process finds it. Tokens are
random rather than counted, so a forged or expired one finds nothing and says so.
List pages need no state at all: `latest:3`, `articles:3`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Literal

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from newsbot.i18n import N_, _

ListKind = Literal["latest", "articles"]

log = logging.getLogger(__name__)
EXPIRED = N_("This answer has expired, ask again.")  # shown as _(EXPIRED)

_ANSWER_BUTTON = re.compile(r"(more|full|vote):([A-Za-z0-9_-]{1,16}):(\w{1,12})")
MORE_PATTERN = r"^more:"
FULL_PATTERN = r"^full:"
VOTE_PATTERN = r"^vote:"
FULL_LABEL = 24  # characters of an article title on its "More from" button
LATEST_PATTERN = r"^latest:\d{1,6}$"
ARTICLES_PATTERN = r"^articles:\d{1,6}$"


def parse_answer_button(data: str | None) -> tuple[str, str, str] | None:
    """(kind, token, argument) of a button under an answer, or None if it isn't one."""
    match = _ANSWER_BUTTON.fullmatch(data or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


def parse_page(data: str | None) -> int:
    """The page number of a list button (`latest:3` -> 3)."""
    return int((data or "").rsplit(":", 1)[-1] or 0)


def answer_keyboard(
    token: str,
    *,
    next_page: int | None,
    full: Sequence[tuple[int, str]] = (),
    feedback: bool = False,
) -> InlineKeyboardMarkup | None:
    """The buttons under an answer: "More from this article" for each shortened article
    (`full`: article ids and titles), then "More" (to page `next_page`) and 👍/👎."""
    rows: list[list[InlineKeyboardButton]] = []
    for article_id, title in full:
        label = _("More from this article")
        if len(full) > 1:
            short = title if len(title) <= FULL_LABEL else title[: FULL_LABEL - 1] + "…"
            label = _("More from “{title}”").format(title=short)
        rows.append([InlineKeyboardButton(label, callback_data=f"full:{token}:{article_id}")])
    last = []
    if next_page is not None:
        last.append(InlineKeyboardButton(_("More"), callback_data=f"more:{token}:{next_page}"))
    if feedback:
        last.append(InlineKeyboardButton("👍", callback_data=f"vote:{token}:up"))
        last.append(InlineKeyboardButton("👎", callback_data=f"vote:{token}:down"))
    if last:
        rows.append(last)
    return InlineKeyboardMarkup(rows) if rows else None


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The same buttons but the one carrying `data` (None when none are left)."""
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def list_keyboard(kind: ListKind, page: int, *, has_next: bool) -> InlineKeyboardMarkup | None:
    """Newer/Older buttons for page `page` (0 is the newest) of a list, or None if it's alone."""
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton(_("« Newer"), callback_data=f"{kind}:{page - 1}"))
    if has_next:
        buttons.append(InlineKeyboardButton(_("Older »"), callback_data=f"{kind}:{page + 1}"))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def pressed_message(query: CallbackQuery) -> Message | None:
    """The message whose button was pressed, if that button is still on it (else None).

    A double tap, a button from before a restart or forged callback data finds no such button:
    editing the message then would only earn "message is not modified" or worse."""
    message = query.message if isinstance(query.message, Message) else None
    markup = message.reply_markup if message is not None else None
    if markup is None:
        return None
    buttons = (button for row in markup.inline_keyboard for button in row)
    return message if any(b.callback_data == query.data for b in buttons) else None


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press; one Telegram no longer accepts (too old) is only logged."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        log.info("could not answer button press %s: %s", query.id, exc)
