"""Fixtures shared by the service-layer tests: hermetic settings on a real database (a SQLite
file in tmp_path, or a fresh PostgreSQL database), a service over it, and the same service
holding the sample article.

`database_url` is SQLite; a test module that sets `BACKENDS = BOTH` runs every test that uses
it (through `settings`, `service`...) on SQLite and on PostgreSQL. PostgreSQL tests need
NEWSBOT_TEST_POSTGRES_URL (`.ci/run` sets it); without it they are skipped, saying so.

Bot tests build their own fixtures (see test_bot_support.py); these stay small on purpose.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from newsbot import db
from newsbot.service import SAMPLE_DATA, Newsbot
from newsbot.settings import Settings

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
# Read once, before `clean_env` removes every NEWSBOT_* variable from the tests' environment.
POSTGRES_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "").strip() or None
NO_POSTGRES = (
    "PostgreSQL tests need a server: set NEWSBOT_TEST_POSTGRES_URL, e.g. "
    "postgresql://postgres@127.0.0.1:5432/test (.ci/run does)"
)
SQLITE, POSTGRESQL = "sqlite", "postgresql"
BOTH = (SQLITE, POSTGRESQL)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: in a BACKENDS = BOTH module, a test of SQLite's own parts (FTS5)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backends = getattr(metafunc.module, "BACKENDS", None)
    if backends and "database_url" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = (SQLITE,)
        metafunc.parametrize("database_url", backends, indirect=True)


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A new database on the test server (dropped afterwards), so runs never collide: empty,
    or a copy of `template` (a database already migrated to head: much quicker than
    migrating each one)."""
    if POSTGRES_URL is None:
        pytest.skip(NO_POSTGRES)
    admin = create_engine(db.sync_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"newsbot_test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
        url = make_url(POSTGRES_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated to head, once per run, that the tests' databases copy."""
    with fresh_postgres_database() as url:
        db.upgrade(url)
        yield str(make_url(url).database)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database the service migrates on first use: a new SQLite file in tmp_path, or
    (parametrized) a new PostgreSQL database at head."""
    backend = getattr(request, "param", SQLITE)
    if backend == POSTGRESQL:
        if POSTGRES_URL is None:
            pytest.skip(NO_POSTGRES)
        with fresh_postgres_database(request.getfixturevalue("postgres_template")) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/newsbot.db"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No NEWSBOT_* variable from the developer's shell or CI leaks into a test."""
    for key in list(os.environ):
        if key.upper().startswith("NEWSBOT_"):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture
def settings(database_url: str, clean_env: pytest.MonkeyPatch) -> Settings:
    return Settings(database_url=database_url, _env_file=None)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Newsbot]:
    app = await Newsbot.open(settings)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def seeded(service: Newsbot) -> Newsbot:
    """The service with the sample article (id 1, four passages) stored."""
    result = await service.ingestor.add_file(SEED)
    assert (result.status, result.article_id, result.passages) == ("added", 1, 4), result
    return service
