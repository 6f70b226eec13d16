"""The article lists, /latest (readers) and /articles (admins, with ids): one page builder,
paged with Newer/Older buttons that edit the message in place."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from newsbot.bot import render
from newsbot.bot.context import Context
from newsbot.bot.paging import (
    EXPIRED,
    ListKind,
    answer_query,
    list_keyboard,
    parse_page,
    pressed_message,
)
from newsbot.i18n import _

LIST_PAGE = 10


def _heading(kind: ListKind, page: int) -> str:
    if kind == "articles":
        return _("Articles, newest first (page {page})").format(page=page + 1)
    return (
        _("Latest articles (page {page})").format(page=page + 1) if page else _("Latest articles")
    )


async def list_page(
    context: Context, kind: ListKind, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `page` (0 is the newest) of the list `kind`, and its buttons."""
    store = context.bot_data.service.store
    found = await store.newest(limit=LIST_PAGE + 1, offset=page * LIST_PAGE)
    if not found:
        # A page emptied by removals keeps its way back (/latest and /articles alike).
        if page:
            return _("No more articles."), list_keyboard(kind, page, has_next=False)
        if kind == "articles":
            return _("No articles yet. Add some with /add."), None
        return _("No articles yet."), None
    text = render.article_list(_heading(kind, page), found[:LIST_PAGE], with_id=kind == "articles")
    return text, list_keyboard(kind, page, has_next=len(found) > LIST_PAGE)


async def show_page(update: Update, context: Context, kind: ListKind) -> None:
    """A Newer/Older button: show that page of the list in the same message."""
    query = update.callback_query
    if query is None:
        return
    if pressed_message(query) is None:  # a double tap, an old or forged button
        await answer_query(query, _(EXPIRED))
        return
    await answer_query(query)
    text, markup = await list_page(context, kind, parse_page(query.data))
    await edit_list(update, text, markup)


async def edit_list(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Show another page of a list in the message whose button was pressed."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc):  # a double tap on the same page
            raise
