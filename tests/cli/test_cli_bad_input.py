"""Tests for the `newsbot` command line on bad input: one clear line, exit 1, nothing created.

In-process (main() itself, in tmp_path with a clean environment): exports to a folder or a
missing folder, huge and hash ids, database URLs that are folders or not databases, read-only
commands on a missing database, db upgrade on an unrelated database, ingest's URLs, sources and
skipped files, and articles on an empty database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.helpers.cli import SEED, SEED_TITLE

# -- bad input: one clear line, exit 1, nothing created (in-process: main() itself) -------------


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
