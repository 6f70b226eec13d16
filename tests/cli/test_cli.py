"""Tests for the `newsbot` command line on SQLite files in tmp_path: in-process through
`main(argv)` (stdin, stdout, stderr, the environment and the working folder swapped for the call),
and a few as a real `python -m newsbot.cli` subprocess, the way a user runs it."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsbot.cli import build_parser, main
from newsbot.db import head_revision
from newsbot.service import SAMPLE_DATA

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
SEED_TITLE = "Xi Jinping calls for greater international technology cooperation"
README = Path(__file__).resolve().parents[2] / "README.md"
DATA = Path(__file__).resolve().parents[1] / "data"
HOSTILE: dict[str, str] = json.loads((DATA / "hostile_questions.json").read_text(encoding="utf-8"))
ZHONGGUANCUN = "What is Zhongguancun known as?"
UNANSWERABLE = "Who won the 2018 football world cup?"
# The loggers `main` sets the level of (library chatter): put back after each in-process run.
QUIETED = ("httpx", "alembic", "apscheduler")


@dataclass(frozen=True)
class Done:
    """What a run of `newsbot` gave: its exit status and its output."""

    returncode: int
    stdout: str
    stderr: str


def newsbot(
    *args: str | Path,
    db: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    real: bool = False,
) -> Done:
    """Run `newsbot ARGS` with its database at `db`, no other NEWSBOT_* setting, in db's folder
    (so no stray .env is read); in-process unless `real`, then as a subprocess."""
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSBOT_")}
    environment.update({"NEWSBOT_DATABASE_URL": f"sqlite:///{db}", **(env or {})})
    folder = next(folder for folder in db.parents if folder.is_dir())
    if real:
        done = subprocess.run(
            [sys.executable, "-m", "newsbot.cli", *map(str, args)],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**environment, "PYTHONUTF8": "1"},
            cwd=folder,
            timeout=120,
            check=False,
        )
        return Done(done.returncode, done.stdout, done.stderr)
    out, err = io.StringIO(), io.StringIO()
    with (
        swapped_environ(environment),
        contextlib.chdir(folder),
        swapped_stdin(io.StringIO(stdin or "")),
        logging_to(err),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return Done(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def swapped_environ(environment: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def swapped_stdin(stream: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


@contextlib.contextmanager
def logging_to(stream: io.StringIO) -> Iterator[None]:
    """Log records to `stream` as the command's own basicConfig would write them to stderr."""
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    levels = {name: logging.getLogger(name).level for name in ("", *QUIETED)}
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the default NEWSBOT_LOG_LEVEL
    try:
        yield
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the sample article, shared by the read-only tests of this module."""
    db = tmp_path_factory.mktemp("seeded") / "newsbot.db"
    done = newsbot("ingest", SEED, db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"added #1: {SEED_TITLE} (4 passages)",
        "1 added, 0 duplicates, 0 failed",
    ]
    assert done.stderr == ""
    return db


# -- ask ----------------------------------------------------------------------------------------


def test_ask_json_answers_from_the_seed(seeded_db: Path) -> None:
    done = newsbot("ask", "--json", ZHONGGUANCUN, db=seeded_db)
    assert (done.returncode, done.stderr) == (0, "")
    [answer] = json_lines(done.stdout)
    assert set(answer) == {"question", "answered", "results"}
    assert (answer["question"], answer["answered"]) == (ZHONGGUANCUN, True)
    assert len(answer["results"]) == 3
    best = answer["results"][0]
    assert set(best) == {"article_id", "url", "title", "passage", "score", "answer"}
    sentence = best["answer"]["sentence"]
    assert best["passage"][best["answer"]["start"] : best["answer"]["end"]] == sentence
    assert sentence.startswith("Zhongguancun, China’s “Silicon Valley”")
    assert (best["article_id"], best["url"], best["title"]) == (1, None, SEED_TITLE)
    assert "China’s “Silicon Valley”" in best["passage"]
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_unanswerable_and_top(seeded_db: Path) -> None:
    done = newsbot("ask", "--json", "--top", "1", UNANSWERABLE, db=seeded_db)
    assert done.returncode == 0
    [answer] = json_lines(done.stdout)
    assert (answer["question"], answer["answered"]) == (UNANSWERABLE, False)
    assert len(answer["results"]) <= 1


def test_ask_plain_text_batch_from_stdin(seeded_db: Path) -> None:
    done = newsbot("ask", db=seeded_db, stdin=f"{ZHONGGUANCUN}\n\n{UNANSWERABLE}\n")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(
        f"1. {SEED_TITLE} (Media Inter World, 2021-09-25)\n"
        "   (no link)\n"
        "   Zhongguancun, China’s “Silicon Valley”\n"
    )
    assert "\n\n2. " in done.stdout and "\n\n3. " in done.stdout and "\n\n4. " not in done.stdout
    assert "\033[" not in done.stdout  # no bold escapes when stdout is not a terminal
    # Every line of a passage sits under its header, not only its first.
    answers = done.stdout.split("\n\nI couldn't find")[0]
    body = [line for line in answers.splitlines() if line and not line[0].isdigit()]
    assert body and all(line.startswith("   ") for line in body)
    assert done.stdout.endswith(
        "\n\nI couldn't find that in the 1 article I know. "
        "Try other words, or see `newsbot articles`.\n"
    )


def test_ask_batch_of_hostile_questions_gives_one_json_line_each(seeded_db: Path) -> None:
    # One question per line: the multi-line and blank ones can't be sent this way.
    questions = [q for q in HOSTILE.values() if q.strip() and "\n" not in q]
    questions.insert(3, "")  # blank lines are skipped
    questions.append(ZHONGGUANCUN)
    done = newsbot("ask", "--json", db=seeded_db, stdin="\n".join(questions) + "\n")
    assert (done.returncode, done.stderr) == (0, "")
    answers = json_lines(done.stdout)
    assert [a["question"] for a in answers] == [q for q in questions if q]
    assert all(isinstance(a["answered"], bool) for a in answers)
    assert answers[-1]["answered"] is True


def test_ask_top_must_be_positive(seeded_db: Path) -> None:
    done = newsbot("ask", "--top", "0", "x", db=seeded_db)
    assert done.returncode == 2
    assert "must be at least 1, got 0" in done.stderr


# -- ingest -------------------------------------------------------------------------------------


def test_ingest_summary_with_duplicates_and_a_missing_file(tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    missing = tmp_path / "missing.html"
    done = newsbot("ingest", SEED, copy, missing, db=tmp_path / "newsbot.db")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"added #1: {SEED_TITLE} (4 passages)",
        f"duplicate of #1: {copy}",
        "1 added, 1 duplicates, 1 failed",
    ]
    assert done.stderr == f"failed: {missing}: no such file or folder\n"


def test_ingest_url_gives_a_single_file_its_source_link(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    done = newsbot("ingest", SEED, "--url", "https://media.example/zgc", db=db)
    assert done.returncode == 0, done.stderr
    [listed] = json_lines(newsbot("articles", "--json", db=db).stdout)
    assert listed["url"] == "https://media.example/zgc"

    refused = newsbot("ingest", SEED, SEED, "--url", "https://media.example/x", db=db)
    assert refused.returncode == 2
    assert refused.stderr == "newsbot ingest: --url gives the source link of exactly one file\n"


def test_ingest_url_with_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Alpha story\n\nAardvarks roam the savanna near Nairobi every summer, researchers said.\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        "Beta story\n\nBobsleigh teams train on the Lillehammer track in winter, coaches said.\n",
        encoding="utf-8",
    )
    done = newsbot("ingest", folder, "--url", "https://media.example/one", db=tmp_path / "n.db")
    assert done.returncode == 2
    assert "--url" in done.stderr


def test_ingest_jsonl_from_stdin_with_a_broken_line(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    records = [
        json.dumps({"url": "https://n.example/1", "title": "Ice road", "text": "Baikal froze."}),
        '{"title": "broken", ',
        json.dumps({"url": None, "title": "Volcano", "text": "Lava reached Grindavík."}),
        json.dumps({"title": "No text"}),
    ]
    done = newsbot("ingest", "--jsonl", "-", db=db, stdin="\n".join(records) + "\n", real=True)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "added #1: Ice road (1 passage)",
        "added #2: Volcano (1 passage)",
        "2 added, 0 duplicates, 2 failed",
    ]
    broken, no_text = done.stderr.splitlines()
    assert broken.startswith("failed: stdin:2: not valid JSON (Expecting property name")
    assert no_text == 'failed: stdin:4: "text" must be a non-empty string'


def test_ingest_without_sources_is_a_usage_error(tmp_path: Path) -> None:
    done = newsbot("ingest", db=tmp_path / "newsbot.db")
    assert done.returncode == 2
    assert done.stderr == "newsbot ingest: give files, folders, URLs or --jsonl FILE\n"


# -- export, articles, remove, stats, db ---------------------------------------------------------


def test_export_then_ingest_restores_articles_and_passages(seeded_db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "export.jsonl"
    done = newsbot("export", "--jsonl", exported, db=seeded_db)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    [record] = json_lines(exported.read_text(encoding="utf-8"))
    assert set(record) == {
        "id", "url", "title", "text", "published", "site", "author", "language", "passages"
    }  # fmt: skip
    assert (record["id"], record["title"], record["site"]) == (1, SEED_TITLE, "Media Inter World")
    assert record["published"] == "2021-09-25T21:58:00+00:00"
    assert len(record["passages"]) == 4

    fresh = tmp_path / "restored.db"
    restored = newsbot("ingest", "--jsonl", exported, db=fresh)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines()[-1] == "1 added, 0 duplicates, 0 failed"
    again = newsbot("export", db=fresh)  # to stdout this time
    assert json_lines(again.stdout) == [record]


def test_articles_json(seeded_db: Path) -> None:
    done = newsbot("articles", "--json", db=seeded_db)
    assert done.returncode == 0
    [listed] = json_lines(done.stdout)
    added = listed.pop("added")
    assert listed == {
        "id": 1,
        "url": None,
        "title": SEED_TITLE,
        "site": "Media Inter World",
        "published": "2021-09-25T21:58:00+00:00",
    }
    assert added.endswith("+00:00")


def test_remove_stats_and_an_unknown_id(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    assert newsbot("ingest", SEED, db=db).returncode == 0

    stats = newsbot("stats", db=db)
    assert stats.stdout.splitlines() == [
        "articles: 1",
        "passages: 4",
        "active subscribers: 0",
        "questions asked: 0 from readers (0% answered), 0 from the CLI",
    ]

    removed = newsbot("remove", "1", db=db)
    assert (removed.returncode, removed.stdout) == (0, f"Removed #1: {SEED_TITLE}\n")
    unknown = newsbot("remove", "1", db=db)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == "newsbot: There is no article with id 1.\n"

    listed = newsbot("articles", db=db)
    assert listed.stdout == "No articles yet. Add some with: newsbot ingest PATH_OR_URL\n"


def test_db_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    first = newsbot("db", "upgrade", db=db)
    assert (first.returncode, first.stdout) == (0, f"database at revision {head_revision()}\n")
    again = newsbot("db", "upgrade", db=db)
    assert again.stdout == f"database at revision {head_revision()} (already up to date)\n"


def test_bad_setting_is_a_clear_error(tmp_path: Path) -> None:
    done = newsbot(
        "stats", db=tmp_path / "n.db", env={"NEWSBOT_TIMEZONE": "Mars/Olympus"}, real=True
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("newsbot: invalid setting: NEWSBOT_TIMEZONE: ")
    assert "'Mars/Olympus'" in done.stderr
    assert "Traceback" not in done.stderr


# -- the README documents every command --------------------------------------------------------


def commands(parser: argparse.ArgumentParser, prefix: str = "newsbot") -> list[str]:
    """Every runnable command line: 'newsbot ask', 'newsbot db upgrade', ..."""
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                nested = commands(child, f"{prefix} {name}")
                found.extend(nested or [f"{prefix} {name}"])
    return found


def test_every_command_is_documented_in_the_readme() -> None:
    assert README.is_file(), f"{README} is missing"
    readme = README.read_text(encoding="utf-8")
    expected = commands(build_parser())
    assert "newsbot ask" in expected and "newsbot db upgrade" in expected
    missing = [command for command in expected if command not in readme]
    assert missing == [], f"README.md does not document: {', '.join(missing)}"


# -- bad input: one clear line, exit 1, nothing created (in-process: main() itself) -------------


@pytest.fixture
def cli(tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`cli(*args, db=path)` -> (exit status, stdout, stderr) of newsbot's main() in tmp_path."""
    clean_env.chdir(tmp_path)

    def run(*args: str | Path, db: Path = tmp_path / "newsbot.db") -> tuple[int, str, str]:
        clean_env.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{db}")
        try:
            status = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return status, out, err

    return run


