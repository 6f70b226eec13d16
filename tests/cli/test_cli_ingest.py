"""Tests for `newsbot ingest` on SQLite files in tmp_path: the summary with duplicates and a
missing file, --url for a single file and refused for a folder, JSONL from stdin with a broken
line, and no source at all as a usage error.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import SEED, SEED_TITLE, json_lines, newsbot

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
