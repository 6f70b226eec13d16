"""The command line as a newcomer meets it, in-process through `main(argv)`: a quiet terminal
unless `-v`/`-vv` asks (before or after the command), NEWSBOT_LOG_LEVEL still obeyed; JSON
output one object per line, an empty database printing none; "(no link)" where an answer's
article has no source link."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from newsbot.service import SAMPLE_DATA
from tests.helpers.cli import main_status

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
ZHONGGUANCUN = "What is Zhongguancun known as?"


@pytest.fixture
def cli(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Any:
    """`cli(*args, stdin=...)` -> (exit status, stdout, the log records below WARNING); the
    log levels main() sets are put back by the `_logger_levels` fixture (conftest)."""
    clean_env.chdir(tmp_path)
    clean_env.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'newsbot.db'}")

    def run(*args: str | Path, stdin: str = "") -> tuple[int, str, list[logging.LogRecord]]:
        # aiosqlite's connection thread hands back a result before it logs "operation ...
        # completed" (at DEBUG), so the last lines of the previous command's threads can come
        # after it returned: wait for them, or a `-vv` run's record lands in the next one's.
        for thread in threading.enumerate():
            if "_connection_worker_thread" in thread.name:  # aiosqlite's, named by its target
                thread.join(timeout=10)
        caplog.clear()
        clean_env.setattr("sys.stdin", io.StringIO(stdin))
        status, out, _ = main_status(args, capsys)
        return status, out, [r for r in caplog.records if r.levelno < logging.WARNING]

    return run


def names(records: list[logging.LogRecord]) -> set[str]:
    return {r.name for r in records}


def test_the_playground_is_quiet_unless_asked(cli: Any) -> None:
    assert cli("db", "sample")[0] == 0
    status, out, records = cli("chat", stdin=f"{ZHONGGUANCUN}\n")
    assert status == 0 and "(no link)" in out
    assert records == []
    for args in (["-v", "chat"], ["chat", "-v"], ["chat", "--verbose"]):
        status, _, records = cli(*args, stdin=f"{ZHONGGUANCUN}\n")
        assert status == 0
        info = [r for r in records if r.levelno == logging.INFO]
        assert any(r.getMessage().startswith("digests: ") for r in info), args
        assert not [r for r in records if r.levelno < logging.INFO]  # DEBUG takes -vv
    for args in (["-vv", "chat"], ["chat", "-vv"]):
        _, _, records = cli(*args, stdin=f"{ZHONGGUANCUN}\n")
        assert any(r.levelno == logging.DEBUG for r in records), args


def test_commands_are_quiet_by_default_and_verbose_on_request(
    cli: Any, clean_env: pytest.MonkeyPatch
) -> None:
    # asyncio says which selector its loop uses at DEBUG: a record every run would give.
    assert cli("ingest", SEED)[2] == []
    assert cli("stats")[2] == []
    _, _, records = cli("stats", "-vv")
    assert "asyncio" in names(records)
    assert cli("stats", "-v")[2] == []  # INFO: nothing to say here
    clean_env.setenv("NEWSBOT_LOG_LEVEL", "DEBUG")  # the setting still works by itself
    assert "asyncio" in names(cli("stats")[2])
    clean_env.setenv("NEWSBOT_LOG_LEVEL", "ERROR")
    assert "asyncio" in names(cli("stats", "-vv")[2])  # the more detailed one wins
    status, _, _ = cli("stats", "-x")
    assert status == 2


def test_ask_answers_say_no_link(cli: Any) -> None:
    assert cli("ingest", SEED)[0] == 0
    status, out, _ = cli("ask", ZHONGGUANCUN)
    assert status == 0
    assert out.splitlines()[1] == "   (no link)"
    [answer] = [json.loads(line) for line in cli("ask", "--json", ZHONGGUANCUN)[1].splitlines()]
    assert answer["results"][0]["url"] is None  # JSON: null, as PRODUCT.md's shape says


def test_json_commands_print_one_object_per_line_and_nothing_when_empty(cli: Any) -> None:
    assert cli("db", "upgrade")[0] == 0
    assert cli("articles", "--json")[:2] == (0, "")
    assert cli("ask", "--json", stdin="\n\n")[:2] == (0, "")
    assert cli("export")[:2] == (0, "")
    assert cli("ingest", SEED)[0] == 0
    out = cli("articles", "--json")[1]
    [article] = [json.loads(line) for line in out.splitlines()]
    assert (article["id"], article["url"]) == (1, None)
    out = cli("ask", "--json", stdin=f"{ZHONGGUANCUN}\n{ZHONGGUANCUN}\n")[1]
    assert [json.loads(line)["question"] for line in out.splitlines()] == [ZHONGGUANCUN] * 2


def test_db_sample_stores_the_vectors_so_the_first_playground_question_is_answered(
    cli: Any, tmp_path: Path
) -> None:
    # `make run` is `db sample` then the playground: a question asked at once must not meet a
    # sample without vectors (the lexical-only decline of "what does technology for good mean").
    assert cli("db", "sample")[0] == 0
    with sqlite3.connect(tmp_path / "newsbot.db") as connection:
        (vectors,) = connection.execute("SELECT count(*) FROM passage_vectors").fetchone()
    connection.close()
    assert vectors == 4
    status, out, _ = cli("chat", stdin="what does technology for good mean\n")
    assert status == 0 and "technology for good" in out and "couldn't find" not in out
