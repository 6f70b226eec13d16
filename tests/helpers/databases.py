"""Test databases: SQLite files, and new PostgreSQL databases on the server that
NEWSBOT_TEST_POSTGRES_URL names (`.ci/run` sets it; without it those tests are skipped).

SQLAlchemy and newsbot are imported when a database is made: tests/conftest.py imports this
module in pytest-xdist's controller too, which runs no test."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Read once, before `clean_env` removes every NEWSBOT_* variable from the tests' environment.
POSTGRES_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "").strip() or None
NO_POSTGRES = (
    "PostgreSQL tests need a server: set NEWSBOT_TEST_POSTGRES_URL, e.g. "
    "postgresql://postgres@127.0.0.1:5432/test (.ci/run does)"
)
SQLITE, POSTGRESQL = "sqlite", "postgresql"
BOTH = (SQLITE, POSTGRESQL)


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A new database on the test server (dropped afterwards), so runs never collide: empty,
    or a copy of `template` (a database already migrated to head: much quicker than
    migrating each one).

    Its commits don't wait for the server's disk (synchronous_commit off, for this database
    only): a commit is still atomic and seen by every other session at once, only a crash of
    the server itself could lose the last ones, which no test does. Each commit waited for
    an fsync, ~300 of them in a row in the digest tests."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from newsbot import db

    if POSTGRES_URL is None:
        pytest.skip(NO_POSTGRES)
    admin = create_engine(db.sync_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"newsbot_test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        url = make_url(POSTGRES_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite database migrated to head, once per test process (in a folder of its own,
    removed at exit)."""
    from newsbot import db

    folder = Path(tempfile.mkdtemp(prefix="newsbot-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "head.db"
    db.upgrade(f"sqlite:///{path}")
    return path


def sqlite_at_head(path: Path) -> str:
    """The URL of a SQLite database at `path`; when there is none yet, a copy of the process's
    template at head (Alembic's revisions take ~0.2 s of CPU a database; a copy, a
    millisecond). Tests of migrating a new database use a URL of their own."""
    if not path.exists():
        shutil.copyfile(_sqlite_template(), path)
    return f"sqlite:///{path}"
