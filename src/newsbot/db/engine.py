"""Database engine, sessions and migrations.

SQLite is opened in WAL mode with foreign keys on and a busy timeout, so concurrent readers and
one writer never see "database is locked". A new database is migrated to head on first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from newsbot.errors import ConfigError

try:
    import fcntl
except ImportError:  # Windows: no lock, run migrations from one process at a time
    fcntl = None  # type: ignore[assignment]

# Alembic's package-resource form: found inside the installed package, wheel or editable.
SCRIPT_LOCATION = "newsbot.db:migrations"


def _sqlite_url(database_url: str) -> URL:
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as exc:  # unparseable; a port that isn't a number
        raise ConfigError(f"Not a database URL: {database_url!r}") from exc
    if url.get_backend_name() != "sqlite":
        raise ConfigError(
            f"newsbot needs SQLite (it uses FTS5), got {url.get_backend_name()!r} in "
            f"{database_url!r}; use a URL like sqlite:////var/lib/newsbot/newsbot.db"
        )
    if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
        # Every engine would get a database of its own, and nothing would be kept.
        raise ConfigError(
            f"newsbot needs a database file, not an in-memory database ({database_url!r}); "
            "use a URL like sqlite:////var/lib/newsbot/newsbot.db"
        )
    return url


def sync_url(database_url: str) -> URL:
    """The URL with the standard sync SQLite driver (for migrations and bulk tools)."""
    return _sqlite_url(database_url).set(drivername="sqlite")


def async_url(database_url: str) -> URL:
    """The URL with the aiosqlite driver."""
    return _sqlite_url(database_url).set(drivername="sqlite+aiosqlite")


def _ensure_folder(url: URL) -> None:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; busy_timeout makes a second writer wait
    # instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def index_snapshot_path(database_url: str) -> Path:
    """Where the search index is saved between runs: beside the database file."""
    database = Path(str(sync_url(database_url).database)).expanduser()
    return database.with_name(database.name + ".search-index.npz")


def make_sync_engine(database_url: str, *, pooled: bool = False) -> Engine:
    """A plain SQLAlchemy engine with newsbot's pragmas (pooled for repeated quick reads)."""
    url = sync_url(database_url)
    _ensure_folder(url)
    engine = create_engine(url) if pooled else create_engine(url, poolclass=NullPool)
    event.listen(engine, "connect", _on_connect)
    return engine


def make_engine(database_url: str, *, writer: bool = False) -> AsyncEngine:
    """The async engine the services use; `writer=True` for the one that writes.

    The writer's transactions start with BEGIN IMMEDIATE, taking SQLite's write lock before
    their first read: a transaction that reads (say, to find duplicates) and then writes can
    otherwise fail at once with "database is locked" when another connection wrote in between,
    and busy_timeout doesn't help there. One connection, so in-process writers queue here.
    """
    url = async_url(database_url)
    _ensure_folder(url)
    if not writer:
        engine = create_async_engine(url, pool_size=5, max_overflow=10)
        event.listen(engine.sync_engine, "connect", _on_connect)
        return engine
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=120)
    event.listen(engine.sync_engine, "connect", _on_connect_writer)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _on_connect_writer(dbapi_connection: Any, record: Any) -> None:
    _on_connect(dbapi_connection, record)
    # Let SQLAlchemy, not the driver, say when a transaction begins (SQLAlchemy's recipe).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy loads from handlers)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration, pointing at our migrations and at this database."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if database_url is not None:
        config.attributes["database_url"] = sync_url(database_url).render_as_string(False)
    return config


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for a new one."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest migration's revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(database_url: str) -> bool:
    """Migrate the database to head; returns True when anything was applied.

    Two processes starting on a new database at once (the bot and a CLI command) would both
    create the tables, and SQLite DDL under the Python driver isn't transactional: a lock file
    beside the database makes the second wait, then find it already done.
    """
    if current_revision(database_url) == head_revision():
        return False
    with _migration_lock(sync_url(database_url)):
        if current_revision(database_url) == head_revision():
            return False
        command.upgrade(alembic_config(database_url), "head")
    return True


@contextmanager
def _migration_lock(url: URL) -> Iterator[None]:
    if fcntl is None or not url.database:
        yield
        return
    lock_path = Path(url.database).expanduser().with_name(Path(url.database).name + ".lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def upgrade_async(database_url: str) -> bool:
    """`upgrade` off the event loop."""
    return await asyncio.to_thread(upgrade, database_url)
