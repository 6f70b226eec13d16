"""`newsbot run` as a real process (polling, SIGTERM), webhook mode, and the playground."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator, SentRecord
from newsbot.bot.app import Webhook, build_application, running
from newsbot.bot.playground import LOCAL_USER, chat
from newsbot.service import Newsbot
from tests.helpers.bot import ADMIN, READER, hermetic, make_settings
from tests.helpers.emulator import free_port

# The real entry point, as `newsbot` runs it.
NEWSBOT = [sys.executable, "-m", "newsbot.cli"]


def bot_env(tmp_path: Path, emu: BotAPIEmulator, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "PTB_"))}
    env.update(
        NEWSBOT_BOT_TOKEN=token,
        NEWSBOT_API_BASE_URL=emu.base_url,
        NEWSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        NEWSBOT_ADMIN_IDS=str(ADMIN),
    )
    return env


async def test_run_polls_answers_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with BotAPIEmulator() as emu:
        emu.private_chat(READER)
        emu.private_chat(ADMIN)
        process = await asyncio.create_subprocess_exec(
            *NEWSBOT, "run",
            env=bot_env(tmp_path, emu, emu.token), cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            emu.user_sends("/start", user_id=READER)
            [hello] = await reply_unless_exited(emu, process)
            emu.user_sends("What is Zhongguancun known as?", user_id=READER)
            [answer] = await emu.wait_for_messages(READER, timeout=10)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, stderr.decode()
        log = stderr.decode()
        assert "Traceback" not in log and "newsbot is running (long polling)" in log
        assert hello.text is not None and hello.text.startswith("I answer questions")
        # `newsbot run` leaves a new production database empty: no sample article in it.
        assert answer.text is not None and answer.text.startswith("I don't know any articles yet")
        assert emu.rejected == []
        assert emu.pending_update_count == 0  # every update confirmed before exiting


async def test_run_without_token_points_to_chat(tmp_path: Path) -> None:
    async with BotAPIEmulator() as emu:
        process = await asyncio.create_subprocess_exec(
            *NEWSBOT, "run",
            env=bot_env(tmp_path, emu, ""), cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert "NEWSBOT_BOT_TOKEN is not set" in stderr.decode()
    assert "newsbot chat" in stderr.decode()


async def reply_unless_exited(
    emu: BotAPIEmulator, process: asyncio.subprocess.Process
) -> list[SentRecord]:
    """The bot's first reply to READER, or a failure with its stderr if it exits first."""
    reply = asyncio.ensure_future(emu.wait_for_messages(READER, timeout=30))
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({reply, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not reply.done():
        reply.cancel()
        stderr = await process.stderr.read() if process.stderr else b""
        pytest.fail(f"newsbot run exited with {process.returncode}: {stderr.decode()}")
    exited.cancel()
    return reply.result()


async def test_webhook_mode_with_secret_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/newsbot", "127.0.0.1", port, "s3cret_T0ken-x")
    async with BotAPIEmulator() as emu:
        emu.private_chat(ADMIN)
        settings = make_settings(tmp_path, emu)
        service = await Newsbot.open(settings)
        await service.add_sample_if_empty()
        async with running(build_application(settings, service), webhook=hook):
            assert emu.webhook is not None and emu.webhook.secret_token == "s3cret_T0ken-x"
            assert emu.webhook.allowed_updates == ["message", "callback_query", "inline_query"]
            emu.user_sends("What is Zhongguancun known as?", user_id=READER)
            [answer] = await emu.wait_for_messages(READER)
        assert answer.text is not None and "Silicon Valley" in answer.text
        assert emu.webhook.last_error_message is None and emu.rejected == []


async def test_playground_prints_replies_and_numbers_press_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as throwaway:  # only for the settings' shape; chat() makes its own
        settings = make_settings(tmp_path, throwaway, bot_token=None, max_results=1)
    out = io.StringIO()
    lines = ["What is Zhongguancun known as?", "2", "/stats", "/latest", "", "7"]
    assert await chat(settings, lines, out) == 0
    transcript = out.getvalue()
    blocks = transcript.strip().split("\n\n")
    # Piped: each question is echoed above the bot's reply.
    assert blocks[0] == "> What is Zhongguancun known as?"
    first = blocks[1]
    assert "China’s “Silicon Valley”" in first
    assert first.endswith("[1] More from this article  [2] More  [3] 👍  [4] 👎")
    # Links show their URL after the title (the sample has none: its title is plain).
    assert "\033[" not in transcript  # not a terminal: no ANSI bold
    assert blocks[2] == "> 2" and blocks[3].startswith("Xi Jinping calls")
    assert "(edited)" not in transcript
    stats = blocks[blocks.index("> /stats") + 1]
    assert stats.startswith("Articles: 1\n")  # the local user is an admin
    assert blocks[blocks.index("> /latest") + 1].startswith("Latest articles\n")
    unknown = blocks[blocks.index("> 7") + 1]
    assert "Silicon Valley" not in unknown  # "7" pressed nothing: it was sent as a question
    assert str(LOCAL_USER) not in settings.admin_ids.__repr__()  # the real settings untouched


async def test_playground_continues_lines_and_uploads_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as throwaway:
        settings = make_settings(tmp_path, throwaway, bot_token=None)
    story = tmp_path / "ladoga.txt"
    story.write_text(
        "Ladoga ferry returns\n\nThe Ladoga ferry sails again from Monday, the port said.\n"
    )
    out = io.StringIO()
    lines = [
        "/add \\",
        "Baikal ice road opens \\",
        "The ice road across Lake Baikal opened on Monday, officials in Irkutsk said.",
        f"/upload {story} /add",
        f"/upload {tmp_path / 'missing.txt'} /add",
        "When did the ice road across Baikal open?",
        "/quit",
        "Is this line ever sent?",
    ]
    assert await chat(settings, lines, out) == 0
    transcript = out.getvalue()
    assert "/quit" not in transcript and "ever sent" not in transcript  # it ended there
    assert "> /add \n  Baikal ice road opens \n  The ice road across" in transcript
    assert "Added #2: Baikal ice road opens" in transcript
    assert "Added #3: Ladoga ferry returns" in transcript
    assert "(can't read " in transcript and "missing.txt" in transcript
    assert "opened on Monday" in transcript.split("> When did the ice road")[1]
