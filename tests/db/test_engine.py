"""Tests for newsbot.db and the migrations: schema at head, pragmas, autogenerate in step with the
models, URL checks, and the FTS5 index kept in sync by triggers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from newsbot import db
from newsbot.db.models import FTS_TABLE_PREFIX, Base
from newsbot.errors import ConfigError
from newsbot.service import Newsbot
from newsbot.settings import Settings

FTS_TABLES = {
    f"{FTS_TABLE_PREFIX}{suffix}" for suffix in ("", "_data", "_idx", "_docsize", "_config")
}
TRIGGERS = {"passages_ai", "passages_ad", "passages_au", "articles_ad"}


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/schema.db"


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    db.upgrade(url)
    engine = db.make_sync_engine(url)
    yield engine
    engine.dispose()


def schema_names(path: Path, kind: str) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
        names = {name for (name,) in rows}
    connection.close()
    return names


def test_new_database_is_upgraded_to_head(tmp_path: Path, url: str) -> None:
    assert db.current_revision(url) is None
    assert db.upgrade(url) is True
    assert db.head_revision() is not None
    assert db.current_revision(url) == db.head_revision()
    # Idempotent: nothing left to apply the second time.
    assert db.upgrade(url) is False
    assert db.current_revision(url) == db.head_revision()

    tables = schema_names(tmp_path / "schema.db", "table")
    # sqlite_sequence: SQLite's own table behind AUTOINCREMENT (ids are never reused).
    assert tables == set(Base.metadata.tables) | FTS_TABLES | {"alembic_version", "sqlite_sequence"}
    assert schema_names(tmp_path / "schema.db", "trigger") == TRIGGERS


def test_a_mistyped_folder_is_refused_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a/b/c/newsbot.db"
    with pytest.raises(ConfigError, match=r"The folder .*/a/b/c does not exist"):
        db.upgrade(url)
    assert not (tmp_path / "a").exists()


async def test_opening_the_service_migrates_a_new_database(url: str, clean_env: object) -> None:
    settings = Settings(database_url=url, _env_file=None)  # not `settings`: that one is at head
    assert db.current_revision(settings.database_url) is None
    async with await Newsbot.open(settings):
        assert db.current_revision(settings.database_url) == db.head_revision()


def test_downgrade_to_base_then_upgrade_again(tmp_path: Path, url: str) -> None:
    db.upgrade(url)
    command.downgrade(db.alembic_config(url), "base")
    assert db.current_revision(url) is None
    assert schema_names(tmp_path / "schema.db", "table") == {"alembic_version", "sqlite_sequence"}
    assert schema_names(tmp_path / "schema.db", "trigger") == set()
    assert db.upgrade(url) is True
    assert db.current_revision(url) == db.head_revision()


async def test_connections_from_make_engine_use_wal_and_foreign_keys(url: str) -> None:
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 30000
    finally:
        await engine.dispose()


def _write_from_another_connection(path: Path) -> None:
    other = sqlite3.connect(path, timeout=0)  # no waiting: fail at once if locked
    try:
        other.execute(
            "INSERT INTO questions (asked_at, answered, source) VALUES ('2024-01-01', 1, 'x')"
        )
        other.commit()
    finally:
        other.close()


@pytest.mark.parametrize(("writer", "locked"), [(True, True), (False, False)])
async def test_only_the_writer_engine_takes_the_write_lock_when_a_transaction_begins(
    tmp_path: Path, url: str, writer: bool, locked: bool
) -> None:
    db.upgrade(url)
    engine = db.make_engine(url, writer=writer)
    try:
        async with engine.connect() as connection, connection.begin():
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            await connection.execute(text("SELECT count(*) FROM articles"))  # a read, no write
            if locked:  # BEGIN IMMEDIATE: read-then-write transactions can't be overtaken
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    _write_from_another_connection(tmp_path / "schema.db")
            else:
                _write_from_another_connection(tmp_path / "schema.db")
    finally:
        await engine.dispose()


def test_connections_from_make_sync_engine_use_wal_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _autogenerate_diffs(url: str) -> tuple[list[Any], dict[str, Any]]:
    """What `alembic revision --autogenerate` would propose, configured by our env.py."""
    config = db.alembic_config(url)
    script = ScriptDirectory.from_config(config)
    found: list[Any] = []
    options: dict[str, Any] = {}

    def compare(_revision: Any, context: MigrationContext) -> list[Any]:
        options.update(context.opts)
        found.extend(compare_metadata(context, Base.metadata))
        return []

    with EnvironmentContext(config, script, fn=compare):
        script.run_env()
    return found, options


def test_autogenerate_proposes_no_changes(url: str) -> None:
    db.upgrade(url)
    diffs, options = _autogenerate_diffs(url)
    assert diffs == []
    assert options["render_as_batch"] is True
    # The same check through Alembic's own command (raises AutogenerateDiffsDetected).
    command.check(db.alembic_config(url))


def test_without_the_env_filter_autogenerate_would_drop_the_fts_tables(engine: Engine) -> None:
    # Shows that the empty diff above is the include_object filter's doing, not luck.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diffs = compare_metadata(context, Base.metadata)
    assert sorted(d[1].name for d in diffs if d[0] == "remove_table") == sorted(FTS_TABLES)
    assert all(d[0] == "remove_table" for d in diffs)


@pytest.mark.parametrize(
    "factory", [db.make_engine, db.make_sync_engine, db.upgrade, db.current_revision]
)
def test_other_databases_are_a_config_error_naming_them(factory: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        factory("mysql://newsbot@db.internal/news")
    message = str(caught.value)
    assert "'mysql'" in message
    assert "mysql://newsbot@db.internal/news" in message
    assert "sqlite:///" in message and "postgresql://" in message  # says what to use instead


def test_a_postgres_url_without_a_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="names no database"):
        db.make_engine("postgresql://newsbot@db.internal")


@pytest.mark.parametrize(
    ("url", "sync", "async_"),
    [
        ("postgresql://u:pw@h:5433/news", "postgresql+psycopg", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/news", "postgresql+psycopg", "postgresql+asyncpg"),
        ("sqlite:////srv/news.db", "sqlite", "sqlite+aiosqlite"),
    ],
)
def test_urls_get_newsbots_drivers(url: str, sync: str, async_: str) -> None:
    assert db.sync_url(url).drivername == sync
    assert db.async_url(url).drivername == async_
    assert db.async_url(url).database == db.sync_url(url).database


def test_index_snapshots_of_postgres_databases_are_kept_apart() -> None:
    one = db.index_snapshot_path("postgresql://u@h/news")
    assert one == db.index_snapshot_path("postgresql+asyncpg://other-user:pw@h/news")
    assert one != db.index_snapshot_path("postgresql://u@h/other")
    assert one.name.endswith(".search-index.npz")


def test_unparsable_url_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"Not a database URL: 'newsbot\.db'"):
        db.make_engine("newsbot.db")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_url_is_refused_clearly(url: str) -> None:
    with pytest.raises(ConfigError, match="in-memory") as caught:
        db.make_engine(url)
    assert repr(url) in str(caught.value)


# -- the FTS5 index follows the passages table -----------------------------------------------


def _add_article(connection: Any, title: str, passages: list[str]) -> int:
    article_id = connection.execute(
        text(
            "INSERT INTO articles (title, added_at, fingerprint, text) "
            "VALUES (:title, '2024-01-01 00:00:00', :fp, :body) RETURNING id"
        ),
        {"title": title, "fp": title, "body": "\n\n".join(passages)},
    ).scalar_one()
    for position, body in enumerate(passages):
        connection.execute(
            text("INSERT INTO passages (article_id, position, text) VALUES (:a, :p, :t)"),
            {"a": article_id, "p": position, "t": body},
        )
    return int(article_id)


def _match(connection: Any, query: str) -> list[int]:
    rows = connection.execute(
        text("SELECT rowid FROM passages_fts WHERE passages_fts MATCH :q ORDER BY rowid"),
        {"q": query},
    )
    return [rowid for (rowid,) in rows]


def _check_fts_integrity(connection: Any) -> None:
    # Raises "database disk image is malformed" when the index and the passages disagree.
    connection.execute(text("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')"))


def test_fts_follows_inserts_updates_and_deletes(engine: Engine) -> None:
    with engine.begin() as connection:
        first = _add_article(connection, "Baikal", ["Ice road on Lake Baikal", "Trucks cross"])
        second = _add_article(connection, "Iceland", ["Volcano erupts near Reykjavík"])
        assert (first, second) == (1, 2)
        assert _match(connection, "baikal") == [1]
        assert _match(connection, "reykjavik") == [3]  # remove_diacritics: í matches i
        assert _match(connection, "trucks OR volcano") == [2, 3]
        _check_fts_integrity(connection)

        connection.execute(text("UPDATE passages SET text = 'Lorries cross' WHERE id = 2"))
        assert _match(connection, "trucks") == []
        assert _match(connection, "lorries") == [2]

        connection.execute(text("DELETE FROM passages WHERE id = 3"))
        assert _match(connection, "volcano") == []
        _check_fts_integrity(connection)
        assert connection.execute(text("SELECT count(*) FROM article_removals")).scalar() == 0


def test_deleting_an_article_cascades_to_passages_fts_and_logs_the_removal(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        keep = _add_article(connection, "Keep", ["Glaciers in Patagonia"])
        drop = _add_article(connection, "Drop", ["Glaciers in Iceland", "Geysers in Iceland"])
        assert _match(connection, "glaciers") == [1, 2]

        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": drop})

        passages = connection.execute(text("SELECT id, article_id FROM passages")).all()
        assert [tuple(row) for row in passages] == [(1, keep)]
        assert _match(connection, "glaciers") == [1]
        assert _match(connection, "iceland OR geysers") == []
        _check_fts_integrity(connection)
        removals = connection.execute(text("SELECT id, article_id FROM article_removals")).all()
        assert [tuple(row) for row in removals] == [(1, drop)]


def test_foreign_keys_refuse_a_passage_of_no_article(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"), engine.begin() as c:
        c.execute(text("INSERT INTO passages (article_id, position, text) VALUES (99, 0, 'x')"))
