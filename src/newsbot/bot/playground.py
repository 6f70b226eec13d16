"""`newsbot chat`: the real bot, talking to the Bot API emulator on loopback, in the terminal.

Each input line is a message from a local user (an admin here); a line ending in a backslash goes
on on the next line (so `/add` and pasted text are one message); `/upload PATH [caption]` sends
a file. The bot's replies print as plain text with each link's URL after its title (and bold
as terminal bold on a terminal); a line that is just a number presses that button of the
newest message with buttons. Piped input is echoed (`> question`) so the transcript reads
like the conversation. The next line is read only when the bot has finished with the
previous one (or after a timeout), so piped input gives the same transcript every time.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr
from telegram.ext import SimpleUpdateProcessor

from botapi_emulator import BotAPIEmulator, SentRecord, inline_buttons, render_plain
from newsbot import db
from newsbot.bot.app import CONCURRENT_UPDATES, build_application, running
from newsbot.service import Newsbot
from newsbot.settings import Settings

LOCAL_USER = 1000
REPLY_TIMEOUT = 30.0  # seconds; /add of a slow page may take up to the fetcher's 15 s
HELLO = (
    "newsbot playground: you are talking to the real bot through a local Telegram emulator.\n"
    "Type a question or a command (/help). A number presses a button. End a line with \\ to\n"
    "go on on the next one; /upload PATH [caption] sends a file. /quit or Ctrl-D quits.\n"
)
UPLOAD = "/upload"
QUIT = frozenset({"/quit", "/exit"})  # the playground's, as /upload: the bot never sees them


class ReplyTracker(SimpleUpdateProcessor):
    """Counts the updates the bot has finished with, so the playground knows a reply is whole."""

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self.done = 0
        self._changed = asyncio.Event()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process the update, then count it (even if a handler failed)."""
        try:
            await coroutine
        finally:
            self.done += 1
            self._changed.set()

    async def wait_done(self, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until `count` updates are done; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.done < count:
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return self.done >= count
        return True


async def stdin_lines(stream: TextIO | None = None) -> AsyncIterator[str]:
    """Lines of `stream` (standard input, as it is at the call) without blocking the event loop.

    A daemon thread reads, so a pipe, a file and a terminal all work, and an interrupted
    session can exit without waiting for a line that never comes.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    lines = sys.stdin if stream is None else stream

    def read() -> None:
        for line in lines:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="newsbot-chat-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def _as_async(lines: Iterable[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


def _button_message(emu: BotAPIEmulator, chat_id: int) -> dict[str, Any] | None:
    """The newest bot message in the chat that still has buttons."""
    for record in reversed(emu.messages_in(chat_id)):
        current = emu.message(chat_id, record.message_id)
        if current is not None and inline_buttons(current):
            return current
    return None


def act(emu: BotAPIEmulator, line: str, out: TextIO) -> bool:
    """Send the line as the local user, upload the file it names, or press the button it
    names; True if the bot got an update to answer."""
    if line.split(maxsplit=1)[0] == UPLOAD:
        return upload(emu, line, out)
    message = _button_message(emu, LOCAL_USER) if line.isdigit() else None
    buttons = inline_buttons(message) if message else []
    if message is None or not 1 <= int(line) <= len(buttons):
        emu.user_sends(line, user_id=LOCAL_USER)
        return True
    button = buttons[int(line) - 1]
    if "callback_data" not in button:
        print(f"(button {line} is a link: {button.get('url')})\n", file=out, flush=True)
        return False
    emu.user_presses(message, button["callback_data"], user_id=LOCAL_USER)
    return True


def upload(emu: BotAPIEmulator, line: str, out: TextIO) -> bool:
    """`/upload PATH [caption]`: the local user sends the file, the rest of the line (and any
    continued lines) as its caption."""
    parts = line.split(maxsplit=2)
    if len(parts) < 2:
        print(f"(usage: {UPLOAD} PATH [caption], e.g. {UPLOAD} story.html /add)\n", file=out)
        return False
    path = Path(parts[1]).expanduser()
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"(can't read {path}: {exc.strerror or exc})\n", file=out, flush=True)
        return False
    caption = parts[2] if len(parts) > 2 else None
    emu.user_sends_document(path.name, content, user_id=LOCAL_USER, caption=caption)
    return True


async def messages(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """Input lines as messages: a line ending in a backslash goes on on the next line."""
    pending: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        yield "\n".join([*pending, line]).strip()
        pending = []
    if pending:
        yield "\n".join(pending).strip()


def playground_settings(settings: Settings, emu: BotAPIEmulator) -> Settings:
    """The settings pointed at the emulator, with the local user as an admin."""
    return settings.model_copy(
        update={
            "bot_token": SecretStr(emu.token),
            "api_base_url": emu.base_url,
            "admin_ids": settings.admin_ids | {LOCAL_USER},
        }
    )


async def chat(
    settings: Settings,
    lines: AsyncIterator[str] | Iterable[str],
    out: TextIO = sys.stdout,
    *,
    interactive: bool = False,
    reply_timeout: float = REPLY_TIMEOUT,
) -> int:
    """Run the playground until the lines run out; returns the exit status."""
    source = messages(lines if isinstance(lines, AsyncIterator) else _as_async(lines))
    async with BotAPIEmulator() as emu:
        emu.add_user(LOCAL_USER, "You", "local_user")
        emu.private_chat(LOCAL_USER)
        local = playground_settings(settings, emu)
        service = await Newsbot.open(local)
        try:
            await service.add_sample_if_empty()
        except BaseException:
            await service.close()
            raise
        tracker = ReplyTracker()
        application = build_application(local, service, update_processor=tracker)
        async with running(application, poll_timeout=1.0):
            if interactive:
                database = db.sync_url(local.database_url).database
                print(f"{HELLO}Articles are kept in {database}.\n", file=out, flush=True)
            sent = shown = 0
            while True:
                if interactive:
                    print("> ", end="", file=out, flush=True)
                line = await anext(source, None)
                if line is None or line.strip().lower() in QUIT:
                    break
                if not line:
                    continue
                if not interactive:  # piped: show what was asked above what the bot said
                    print("> " + line.replace("\n", "\n  ") + "\n", file=out, flush=True)
                if not act(emu, line, out):
                    continue
                sent += 1
                if not await tracker.wait_done(sent, reply_timeout):
                    print(f"(no reply within {reply_timeout:.0f} s)", file=out, flush=True)
                shown = _print_new(emu.messages_in(LOCAL_USER), shown, out, ansi=interactive)
    return 0


def _print_new(records: list[SentRecord], shown: int, out: TextIO, *, ansi: bool) -> int:
    for record in records[shown:]:
        # A button taken off a message the user has already seen changes nothing to read.
        if record.method != "editMessageReplyMarkup":
            print(render_plain(record, ansi=ansi) + "\n", file=out, flush=True)
    return len(records)
