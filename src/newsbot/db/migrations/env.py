"""Alembic environment: the URL comes from newsbot's settings (or the caller), never alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.schema import SchemaItem

from newsbot.db import make_sync_engine
from newsbot.db.models import FTS_TABLE_PREFIX, Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from newsbot.settings import Settings  # only when run by the plain `alembic` command

    return Settings().database_url


def include_object(
    obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Keep autogenerate away from the FTS5 tables, which the models don't describe."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIX))


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_sync_engine(_database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
