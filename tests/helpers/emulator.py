"""Helpers of the Bot API emulator tests (tests/emulator/): raw Bot API calls, PTB bots and
applications on an emulator, one TLS context for all their clients, and a free port. The
`emu` fixture is in tests/emulator/conftest.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import random
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, BaseHandler
from telegram.request import HTTPXRequest

from botapi_emulator import BotAPIEmulator


@functools.cache
def tls() -> ssl.SSLContext:
    """The clients' one TLS context: httpx would load the CA bundle again for each client
    (~50 ms of CPU), and these tests make one per call."""
    return httpx.create_ssl_context()


async def call(emu: BotAPIEmulator, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """One raw Bot API call with a JSON body."""
    async with httpx.AsyncClient(verify=tls()) as client:
        response = await client.post(f"{emu.api_url}/{method}", json=params, timeout=10)
    return response.status_code, response.json()


def bot_for(emu: BotAPIEmulator, token: str | None = None, **options: Any) -> Bot:
    """A PTB Bot on the emulator whose two requests share `tls()`."""
    return Bot(
        token or emu.token,
        base_url=emu.base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": tls()}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": tls()}),
        **options,
    )


def new_app(
    emu: BotAPIEmulator, *handlers: BaseHandler[Any, Any, Any]
) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .request(HTTPXRequest(httpx_kwargs={"verify": tls()}))
        .get_updates_request(HTTPXRequest(httpx_kwargs={"verify": tls()}))
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    return app


@contextlib.asynccontextmanager
async def polling_bot(
    emu: BotAPIEmulator, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the emulator, exactly as in production."""
    app = new_app(emu, *handlers)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=1))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@contextlib.asynccontextmanager
async def plain_bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    async with bot_for(emu, base_file_url=emu.base_file_url) as bot:
        yield bot


def free_port() -> int:
    """A port on 127.0.0.1 that is free now, for a server the test starts later.

    Not one the kernel picks (port 0): it picks from the ephemeral range for every outgoing
    connection and every other port-0 server too, so such a port can be taken before the test
    binds it (seen with 6 workers). These come from below that range, 1,000 for each xdist
    worker, so neither the kernel nor another worker hands the same one out meanwhile.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base = 20_000 + 1_000 * (int(worker) % 12 if worker.isdigit() else 0)
    for port in random.sample(range(base, base + 1_000), 1_000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use: another process's
            return port
    raise RuntimeError(f"no free port in {base}-{base + 999}")
