"""Questions and their answers: the reply to a question, and the buttons under it ("More",
"More from this article", 👍/👎). The conversation itself (hints, follow-ups, what "More"
shows) is the service's `newsbot.conversation`; this module only talks to Telegram.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from newsbot.bot.answer_view import answer_view, full_passages
from newsbot.bot.context import Context
from newsbot.bot.paging import (
    EXPIRED,
    answer_keyboard,
    answer_query,
    parse_answer_button,
    pressed_message,
    without_button,
)
from newsbot.bot.render import Run, pack, plain, title_runs
from newsbot.conversation.chat import Reply
from newsbot.errors import NotFound
from newsbot.i18n import N_, _, ngettext

log = logging.getLogger(__name__)

ASK_USAGE = N_("Usage: /ask &lt;question&gt;, for example: <code>/ask Who won the election?</code>")
HINT = N_(
    "Ask me a question about the news, for example: <i>Who won the election?</i> "
    "/latest shows the newest articles, /help everything else."
)
NO_MORE = N_("No more results that answer this question.")


async def ask(update: Update, context: Context) -> None:
    """/ask <question>: answer it (the way to ask in groups)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    parts = message.text.split(maxsplit=1)
    question = parts[1].strip() if len(parts) > 1 else ""
    if not question:
        await message.reply_text(_(ASK_USAGE))
        return
    await answer_question(message, question, context)


async def question(update: Update, context: Context) -> None:
    """Answer a private message, or a reply to the bot in a group."""
    message = update.effective_message
    if message is None or not (message.text or "").strip():
        return
    await answer_question(message, message.text or "", context)


async def answer_question(message: Message, text: str, context: Context) -> None:
    """A new question in the message's chat: a hint, "no good match" or the answer."""
    reply = await context.bot_data.service.conversation.reply(message.chat_id, text)
    if reply.kind == "hint":
        await message.reply_text(_(HINT))
    elif reply.kind == "no_match":
        await message.reply_text(no_match_text(reply))
    else:
        await send_answer(message, reply, first=True)


def no_good_match(known: int) -> str:
    """The plain answer when nothing matches well enough (the CLI has its own, in English:
    `newsbot.service.no_good_match`)."""
    if known == 0:
        return _(
            "I don't know any articles yet, so I can't answer that: "
            "an admin can add some with /add."
        )
    return ngettext(
        "I couldn't find that in the {count} article I know. Try other words, or see /latest.",
        "I couldn't find that in the {count} articles I know. Try other words, or see /latest.",
        known,
    ).format(count=known)


def no_match_text(reply: Reply) -> str:
    """ "I couldn't find that", with the closest article titles when any is close, and the
    question's names that none of the articles found mentions."""
    blocks = [plain(no_good_match(reply.known))]
    words = ", ".join(_("“{word}”").format(word=word) for word in reply.unmentioned)
    if reply.closest:
        header = (
            _("The closest articles I have (none mentions {words}):").format(words=words)
            if reply.unmentioned
            else _("The closest articles I have:")
        )
        block = plain(header)
        block.extend((Run("• "), *title_runs(h.title, h.url)) for h in reply.closest)
        blocks.append(block)
    elif reply.unmentioned:
        found = _("None of the articles I found mentions {words}.")
        blocks.append(plain(found.format(words=words)))
    return pack(blocks)[0]


async def send_answer(message: Message, reply: Reply, *, first: bool) -> None:
    """An answer page as one or more messages, its buttons under the last one."""
    note = (
        _("From “{title}”, the article of your last question:").format(title=reply.context_title)
        if reply.context_title
        else None
    )
    view = answer_view(reply.hits, note=note)
    token = reply.token or ""
    markup = answer_keyboard(
        token,
        next_page=reply.page + 1 if reply.has_more else None,
        full=[(group.article_id, group.title) for group in view.trimmed],
        feedback=first,
    )
    for index, chunk in enumerate(view.messages):
        buttons = markup if index == len(view.messages) - 1 else None
        # In a group the first part quotes the question (PTB's default); the rest follow it.
        if first and index == 0:
            await message.reply_text(chunk, reply_markup=buttons)
        else:
            await message.get_bot().send_message(message.chat_id, chunk, reply_markup=buttons)


async def more(update: Update, context: Context) -> None:
    """ "More": the next page of an answer, as a new message; the pressed button goes."""
    query = update.callback_query
    message = query.message if query and isinstance(query.message, Message) else None
    parsed = parse_answer_button(query.data if query else None)
    if query is None or message is None:
        return
    if pressed_message(query) is None:  # a double tap, forged data: the message stays as it is
        await answer_query(query, _(EXPIRED))
        return
    reply = None
    if parsed is not None and parsed[2].isdigit():
        reply = await context.bot_data.service.conversation.more(parsed[1], int(parsed[2]))
    if reply is None or reply.kind == "expired":
        await answer_query(query, _(EXPIRED))
        await _set_buttons(message, None)
        return
    await answer_query(query)
    # One live "More" per answer: the new page brings its own.
    await _set_buttons(message, without_button(message.reply_markup, query.data or ""))
    if reply.kind == "no_match":
        await message.get_bot().send_message(message.chat_id, _(NO_MORE))
    else:
        await send_answer(message, reply, first=False)


async def full(update: Update, context: Context) -> None:
    """ "More from this article": the answer's passages of that article, whole."""
    query = update.callback_query
    message = query.message if query and isinstance(query.message, Message) else None
    parsed = parse_answer_button(query.data if query else None)
    if query is None or message is None:
        return
    service = context.bot_data.service
    answer = await service.conversation.answer(parsed[1]) if parsed else None
    article_id = int(parsed[2]) if parsed and parsed[2].isdigit() else -1
    ids = [s.passage_id for s in answer.shown if s.article_id == article_id] if answer else []
    texts = await service.store.passages(ids)
    try:
        info = await service.store.get(article_id) if texts else None
    except NotFound:
        info = None
    if info is None:
        await answer_query(query, _(EXPIRED))
        return
    await answer_query(query)
    for chunk in full_passages(info, [texts[i] for i in ids if i in texts]):
        await message.get_bot().send_message(message.chat_id, chunk)


async def vote(update: Update, context: Context) -> None:
    """👍/👎 under an answer: one vote per user per answer."""
    query = update.callback_query
    parsed = parse_answer_button(query.data if query else None)
    if query is None:
        return
    recorded = None
    if parsed is not None and parsed[2] in ("up", "down"):
        state = context.bot_data.service.chat_state
        recorded = await state.vote(parsed[1], query.from_user.id, parsed[2] == "up")
    if recorded is None:
        await answer_query(query, _(EXPIRED))
    elif recorded:
        await answer_query(query, _("Thanks for telling me."))
    else:
        await answer_query(query, _("You already rated this answer."))


async def _set_buttons(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    if message.reply_markup is None and markup is None:
        return
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except BadRequest as exc:
        # A double tap: the first press already changed them.
        if "not modified" not in str(exc):
            raise
        log.debug("buttons of message %s already changed", message.message_id)
