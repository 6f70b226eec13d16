"""Database engine, sessions and migrations.

SQLite (the default) is opened in WAL mode with foreign keys on and a busy timeout, so concurrent
readers and one writer never see "database is locked". PostgreSQL (for several replicas) goes
through asyncpg, and psycopg 3 where a sync connection is needed. A new database is migrated to
head on first use.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
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


POSTGRES_SYNC_DRIVER = "postgresql+psycopg"
# asyncpg for the services: 2.6x psycopg's bulk inserts, 1.5x its point reads (see the note in
# docs/benchmarks.md); psycopg 3 for what must be synchronous (migrations, the index reader).
POSTGRES_ASYNC_DRIVER = "postgresql+asyncpg"
URL_HINT = (
    "use a URL like sqlite:////var/lib/newsbot/newsbot.db or "
    "postgresql://newsbot@db.internal/newsbot"
)
# Every writer transaction on PostgreSQL takes this transaction-level advisory lock first: what
# BEGIN IMMEDIATE is on SQLite. Writers across replicas then commit passages and removals in id
# order, so an index that follows the database by id never skips a row that commits late.
WRITER_LOCK_KEY = 0x6E657773  # "news"
MIGRATION_LOCK_KEY = WRITER_LOCK_KEY + 1


def _parse(database_url: str) -> URL:
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as exc:  # unparseable; a port that isn't a number
        raise ConfigError(f"Not a database URL: {database_url!r}") from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        if not url.database:
            raise ConfigError(f"the PostgreSQL URL {database_url!r} names no database; {URL_HINT}")
        return url
    if backend != "sqlite":
        raise ConfigError(
            f"newsbot needs SQLite or PostgreSQL, got {backend!r} in {database_url!r}; {URL_HINT}"
        )
    if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
        # Every engine would get a database of its own, and nothing would be kept.
        raise ConfigError(
            f"newsbot needs a database file, not an in-memory database ({database_url!r}); "
            "use a URL like sqlite:////var/lib/newsbot/newsbot.db"
        )
    return url


def is_postgres(database_url: str) -> bool:
    """Whether the URL is a PostgreSQL one (several replicas may share it)."""
    return _parse(database_url).get_backend_name() == "postgresql"


def sync_url(database_url: str) -> URL:
    """The URL with a sync driver (for migrations and the index's reader)."""
    url = _parse(database_url)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername=POSTGRES_SYNC_DRIVER)
    return url.set(drivername="sqlite")


def async_url(database_url: str) -> URL:
    """The URL with the async driver (aiosqlite, asyncpg)."""
    url = _parse(database_url)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername=POSTGRES_ASYNC_DRIVER)
    return url.set(drivername="sqlite+aiosqlite")


def _ensure_folder(url: URL) -> None:
    if url.get_backend_name() != "sqlite":
        return
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
    """Where the search index is saved between runs: beside a SQLite file; for PostgreSQL in
    the user's cache folder, one file per server and database (the snapshot checks that it
    still fits the database before it is used)."""
    url = sync_url(database_url)
    if url.get_backend_name() == "postgresql":
        where = f"{url.host}:{url.port}/{url.database}".encode()
        name = f"postgresql-{hashlib.sha256(where).hexdigest()[:16]}.search-index.npz"
        return Path(platformdirs.user_cache_dir("newsbot", appauthor=False)) / name
    database = Path(str(url.database)).expanduser()
    return database.with_name(database.name + ".search-index.npz")


def make_sync_engine(database_url: str, *, pooled: bool = False) -> Engine:
    """A plain SQLAlchemy engine with newsbot's pragmas (pooled for repeated quick reads)."""
    url = sync_url(database_url)
    _ensure_folder(url)
    engine = create_engine(url) if pooled else create_engine(url, poolclass=NullPool)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _on_connect)
    return engine


