"""Inline mode: `@bot question` in any chat offers the answers as results to share there."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from newsbot.bot.answer_view import answer_span, answer_view
from newsbot.bot.context import Context
from newsbot.bot.render import day
from newsbot.i18n import _
from newsbot.search.retriever import Hit

RESULTS = 5
CACHE_SECONDS = 60  # Telegram may reuse an answer for the same query this long
DESCRIPTION = 200


def description(hit: Hit) -> str:
    """The line under a result's title: site, date and the sentence that answers."""
    span = answer_span(hit)
    sentence = hit.passage[span[0] : span[1]] if span else hit.passage
    sentence = " ".join(sentence.split())
    if len(sentence) > DESCRIPTION:
        sentence = sentence[: DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    meta = " · ".join(part for part in (hit.site, day(hit.published)) if part)
    return f"{meta} — {sentence}" if meta else sentence


def result(hit: Hit) -> InlineQueryResultArticle:
    """One answer as an inline result: choosing it sends the passage under its header."""
    return InlineQueryResultArticle(
        id=str(hit.passage_id),
        title=hit.title.strip() or _("Untitled"),
        description=description(hit),
        url=hit.url,
        input_message_content=InputTextMessageContent(
            answer_view([hit]).messages[0],
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )


async def inline_query(update: Update, context: Context) -> None:
    """Answer `@bot question` with the passages that answer it (none: an empty list)."""
    query = update.inline_query
    if query is None:
        return
    hits: list[Hit] = []
    if query.query.strip():
        service = context.bot_data.service
        found = await service.retriever.search(query.query, limit=RESULTS)
        if not found.not_a_question:
            await service.count_question(found.answered, "inline")
        hits = found.relevant()[:RESULTS]
    await query.answer([result(hit) for hit in hits], cache_time=CACHE_SECONDS, is_personal=False)