def test_export_to_a_folder_or_a_missing_folder(cli: Any, tmp_path: Path) -> None:
    assert cli("ingest", SEED)[0] == 0
    status, _, err = cli("export", "--jsonl", tmp_path)
    assert (status, err) == (1, f"newsbot: Cannot write {tmp_path}: Is a directory\n")
    status, _, err = cli("export", "--jsonl", tmp_path / "no" / "such" / "x.jsonl")
    assert status == 1 and "No such file or directory" in err
    assert not (tmp_path / "no").exists()


def test_huge_and_hash_ids(cli: Any) -> None:
    assert cli("ingest", SEED)[0] == 0
    status, _, err = cli("remove", "99999999999999999999999")
    assert (status, err) == (1, "newsbot: There is no article with id 99999999999999999999999.\n")
    assert cli("remove", "#1")[:2] == (0, f"Removed #1: {SEED_TITLE}\n")
    status, _, err = cli("remove", "abc")
    assert status == 2 and "an article id is a number like 39 or #39, not 'abc'" in err
    status, _, err = cli("ask", "--top", "abc", "hello")
    assert status == 2 and "must be a whole number, got 'abc'" in err


def test_database_url_that_is_a_folder_or_not_a_database(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    for command in (["db", "upgrade"], ["stats"], ["ingest", SEED]):
        status, _, err = cli(*command, db=folder)
        assert (status, err) == (
            1,
            f"newsbot: The database {folder} is a folder, not a file (NEWSBOT_DATABASE_URL)\n",
        )
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all")
    for command in (["db", "upgrade"], ["stats"]):
        status, _, err = cli(*command, db=text)
        assert (status, err) == (
            1,
            f"newsbot: {text} is not a SQLite database (NEWSBOT_DATABASE_URL)\n",
        )
    assert text.read_text() == "not a database at all"


def test_read_only_commands_refuse_a_missing_database(cli: Any, tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "newsbot.db"
    for command in (["stats"], ["ask", "hello"], ["articles"], ["export"], ["remove", "1"]):
        status, out, err = cli(*command, db=missing)
        assert (status, out) == (1, "")
        assert err.startswith(f"newsbot: There is no database at {missing}")
    status, _, err = cli("ingest", SEED, db=missing)
    assert status == 1 and err.startswith(f"newsbot: The folder {missing.parent} does not exist")
    assert not missing.parent.exists()
    status, _, err = cli("stats", db=tmp_path / "newsbot.db")
    assert status == 1 and not (tmp_path / "newsbot.db").exists()


def test_db_upgrade_refuses_an_unrelated_database(cli: Any, tmp_path: Path) -> None:
    other = tmp_path / "accounts.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    status, _, err = cli("db", "upgrade", db=other)
    assert status == 1 and "holds other tables (invoices) and not newsbot's" in err
    with sqlite3.connect(other) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == [("invoices",)]


def test_ingest_urls_sources_and_skipped_files(cli: Any, tmp_path: Path) -> None:
    status, _, err = cli("ingest", "ftp://files.example/a.html")
    assert status == 1
    assert err == "failed: Only http and https URLs can be added: ftp://files.example/a.html\n"
    for bad in ("notaurl", "javascript:alert(1)"):
        status, _, err = cli("ingest", SEED, "--url", bad)
        assert (status, err) == (1, f"newsbot: --url must be an http(s) URL, got {bad!r}\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("b.pdf", "c.json", "d.txt.gz", ".hidden.txt"):
        (folder / name).write_bytes(b"x")
    status, out, _ = cli("ingest", folder)
    assert status == 0
    assert out.splitlines()[-1] == "1 added, 0 duplicates, 0 failed, 4 skipped (unsupported type)"


def test_articles_json_on_an_empty_database_and_the_header(cli: Any) -> None:
    assert cli("db", "upgrade")[0] == 0
    assert cli("articles", "--json")[:2] == (0, "")  # JSON lines: no article, no line
    assert cli("ingest", SEED)[0] == 0
    out = cli("articles")[1].splitlines()
    assert out[0] == "id  published  title (newest added first)"
    assert out[1].startswith("#1  ")


def test_prompt_quit_exit_help_and_ctrl_c(seeded_db: Path) -> None:
    done = newsbot("prompt", db=seeded_db, stdin=f"help\nquit\n{ZHONGGUANCUN}\n")
    assert (done.returncode, done.stderr) == (0, "")
    assert (
        done.stdout == "Type a question and press Enter; quit, exit, Ctrl-D or Ctrl-C to leave.\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSBOT_")}
    clean["NEWSBOT_DATABASE_URL"] = f"sqlite:///{seeded_db}"
    with subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli", "prompt"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=clean, cwd=seeded_db.parent, text=True,
    ) as process:  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{ZHONGGUANCUN}\n")
        process.stdin.flush()
        assert process.stdout.readline().startswith("1. ")  # answered: now waiting for a line
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err
