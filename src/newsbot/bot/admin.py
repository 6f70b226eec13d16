"""What admins can do: /add (URLs, an uploaded file, pasted text), /remove, /articles, /stats.

Who is an admin is decided once, at registration (`filters.User` in app.py); the callbacks
here only double-check where Telegram gives no filter (callback buttons).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import AsyncIterator

from telegram import Message, Update
from telegram.constants import ChatAction

from newsbot.bot import render
from newsbot.bot.context import Context
from newsbot.bot.lists import list_page, show_page
from newsbot.errors import NewsbotError, NotFound
from newsbot.ingest.pipeline import IngestResult, extract_upload

FOR_ADMINS = "This command is for admins."
ADD_USAGE = (
    "Usage: /add &lt;url&gt; [&lt;url&gt; …]\n"
    "or /add followed by the article's text on the next lines (the first line is the title)\n"
    "or send an .html, .txt or .md file with the caption /add"
)
REMOVE_USAGE = "Usage: /remove &lt;id&gt; (the ids are in /articles)"
ARTICLES_USAGE = "Usage: /articles [page], for example /articles 2"
MAX_URLS = 10
MAX_UPLOAD = 5 * 1024 * 1024  # the same 5 MB as a fetched page
TYPING_EVERY = 4.0  # seconds; Telegram shows "typing…" for about 5
_CAPTION_ADD = re.compile(r"/add(?:@(\w+))?(?:\s+(\S+))?", re.IGNORECASE)


@contextlib.asynccontextmanager
async def typing(message: Message) -> AsyncIterator[None]:
    """Show "typing…" in the message's chat until the block ends."""

    async def keep_typing() -> None:
        while True:
            await message.get_bot().send_chat_action(message.chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def report(progress: Message, results: list[IngestResult]) -> None:
    """Turn the progress message into the results (more messages if they don't fit in one)."""
    chunks = render.pack(render.ingest_report(result) for result in results)
    await progress.edit_text(chunks[0])
    for chunk in chunks[1:]:
        await progress.reply_text(chunk, do_quote=False)


async def add(update: Update, context: Context) -> None:
    """/add <url> [<url> ...], or /add and the article's text on the next lines."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    first_line, _, rest = message.text.partition("\n")
    words = first_line.split()[1:]
    pasted = rest.strip()
    if not words and not pasted:
        await message.reply_text(ADD_USAGE)
        return
    if not pasted and len(words) > MAX_URLS:
        await message.reply_text(f"At most {MAX_URLS} URLs at a time, please.")
        return
    ingestor = context.bot_data.service.ingestor
    async with typing(message):
        if pasted:
            progress = await message.reply_text("Adding the pasted article…")
            # A URL on the /add line is the pasted article's source link.
            results = [await ingestor.add_text(pasted, url=words[0] if words else None)]
        else:
            what = html.escape(words[0]) if len(words) == 1 else f"{len(words)} pages"
            progress = await message.reply_text(f"Fetching {what}…")
            results = [await ingestor.add_url(url) for url in words]
    await report(progress, results)


async def add_document(update: Update, context: Context) -> None:
    """An uploaded .html/.txt/.md file with the caption /add [source url]."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    match = _CAPTION_ADD.match(message.caption or "")
    mentioned = match.group(1) if match else None
    if match is None or (mentioned and mentioned.lower() != (context.bot.username or "").lower()):
        return  # a caption for another bot
    document = message.document
    name = document.file_name or "upload.txt"
    if (document.file_size or 0) > MAX_UPLOAD:
        await message.reply_text(f"{html.escape(name)} is over the 5 MB limit.")
        return
    async with typing(message):
        progress = await message.reply_text(f"Reading {html.escape(name)}…")
        data = bytes(await (await document.get_file()).download_as_bytearray())
        try:
            article = await asyncio.to_thread(extract_upload, name, data, match.group(2))
        except NewsbotError as exc:
            result = IngestResult.failed(name, str(exc))
        else:
            result = await context.bot_data.service.ingestor.add_extracted(name, article)
    await report(progress, [result])


async def remove(update: Update, context: Context) -> None:
    """/remove <id>: delete an article and its passages."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    article_id = args[0].lstrip("#") if len(args) == 1 else ""
    if not article_id.isdigit():
        await message.reply_text(REMOVE_USAGE)
        return
    try:
        info = await context.bot_data.service.store.remove(int(article_id))
    except NotFound as exc:
        await message.reply_text(html.escape(str(exc)))
        return
    await message.reply_text(f"Removed #{info.id}: {html.escape(info.title)}")


async def articles(update: Update, context: Context) -> None:
    """/articles [page]: ids, titles and dates, newest first."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    if len(args) > 1 or (args and not (args[0].isdigit() and int(args[0]) >= 1)):
        await message.reply_text(ARTICLES_USAGE)
        return
    page = int(args[0]) - 1 if args else 0
    text, markup = await list_page(context, "articles", page)
    await message.reply_text(text, reply_markup=markup)


async def articles_page(update: Update, context: Context) -> None:
    """Newer/Older buttons of /articles (admins only, checked here: buttons have no filters)."""
    query = update.callback_query
    if query is None:
        return
    if not context.bot_data.is_admin(query.from_user.id):
        await query.answer(FOR_ADMINS, show_alert=True)
        return
    await show_page(update, context, "articles")


async def stats(update: Update, context: Context) -> None:
    """/stats: articles, passages, subscribers, questions and the share answered."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(render.stats_text(await context.bot_data.service.stats()))


async def admins_only(update: Update, context: Context) -> None:
    """An admin command from someone else: say so, change nothing."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(FOR_ADMINS)
