"""Fixtures shared by the service-layer tests: hermetic settings on a real database (a SQLite
file in tmp_path, or a fresh PostgreSQL database), a service over it, and the same service
holding the sample article.

`database_url` is SQLite; a test module that sets `BACKENDS = BOTH` runs every test that uses
it (through `settings`, `service`...) on SQLite and on PostgreSQL. PostgreSQL tests need
NEWSBOT_TEST_POSTGRES_URL (`.ci/run` sets it); without it they are skipped, saying so.

Bot tests build their own fixtures (see tests/helpers/bot.py); these stay small on purpose.

newsbot is imported by the fixtures, not here: with pytest-xdist the controller process loads
this file too, and runs no test (importing the service costs ~2 CPU-s).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

from newsbot import sample_data
from tests.helpers.databases import (
    NO_POSTGRES,
    POSTGRES_URL,
    POSTGRESQL,
    SQLITE,
    fresh_postgres_database,
    sqlite_at_head,
)

if TYPE_CHECKING:
    from newsbot.service import Newsbot
    from newsbot.settings import Settings

# The sample article, in newsbot.service.SAMPLE_DATA (found without importing the service).
SEED = Path(sample_data.__file__).resolve().parent / "000_7eff7d7cd2e338f5.txt"

# No per-example deadline: the suite runs in several workers on two cores, where a 200 ms
# example is noise, not a finding (speed is measured by benchmarks/). Examples stay as many.
hypothesis_settings.register_profile("newsbot", deadline=None)
hypothesis_settings.load_profile("newsbot")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: in a BACKENDS = BOTH module, a test of SQLite's own parts (FTS5)"
    )


LONG_FIRST = (
    "tests/e2e/test_replicas.py",  # ~30 s: two `newsbot run` processes share a fan-out
    "tests/e2e/test_digest_delivery.py",  # 300 digests paced by the flood limit, both backends
    "tests/e2e/",
    "tests/db/test_advisory.py",
    "tests/ingest/test_passages.py",  # hypothesis splitting
)
"""Where the longest tests are, longest first: they run first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (`LONG_FIRST`), the others in their order. `make test`'s
    workers take tests two at a time as they finish (`--dist load --maxschedchunk 2`), so the
    long ones start at once on different workers; last in the order (tests/e2e sorts late),
    the replica test started at ~200 s and the whole run waited on it."""

    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)),
            len(LONG_FIRST),
        )

    items.sort(key=rank)  # stable: within a rank, the collection's order


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backends = getattr(metafunc.module, "BACKENDS", None)
    if backends and "database_url" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = (SQLITE,)
        metafunc.parametrize("database_url", backends, indirect=True)


# Loggers whose level the command line (`main`, in-process) or the playground set.
CLI_LOGGERS = ("", "httpx", "alembic", "apscheduler", "telegram", "botapi_emulator", "tornado")


@pytest.fixture(autouse=True)
def _logger_levels() -> Iterator[None]:
    """Put back the log levels an in-process `newsbot` run set (quiet unless -v), so no test
    depends on which ran before it."""
    levels = {name: logging.getLogger(name).level for name in (*CLI_LOGGERS, "newsbot")}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated to head, once per run, that the tests' databases copy."""
    from sqlalchemy.engine import make_url

    from newsbot import db

    with fresh_postgres_database() as url:
        db.upgrade(url)
        yield str(make_url(url).database)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database at head: a SQLite file in tmp_path, or (parametrized) a PostgreSQL
    database; each a copy of one migrated once."""
    backend = getattr(request, "param", SQLITE)
    if backend == POSTGRESQL:
        if POSTGRES_URL is None:
            pytest.skip(NO_POSTGRES)
        with fresh_postgres_database(request.getfixturevalue("postgres_template")) as url:
            yield url
    else:
        yield sqlite_at_head(tmp_path / "newsbot.db")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No NEWSBOT_* variable from the developer's shell or CI leaks into a test."""
    for key in list(os.environ):
        if key.upper().startswith("NEWSBOT_"):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture
def settings(database_url: str, clean_env: pytest.MonkeyPatch) -> Settings:
    from newsbot.settings import Settings

    return Settings(database_url=database_url, _env_file=None)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Newsbot]:
    from newsbot.service import Newsbot

    app = await Newsbot.open(settings)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def seeded(service: Newsbot) -> Newsbot:
    """The service with the sample article (id 1, four passages) stored: read here, as the
    extraction worker would (`newsbot.ingest.worker`, tested in tests/ingest/test_worker.py),
    not in one: starting a worker process for each of some 400 tests cost ~100 ms apiece."""
    from newsbot.ingest.pipeline import read_file

    result = await service.ingestor.add_extracted(str(SEED), read_file(SEED))
    assert (result.status, result.article_id, result.passages) == ("added", 1, 4), result
    return service
