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
from newsbot.bot.lists import LIST_PAGE, list_page, show_page
from newsbot.bot.paging import answer_query
from newsbot.errors import NotFound
from newsbot.i18n import N_, gettext
from newsbot.ingest.pipeline import IngestResult

FEEDBACK_SHOWN = 10  # the newest 👎 that /feedback lists

FOR_ADMINS = N_("This command is for admins.")  # readers see it in their language
ADD_USAGE = (
    "Usage: /add &lt;url&gt; [&lt;url&gt; …]\n"
    "or /add followed by the article's text on the next lines (the first line is the title)\n"
    "or send an .html, .txt or .md file with the caption /add"
)
REMOVE_USAGE = "Usage: /remove &lt;id&gt; (the ids are in /articles)"
ARTICLES_USAGE = "Usage: /articles [page], for example /articles 2"
MAX_URLS = 10
MAX_URL_LENGTH = 2_000  # browsers and servers stop at about this; Telegram messages at 4,096
MAX_ID = 2**63 - 1  # SQLite's largest integer: no article has a larger id
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
    if words and not any(_looks_like_url(word) for word in words):
        if not pasted:  # "/add My title": words, not URLs, and nothing pasted below them
            await message.reply_text(f"“{html.escape(' '.join(words))}” is not a URL.\n{ADD_USAGE}")
            return
        # "/add My title" with the text below: the words are the title line.
        pasted, words = f"{' '.join(words)}\n{pasted}", []
    if not pasted and len(words) > MAX_URLS:
        await message.reply_text(f"At most {MAX_URLS} URLs at a time, please.")
        return
    if any(len(word) > MAX_URL_LENGTH for word in words):
        longest = max(len(word) for word in words)
        await message.reply_text(
            f"Not added: that URL is {longest:,} characters long; at most {MAX_URL_LENGTH:,}."
        )
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


_URLISH = re.compile(r"[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?")


# Schemes that are links but not web pages: meant as a source link, so refused as one (never
# stored as a title that a reader might mistake for a link).
_OTHER_SCHEME = re.compile(r"(?i)(javascript|data|vbscript|file|ftp|mailto|tel|about|blob):\S+")


def _looks_like_url(word: str) -> bool:
    """A word meant as a URL: with a scheme, or a bare host like example.org/page."""
    return (
        "://" in word
        or _URLISH.fullmatch(word) is not None
        or _OTHER_SCHEME.fullmatch(word) is not None
    )


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
        file = await document.get_file()
        # The declared sizes may be missing: the bytes downloaded are what counts.
        data = (
            b"" if (file.file_size or 0) > MAX_UPLOAD else bytes(await file.download_as_bytearray())
        )
        if not data or len(data) > MAX_UPLOAD:
            problem = "is empty" if not data and not file.file_size else "is over the 5 MB limit"
            result = IngestResult.failed(name, f"{name} {problem}")
        else:
            ingestor = context.bot_data.service.ingestor
            result = await ingestor.add_upload(name, data, match.group(2))
    await report(progress, [result])


async def remove(update: Update, context: Context) -> None:
    """/remove <id>: delete an article and its passages."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    article_id = args[0].lstrip("#") if len(args) == 1 else ""
    if not (article_id.isdecimal() and article_id.isascii()):
        await message.reply_text(REMOVE_USAGE)
        return
    if int(article_id) > MAX_ID:
        await message.reply_text(f"There is no article with id {article_id}.")
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
    valid = not args or (args[0].isdecimal() and args[0].isascii() and int(args[0]) >= 1)
    if len(args) > 1 or not valid:
        await message.reply_text(ARTICLES_USAGE)
        return
    # A page past any possible one is just empty (and SQLite can't take such an offset).
    page = min(int(args[0]) - 1, MAX_ID // LIST_PAGE - 1) if args else 0
    text, markup = await list_page(context, "articles", page)
    await message.reply_text(text, reply_markup=markup)


async def articles_page(update: Update, context: Context) -> None:
    """Newer/Older buttons of /articles (admins only, checked here: buttons have no filters)."""
    query = update.callback_query
    if query is None:
        return
    if not context.bot_data.is_admin(query.from_user.id):
        await answer_query(query, gettext(FOR_ADMINS), show_alert=True)
        return
    await show_page(update, context, "articles")


async def stats(update: Update, context: Context) -> None:
    """/stats: articles, passages, subscribers, questions and the share answered."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(render.stats_text(await context.bot_data.service.stats()))


async def feedback(update: Update, context: Context) -> None:
    """/feedback: the newest 👎 with their questions (and the 👍/👎 counts)."""
    message = update.effective_message
    if message is None:
        return
    state = context.bot_data.service.chat_state
    helpful, unhelpful = await state.votes()
    await message.reply_text(
        render.feedback_text(helpful, unhelpful, await state.recent_unhelpful(FEEDBACK_SHOWN))
    )


async def admins_only(update: Update, context: Context) -> None:
    """An admin command from someone else: say so, change nothing."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(gettext(FOR_ADMINS))
