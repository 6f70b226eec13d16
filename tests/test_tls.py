"""The process's one TLS context (newsbot.tls): it verifies as httpx's own would, and every
client the bot makes is handed it instead of loading the CA bundle again."""

from __future__ import annotations

import ssl
from typing import Any

from pydantic import SecretStr
from telegram.request import HTTPXRequest

from newsbot.bot.app import build_application
from newsbot.bot.digests.sender import delivery_bot
from newsbot.ingest.fetch import SafeFetcher
from newsbot.service import Newsbot
from newsbot.settings import Settings
from newsbot.tls import tls_context


def _context_of(client: Any) -> ssl.SSLContext:
    return client._transport._pool._ssl_context  # type: ignore[no-any-return]


def test_the_context_verifies_certificates_and_host_names() -> None:
    for trust_env in (True, False):
        context = tls_context(trust_env=trust_env)
        assert context is tls_context(trust_env=trust_env)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 100  # certifi's bundle


async def test_the_bot_the_sender_and_the_fetcher_share_it(settings: Settings) -> None:
    settings = settings.model_copy(update={"bot_token": SecretStr("1:token")})
    async with await Newsbot.open(settings) as service:
        app = build_application(settings, service)
        # PTB's two in each bot: getUpdates' and the one for everything else
        requests = [*app.bot._request, *delivery_bot("1:token", settings.api_base_url)._request]
        for request in requests:
            assert isinstance(request, HTTPXRequest)
            assert _context_of(request._client) is tls_context()
    async with SafeFetcher() as fetcher:
        assert _context_of(fetcher._client) is tls_context(trust_env=False)
