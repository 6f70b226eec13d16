"""Tests for the `newsbot` command line on SQLite files in tmp_path: in-process through
`main(argv)` (stdin, stdout, stderr, the environment and the working folder swapped for the call),
and a few as a real `python -m newsbot.cli` subprocess, the way a user runs it.

This module: ask and prompt on a database holding the sample article (shared by its read-only
tests), export, articles, remove, stats and db, and the README documenting every command.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.cli import build_parser
from newsbot.db import head_revision
from tests.helpers.cli import SEED, SEED_TITLE, json_lines, newsbot

README = Path(__file__).resolve().parents[2] / "README.md"
DATA = Path(__file__).resolve().parents[1] / "data"
HOSTILE: dict[str, str] = json.loads((DATA / "hostile_questions.json").read_text(encoding="utf-8"))
ZHONGGUANCUN = "What is Zhongguancun known as?"
UNANSWERABLE = "Who won the 2018 football world cup?"


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


# -- ask and prompt -----------------------------------------------------------------------------


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
