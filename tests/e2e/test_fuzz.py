"""Hypothesis throws arbitrary button data, message text and command arguments at the real bot
(on the emulator) and arbitrary arguments at the CLI: never a traceback, never a request
Telegram would reject, never "something went wrong".

The bot runs in a thread of its own (its own event loop) for the whole module, so that each
generated example is a few emulator round trips, not a new bot.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import sys
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.bot.failures import SOMETHING_WENT_WRONG
from newsbot.cli import main
from newsbot.service import SAMPLE_DATA
from tests.helpers.bot import ADMIN, READER, RunningBot, bot_on_emulator

T = TypeVar("T")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What Telegram can carry in a message: any Unicode scalar value (no lone surrogates: they
# can't be encoded as UTF-8), separators and controls included, 1 to 4,096 characters.
ANY_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300
) | st.text(alphabet=st.sampled_from("\u2028\u2029\x85\u200b\ufeff\u202e \n\t#/@:<>&\"'0"))
COMMANDS = st.sampled_from(["", "/ask ", "/remove ", "/articles ", "/latest ", "/start ", "/x "])
# Callback data is 1 to 64 bytes of UTF-8.
CALLBACK = st.text(min_size=1, max_size=64).filter(lambda d: 1 <= len(d.encode()) <= 64) | (
    st.sampled_from(["more:", "latest:", "articles:"]).flatmap(
        lambda kind: st.text(alphabet="0123456789:-abcXYZ_", max_size=20).map(lambda s: kind + s)
    )
)


class LiveBot:
    """The bot on the emulator, in a thread with its own loop; `run` a coroutine there."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._ready: Future[RunningBot] = Future()
        self._stop = asyncio.Event()
        self._held = asyncio.run_coroutine_threadsafe(self._hold(folder), self.loop)
        self.bot = self._ready.result(120)
        self.sentinels = itertools.count()

    async def _hold(self, folder: Path) -> None:
        async with bot_on_emulator(folder) as bot:  # checks emu.rejected == [] on the way out
            self._ready.set_result(bot)
            await self._stop.wait()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        try:
            self._held.result(60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            self.loop.close()

    def check_clean(self) -> None:
        emu = self.bot.emu
        assert emu.rejected == []
        bad = [
            r.text
            for r in emu.sent
            if r.text == SOMETHING_WENT_WRONG or "Traceback" in (r.text or "")
        ]
        assert bad == []
        assert emu.unanswered_callback_queries == []


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PTB_TIMEDELTA", "1")
        bot = LiveBot(tmp_path_factory.mktemp("fuzz"))
        try:
            yield bot
        finally:
            bot.close()


async def _say_then_sentinel(bot: RunningBot, text: str, user: int, sentinel: int) -> None:
    """Send `text`, then an unknown command; wait until the bot has answered the latter."""
    bot.emu.user_sends(text, user_id=user)
    bot.emu.user_sends(f"/sentinel{sentinel}", user_id=user)
    wanted = f"I don't know /sentinel{sentinel}. What I can do:"
    for _ in range(20):
        [reply] = await bot.emu.wait_for_messages(user, timeout=20)
        if (reply.text or "").startswith(wanted):
            return
    raise AssertionError(f"no answer to the sentinel after {text!r}")


@FUZZ
@given(command=COMMANDS, text=ANY_TEXT, admin=st.booleans())
def test_any_message_gets_a_clean_answer(
    live: LiveBot, command: str, text: str, admin: bool
) -> None:
    message = (command + text)[:4096]
    if not message.strip():
        return
    live.run(
        _say_then_sentinel(live.bot, message, ADMIN if admin else READER, next(live.sentinels))
    )
    live.check_clean()


async def _press(bot: RunningBot, data: str, admin: bool) -> None:
    user = ADMIN if admin else READER
    if not bot.emu.messages_in(user):
        bot.emu.user_sends("What is Zhongguancun known as?", user_id=user)
        await bot.emu.wait_for_messages(user, timeout=20)
    # A bot message with buttons if there is one, else any: the data is forged either way.
    sent = bot.emu.messages_in(user)
    target = next((r for r in reversed(sent) if r.reply_markup), sent[-1])
    before = len(bot.emu.calls("answerCallbackQuery"))
    bot.emu.user_presses(target, data, user_id=user, forged=True)
    for _ in range(200):
        if len(bot.emu.calls("answerCallbackQuery")) > before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"button {data!r} was never answered")


@FUZZ
@given(data=CALLBACK, admin=st.booleans())
def test_any_button_data_gets_an_answer(live: LiveBot, data: str, admin: bool) -> None:
    live.run(_press(live.bot, data, admin))
    live.check_clean()


# -- the command line ---------------------------------------------------------------------------

# Arguments as the OS hands them over: undecodable bytes arrive as lone surrogates (U+DC80-DCFF).
ARGUMENT = (
    st.text(max_size=30)
    | st.text(
        alphabet=st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1, max_size=3
    )
    | st.sampled_from(["--top", "--json", "-1", "0", "#1", "99999999999999999999999", "--", "-"])
)
# Commands that only read (or remove by id): nothing here writes files or starts a bot.
READ_ONLY = st.sampled_from([["ask"], ["articles"], ["remove"], ["stats"], ["db", "upgrade"], []])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli-fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{folder / 'newsbot.db'}")
        assert main(["ingest", str(SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt")]) == 0
        yield folder


@FUZZ
@given(command=READ_ONLY, arguments=st.lists(ARGUMENT, max_size=4))
def test_any_cli_arguments_give_a_status_not_a_traceback(
    seeded: Path, command: list[str], arguments: list[str]
) -> None:
    # Standard streams as Python sets them up on a UTF-8 system: stdout strict, stderr not.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(seeded)
        patch.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{seeded / 'newsbot.db'}")
        patch.setattr(sys, "stdin", io.StringIO("What is Zhongguancun?\n\n"))  # `ask` batch
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        try:
            status = main([*command, *arguments])
        except SystemExit as exc:  # argparse: usage errors (2), --help/--version (0)
            status = exc.code if isinstance(exc.code, int) else 2
        err.flush()
    assert status in (0, 1, 2)
    assert b"Traceback" not in err.buffer.getvalue()
