"""The bot's web server (newsbot.bot.web) in webhook mode against the emulator: the secret
token is checked, a repeated update id is processed once (on both backends: the table is
shared by the replicas), and /healthz, /readyz and /metrics answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from botapi_emulator import BotAPIEmulator
from newsbot.bot.app import Webhook, build_application, running
from newsbot.bot.web import SECRET_HEADER
from newsbot.service import Newsbot
from tests.helpers.bot import READER, hermetic, make_settings
from tests.helpers.databases import BOTH
from tests.helpers.emulator import free_port

BACKENDS = BOTH
SECRET = "s3cret_T0ken-x"


def update(update_id: int, text: str) -> dict[str, object]:
    user = {"id": READER, "is_bot": False, "first_name": "Reader"}
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": READER, "type": "private", "first_name": "Reader"},
        "from": user,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


async def test_webhook_checks_the_secret_and_processes_an_update_once(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hook = Webhook(f"{base}/newsbot", "127.0.0.1", port, SECRET)
    async with BotAPIEmulator() as emu:
        emu.private_chat(READER)
        settings = make_settings(tmp_path, emu, database_url=database_url)
        service = await Newsbot.open(settings)
        await service.add_sample_if_empty()
        async with (
            running(build_application(settings, service), webhook=hook),
            httpx.AsyncClient(base_url=base) as http,
        ):
            assert (await http.get("/healthz")).text == "ok\n"
            ready = await http.get("/readyz")
            assert (ready.status_code, ready.text) == (200, "ready\n")

            question = update(910_001, "What is Zhongguancun known as?")
            wrong = await http.post("/newsbot", json=question, headers={SECRET_HEADER: "guess"})
            missing = await http.post("/newsbot", json=question)
            assert (wrong.status_code, missing.status_code) == (403, 403)
            bad = await http.post("/newsbot", content=b"{}", headers={SECRET_HEADER: SECRET})
            assert bad.status_code == 400
            for _ in range(3):  # Telegram delivering it again, to any replica
                sent = await http.post("/newsbot", json=question, headers={SECRET_HEADER: SECRET})
                assert sent.status_code == 200
            [answer] = await emu.wait_for_messages(READER)
            await asyncio.sleep(1.0)  # time for a second answer, if there were one
            assert len(emu.messages_in(READER)) == 1
            assert answer.text is not None and "Silicon Valley" in answer.text

            exposed = (await http.get("/metrics")).text
            assert 'newsbot_questions_total{answered="true"}' in exposed
            assert "newsbot_answer_seconds_bucket" in exposed
            assert "newsbot_digests_sent_total" in exposed
            assert "newsbot_telegram_429_total" in exposed


async def test_polling_mode_serves_metrics_on_the_metrics_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    port = free_port()
    async with BotAPIEmulator() as emu:
        settings = make_settings(tmp_path, emu, metrics_port=port)
        service = await Newsbot.open(settings)
        async with (
            running(build_application(settings, service), poll_timeout=0.5),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            assert (await http.get("/metrics")).status_code == 200
            assert (await http.post("/newsbot", json={})).status_code == 404  # no webhook here
