"""kill -9 in the middle of a bulk ingest and of /adds: the database stays whole (SQLite's and
FTS5's own integrity checks), no article is half-stored, and after a restart the search index
agrees with the database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

from botapi_emulator import BotAPIEmulator
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.bot import ADMIN, READER

NEWSBOT = [sys.executable, "-m", "newsbot.cli"]
BATCH = 1000  # Ingestor.add_records' default batch: one transaction each


def env_for(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "PTB_"))}
    env.update(NEWSBOT_DATABASE_URL=f"sqlite:///{db}", **extra)
    return env


def counts(db: Path) -> tuple[int, int]:
    """(articles, passages), after SQLite's and FTS5's integrity checks pass."""
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # Raises "database disk image is malformed" if the index and its content disagree.
        connection.execute("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        bare = connection.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM passages p WHERE p.article_id = a.id)"
        ).fetchone()[0]
        assert bare == 0, "an article without its passages"
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        passages = connection.execute("SELECT count(*) FROM passages").fetchone()[0]
        fts = connection.execute("SELECT count(*) FROM passages_fts").fetchone()[0]
    assert fts == passages
    return int(articles), int(passages)


async def index_agrees(db: Path, passages: int, question: str, title: str) -> None:
    settings = Settings(database_url=f"sqlite:///{db}", _env_file=None)
    async with await Newsbot.open(settings) as service:
        await service.retriever.refresh()
        assert service.retriever.index.size == passages
        result = await service.ask(question)
        assert result.answered and result.hits[0].title == title


async def test_kill_9_during_bulk_ingest_leaves_whole_batches(tmp_path: Path) -> None:
    db = tmp_path / "bulk.db"
    records = tmp_path / "records.jsonl"
    with records.open("w", encoding="utf-8") as out:
        for n in range(20 * BATCH):
            body = f"Harbour number {n} reopened after the storm, said the mayor of town {n}."
            out.write(json.dumps({"title": f"Harbour {n}", "text": body}) + "\n")
    process = await asyncio.create_subprocess_exec(
        *NEWSBOT, "ingest", "--jsonl", str(records), env=env_for(db), cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    stored = 0
    while stored < 2 * BATCH and process.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as connection:
                    stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
            except sqlite3.OperationalError:
                pass  # not migrated yet
    assert process.returncode is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    articles, passages = counts(db)
    assert 0 < articles < 20 * BATCH and articles % BATCH == 0, articles
    await index_agrees(db, passages, "Which harbour reopened in town 7?", "Harbour 7")


async def test_kill_9_during_adds_in_the_bot(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with BotAPIEmulator() as emu:
        emu.private_chat(ADMIN)
        emu.private_chat(READER)
        env = env_for(
            db,
            NEWSBOT_BOT_TOKEN=emu.token,
            NEWSBOT_API_BASE_URL=emu.base_url,
            NEWSBOT_ADMIN_IDS=str(ADMIN),
            PTB_TIMEDELTA="1",
        )
        process = await asyncio.create_subprocess_exec(
            *NEWSBOT, "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            emu.user_sends("/start", user_id=READER)
            await emu.wait_for_messages(READER, timeout=60)
            for n in range(30):
                emu.user_sends(
                    f"/add\nFerry story {n}\nThe ferry number {n} sails to the island at dawn.",
                    user_id=ADMIN,
                )
            # Kill it once some adds are stored and others are still being written.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = sum("Added #" in (r.text or "") for r in emu.messages_in(ADMIN))
                if done >= 3:
                    break
                await asyncio.sleep(0.02)
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
    articles, passages = counts(db)
    assert 3 <= articles <= 30
    assert passages == articles  # each pasted article is one passage: none half-stored
    with sqlite3.connect(db) as connection:
        [title] = connection.execute("SELECT title FROM articles ORDER BY id LIMIT 1").fetchone()
    number = title.rsplit(" ", 1)[1]
    await index_agrees(db, passages, f"When does ferry number {number} sail?", title)