def make_engine(database_url: str, *, writer: bool = False) -> AsyncEngine:
    """The async engine the services use; `writer=True` for the one that writes.

    The writer's transactions start with BEGIN IMMEDIATE, taking SQLite's write lock before
    their first read: a transaction that reads (say, to find duplicates) and then writes can
    otherwise fail at once with "database is locked" when another connection wrote in between,
    and busy_timeout doesn't help there. One connection, so in-process writers queue here.
    On PostgreSQL the writer's transactions take an advisory lock instead (`WRITER_LOCK_KEY`),
    which queues the writers of every replica the same way.
    """
    url = async_url(database_url)
    _ensure_folder(url)
    postgres = url.get_backend_name() == "postgresql"
    if not writer:
        engine = create_async_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=postgres)
        if not postgres:
            event.listen(engine.sync_engine, "connect", _on_connect)
        return engine
    engine = create_async_engine(
        url, pool_size=1, max_overflow=0, pool_timeout=120, pool_pre_ping=postgres
    )
    if postgres:
        event.listen(engine.sync_engine, "begin", _take_writer_lock)
        return engine
    event.listen(engine.sync_engine, "connect", _on_connect_writer)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _on_connect_writer(dbapi_connection: Any, record: Any) -> None:
    _on_connect(dbapi_connection, record)
    # Let SQLAlchemy, not the driver, say when a transaction begins (SQLAlchemy's recipe).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _take_writer_lock(connection: Any) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def insert_for(dialect_name: str, table: Any) -> sqlite.Insert | postgresql.Insert:
    """INSERT with the dialect's ON CONFLICT clauses (an upsert, or DO NOTHING)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


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


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision: read once a process (the migrations ship with the
    package), not at each start of the service (~5 ms of CPU each time)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


_SQLITE_HEADER = b"SQLite format 3\x00"


def check_database(database_url: str, *, create: bool = True) -> None:
    """Refuse, with a clear message, a database file newsbot can't or shouldn't use.

    A folder, a file that isn't SQLite, and (unless `create`) a database that doesn't exist yet;
    creating one needs its folder to exist, except the default one in the user's data folder.
    """
    from newsbot.settings import default_database_url  # settings imports nothing from here

    url = sync_url(database_url)
    if url.get_backend_name() != "sqlite":  # a server: it says itself what's wrong
        return
    if not url.database or url.database.startswith("file:"):
        return
    path = Path(url.database).expanduser()
    if path.is_dir():
        raise ConfigError(f"The database {path} is a folder, not a file (NEWSBOT_DATABASE_URL)")
    if path.exists():
        try:
            with open(path, "rb") as handle:
                head = handle.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise ConfigError(f"Cannot read the database {path}: {exc.strerror or exc}") from None
        if head and head != _SQLITE_HEADER:
            raise ConfigError(f"{path} is not a SQLite database (NEWSBOT_DATABASE_URL)")
        return
    if not create:
        raise ConfigError(
            f"There is no database at {path}: add articles first (newsbot ingest), "
            "or fix NEWSBOT_DATABASE_URL"
        )
    if not path.parent.is_dir() and database_url != default_database_url():
        raise ConfigError(
            f"The folder {path.parent} does not exist: create it first, or fix NEWSBOT_DATABASE_URL"
        )


def _foreign_tables(database_url: str) -> list[str]:
    """Tables of a database without newsbot's schema (empty for a new database)."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                query = (
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
                )
            else:
                query = (
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_name != 'alembic_version'"
                )
            rows = connection.exec_driver_sql(query)
            return sorted(str(row[0]) for row in rows)
    finally:
        engine.dispose()


def upgrade(database_url: str, *, create: bool = True) -> bool:
    """Migrate the database to head; returns True when anything was applied.

    Refuses (ConfigError) what `check_database` refuses, and a database that holds other tables
    but not newsbot's schema: its tables are someone else's.

    Two processes starting on a new database at once (the bot and a CLI command, two
    replicas) would both create the tables: a lock makes the second wait, then find it
    already done. SQLite: a lock file beside the database (its DDL under the Python driver
    isn't transactional); PostgreSQL: a session advisory lock.
    """
    check_database(database_url, create=create)
    if current_revision(database_url) == head_revision():
        return False
    if current_revision(database_url) is None and (tables := _foreign_tables(database_url)):
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise ConfigError(
            f"{sync_url(database_url).database} holds other tables ({shown}) and not newsbot's: "
            "refusing to add newsbot's tables to it (NEWSBOT_DATABASE_URL)"
        )
    with _migration_lock(sync_url(database_url)):
        if current_revision(database_url) == head_revision():
            return False
        command.upgrade(alembic_config(database_url), "head")
    return True


@contextmanager
def _migration_lock(url: URL) -> Iterator[None]:
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
                connection.commit()
                try:
                    yield
                finally:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                    connection.commit()
        finally:
            engine.dispose()
        return
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


async def upgrade_async(database_url: str, *, create: bool = True) -> bool:
    """`upgrade` off the event loop."""
    return await asyncio.to_thread(upgrade, database_url, create=create)
