"""Buttons that page: small callback_data, with the state kept in bot_data.

Telegram allows 64 bytes of callback_data, so a "More" button carries a short random token
and a page number (`more:Xy3_a9Qk:2`); the question itself stays in `AnswerPages`, a bounded
LRU in bot_data. Tokens are random rather than counted so that a button from before a restart
can't fetch the answer to somebody else's question: it finds nothing and says so.
List pages need no state at all: `latest:3`, `articles:3`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from typing import Literal

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

ListKind = Literal["latest", "articles"]

log = logging.getLogger(__name__)
EXPIRED = "This answer has expired, ask again."

_MORE = re.compile(r"more:([A-Za-z0-9_-]{1,16}):(\d{1,4})")
MORE_PATTERN = r"^more:"
LATEST_PATTERN = r"^latest:\d{1,6}$"
ARTICLES_PATTERN = r"^articles:\d{1,6}$"


class AnswerPages:
    """The questions behind "More" buttons, by token; the newest `capacity` are kept."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._questions: OrderedDict[str, str] = OrderedDict()

    def remember(self, question: str) -> str:
        """Keep a question; returns the token for its buttons."""
        token = secrets.token_urlsafe(6)
        self._questions[token] = question
        if len(self._questions) > self.capacity:
            self._questions.popitem(last=False)
        return token

    def question(self, token: str) -> str | None:
        """The question behind a token, or None when it was forgotten."""
        question = self._questions.get(token)
        if question is not None:
            self._questions.move_to_end(token)
        return question

    def __len__(self) -> int:
        return len(self._questions)


def parse_more(data: str | None) -> tuple[str, int] | None:
    """(token, page) from a "More" button's data, or None if it isn't one."""
    match = _MORE.fullmatch(data or "")
    return (match.group(1), int(match.group(2))) if match else None


def parse_page(data: str | None) -> int:
    """The page number of a list button (`latest:3` -> 3)."""
    return int((data or "").rsplit(":", 1)[-1] or 0)


def more_keyboard(token: str, page: int) -> InlineKeyboardMarkup:
    """The "More" button that shows answer page `page` (0 is the first)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("More", callback_data=f"more:{token}:{page}")]]
    )


def list_keyboard(kind: ListKind, page: int, *, has_next: bool) -> InlineKeyboardMarkup | None:
    """Newer/Older buttons for page `page` (0 is the newest) of a list, or None if it's alone."""
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("« Newer", callback_data=f"{kind}:{page - 1}"))
    if has_next:
        buttons.append(InlineKeyboardButton("Older »", callback_data=f"{kind}:{page + 1}"))
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
