"""newsbot.db and the migrations on PostgreSQL: the same Alembic history as SQLite reaches the
same head, autogenerate proposes nothing on either backend, the removal log's plpgsql trigger,
and the writer lock that keeps passage ids in commit order across replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from newsbot import db
from newsbot.db.models import Base
from tests.db.test_engine import _autogenerate_diffs
from tests.helpers.databases import BOTH, fresh_postgres_database

BACKENDS = BOTH


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    db.upgrade(pg_url)
    engine = db.make_sync_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend (`database_url` is one at head)."""
    if not db.is_postgres(database_url):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def test_both_backends_reach_head_and_autogenerate_proposes_nothing(empty_url: str) -> None:
    database_url = empty_url
    assert db.current_revision(database_url) is None
    assert db.upgrade(database_url) is True
    assert db.current_revision(database_url) == db.head_revision()
    diffs, _ = _autogenerate_diffs(database_url)
    assert diffs == []
    command.check(db.alembic_config(database_url))


def test_postgres_schema_has_the_models_tables_and_no_fts(pg_engine: Engine) -> None:
    tables = set(inspect(pg_engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    with pg_engine.connect() as connection:
        triggers = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        ).scalars()
        assert list(triggers) == [
            "article_removals_notify",
            "articles_ad",
            "passage_vectors_notify",
            "passages_notify",
        ]


def test_postgres_downgrade_to_base_then_upgrade_again(pg_url: str, pg_engine: Engine) -> None:
    command.downgrade(db.alembic_config(pg_url), "base")
    assert db.current_revision(pg_url) is None
    assert set(inspect(pg_engine).get_table_names()) == {"alembic_version"}
    with pg_engine.connect() as connection:
        functions = connection.execute(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'log_article_removal'")
        ).scalar()
    assert functions == 0
    assert db.upgrade(pg_url) is True


def test_deleting_an_article_logs_its_removal_and_cascades(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        ids = [
            connection.execute(
                text(
                    "INSERT INTO articles (title, added_at, fingerprint, text) "
                    "VALUES (:t, now(), :f, 'x') RETURNING id"
                ),
                {"t": title, "f": title},
            ).scalar_one()
            for title in ("keep", "drop")
        ]
        for article_id in ids:
            connection.execute(
                text("INSERT INTO passages (article_id, position, text) VALUES (:a, 0, 'p')"),
                {"a": article_id},
            )
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": ids[1]})
        assert connection.execute(text("SELECT article_id FROM passages")).scalars().all() == [
            ids[0]
        ]
        removals = connection.execute(text("SELECT id, article_id FROM article_removals"))
        assert [tuple(row) for row in removals] == [(1, ids[1])]


def test_two_processes_migrating_a_new_database_at_once(pg_url: str) -> None:
    async def both() -> list[bool]:
        return list(await asyncio.gather(db.upgrade_async(pg_url), db.upgrade_async(pg_url)))

    assert sorted(asyncio.run(both())) == [False, True]
    assert db.current_revision(pg_url) == db.head_revision()


async def test_writer_transactions_queue_behind_each_other(pg_url: str) -> None:
    """The advisory lock: a second writer (another replica) waits for the first to commit."""
    db.upgrade(pg_url)
    first, second = db.make_engine(pg_url, writer=True), db.make_engine(pg_url, writer=True)
    order: list[str] = []
    try:
        async with first.connect() as one, one.begin():
            await one.execute(text("SELECT 1"))

            async def other() -> None:
                async with second.connect() as two, two.begin():
                    await two.execute(text("SELECT 1"))
                    order.append("second")

            task = asyncio.create_task(other())
            await asyncio.sleep(0.3)
            order.append("first")
        await task
    finally:
        await first.dispose()
        await second.dispose()
    assert order == ["first", "second"]


def test_postgres_snapshot_path_is_outside_any_database_folder(pg_url: str) -> None:
    path = db.index_snapshot_path(pg_url)
    assert isinstance(path, Path) and "postgresql-" in path.name
