"""The database: engines and sessions, the schema, the article store, the migrations.

    engine.py      engines (WAL, the single writer), sessions, migrations to head
    models.py      the schema (SQLAlchemy 2 declarative), UTC datetimes
    articles.py    ArticleStore: articles, passages and the question log
    leases.py      roles one process at a time holds (`leader_for`): lease rows on SQLite
    advisory.py    the same roles as PostgreSQL advisory locks (replicas on several machines)
    changes.py     LISTEN/NOTIFY: wake the search index when another process changed articles
    copy.py        `newsbot db copy`: move an install to another database
    migrations/    Alembic (script_location = newsbot.db:migrations)

The engine functions are re-exported here, so `from newsbot import db; db.make_engine(...)`.
"""

from newsbot.db.engine import (
    alembic_config,
    async_url,
    current_revision,
    head_revision,
    index_snapshot_path,
    insert_for,
    is_postgres,
    make_engine,
    make_sessionmaker,
    make_sync_engine,
    sync_url,
    upgrade,
    upgrade_async,
)

__all__ = [
    "alembic_config",
    "async_url",
    "current_revision",
    "head_revision",
    "index_snapshot_path",
    "insert_for",
    "is_postgres",
    "make_engine",
    "make_sessionmaker",
    "make_sync_engine",
    "sync_url",
    "upgrade",
    "upgrade_async",
]
