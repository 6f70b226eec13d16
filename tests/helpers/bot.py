"""Shared pieces of the bot tests: settings on a tmp database, the running bot, a local site.

(Named test_bot_*.py so it sits with the bot tests; it holds fixtures and helpers, no tests.)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr

from botapi_emulator import BotAPIEmulator, SentRecord
from newsbot.bot.app import build_application, running
from newsbot.bot.context import NewsApplication
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.databases import sqlite_at_head

ADMIN = 11
READER = 22
GROUP = -100

ARTICLE_HTML = """<!doctype html>
<html lang="en"><head>
<title>Lake Baikal ice road opens early - The Northern Courier</title>
<meta property="og:site_name" content="The Northern Courier">
<meta property="article:published_time" content="2024-01-15T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Lake Baikal ice road opens early</h1>
<p>The ice road across Lake Baikal opened to light vehicles on Monday, two weeks earlier than
usual, after an unusually cold December froze the lake to a depth of forty centimetres.</p>
<p>Local officials in Irkutsk said the crossing to Olkhon Island would carry cars weighing up
to one and a half tonnes, and that inspectors would drill the ice every morning.</p>
<p>Fishermen from the village of Khuzhir welcomed the early opening, saying the winter omul
season depends on reaching the deep-water camps before the February storms arrive.</p>
<p>Scientists at the Limnological Institute warned that the thick ice hides cracks formed by
temperature swings, and asked drivers to keep to the marked route between the beacons.</p>
</article>
<footer>Copyright The Northern Courier</footer>
</body></html>
"""


def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSBOT_* variable from the shell leaks into a test; PTB_TIMEDELTA as `newsbot run`
    sets it (else a 429 makes PTB warn, an error under our pytest settings)."""
    for key in list(os.environ):
        if key.upper().startswith("NEWSBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def make_settings(tmp_path: Path, emu: BotAPIEmulator, **overrides: object) -> Settings:
    """Settings for a bot on the emulator with a SQLite file at head in tmp_path (kept if the
    test made it already: a restart), no .env, no real token."""
    values: dict[str, object] = {
        "bot_token": SecretStr(emu.token),
        "api_base_url": emu.base_url,
        "admin_ids": frozenset({ADMIN}),
        "allow_private_urls": True,
        **overrides,
    }
    if "database_url" not in values:
        values["database_url"] = sqlite_at_head(tmp_path / "newsbot.db")
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@dataclass
class RunningBot:
    """The Application polling the emulator, and its service (for setting up and checking)."""

    app: NewsApplication
    service: Newsbot
    emu: BotAPIEmulator

    async def say(
        self, text: str, user: int = READER, count: int = 1, **where: object
    ) -> list[SentRecord]:
        """The user writes; the bot's next `count` messages in that chat."""
        message = self.emu.user_sends(text, user_id=user, **where)  # type: ignore[arg-type]
        return await self.emu.wait_for_messages(message["chat"]["id"], count)

    async def one(self, text: str, user: int = READER, **where: object) -> SentRecord:
        """The user writes; the bot's one reply."""
        [reply] = await self.say(text, user, 1, **where)
        return reply


@contextlib.asynccontextmanager
async def running_bot(emu: BotAPIEmulator, settings: Settings) -> AsyncIterator[RunningBot]:
    """A real Application on the emulator, the sample article in its database."""
    for user in (ADMIN, READER):
        emu.add_user(user, f"User{user}")
        emu.private_chat(user)
    service = await Newsbot.open(settings)
    await service.add_sample_if_empty()
    app = build_application(settings, service)
    async with running(app, poll_timeout=1.0):
        yield RunningBot(app, service, emu)


@contextlib.asynccontextmanager
async def bot_on_emulator(tmp_path: Path, **overrides: object) -> AsyncIterator[RunningBot]:
    """A fresh emulator and a bot on it; afterwards, checks Telegram refused nothing."""
    async with (
        BotAPIEmulator() as emu,
        running_bot(emu, make_settings(tmp_path, emu, **overrides)) as bot,
    ):
        yield bot
    assert emu.rejected == [], emu.rejected


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        pages = {
            "/baikal.html": ("text/html; charset=utf-8", ARTICLE_HTML.encode()),
            "/slow.html": (
                "text/html; charset=utf-8",
                ARTICLE_HTML.replace("Baikal", "Ladoga").encode(),
            ),
            "/report.pdf": ("application/pdf", b"%PDF-1.4 not a web page"),
            "/empty.html": ("text/html", b"<html><body><nav>Home</nav></body></html>"),
        }
        if self.path == "/slow.html":
            time.sleep(0.6)
        if self.path not in pages:
            self.send_error(404, "Not Found")
            return
        content_type, body = pages[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def local_site() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 with an article, a slow page, a PDF and 404s."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
