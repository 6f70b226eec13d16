"""`newsbot db copy SRC DST`: move an install to another database (SQLite to PostgreSQL, say)
without losing a subscriber: articles and passages with their ids and the time they were added
(so digests don't send them again as new), subscriptions with their delivery claims (so today's
digest doesn't go out twice), feeds with the entries each has listed (so the next poll ingests
nothing twice and the conditional GET goes on), readers' feedback and the question log. One
transaction on DST: all or nothing. Not copied: what expires by itself (answers' button tokens,
follow-up context, processed update ids, leases) and the vectors cache (recomputed).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, insert, select, text

from newsbot.db import engine as db
from newsbot.db.models import Base
from newsbot.errors import NewsbotError

# In an order that satisfies the foreign keys (feed entries after their feeds).
TABLES = (
    "articles",
    "passages",
    "subscriptions",
    "feeds",
    "feed_entries",
    "feedback",
    "questions",
)
BATCH = 2000


class CopyRefused(NewsbotError):
    """The destination already holds data: copying would mix two installs."""


def copy_database(
    source_url: str, target_url: str, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of `TABLES` from source to target (migrated to head first, and empty);
    returns the rows copied per table."""
    for url in (source_url, target_url):
        db.upgrade(url)
    source, target = db.make_sync_engine(source_url), db.make_sync_engine(target_url)
    copied: dict[str, int] = {}
    try:
        with source.connect() as reading, target.begin() as writing:
            for name in TABLES:
                held = writing.execute(select(func.count()).select_from(Base.metadata.tables[name]))
                if held.scalar():
                    raise CopyRefused(
                        f"{target.url.render_as_string()} already holds {name}: copy into a new, "
                        "empty database"
                    )
            for name in TABLES:
                table = Base.metadata.tables[name]
                [key] = table.primary_key.columns
                copied[name], last = 0, None
                while True:
                    query = select(table).order_by(key).limit(BATCH)
                    if last is not None:
                        query = query.where(key > last)
                    rows = [dict(row._mapping) for row in reading.execute(query)]
                    if not rows:
                        break
                    writing.execute(insert(table), rows)
                    copied[name] += len(rows)
                    last = rows[-1][key.name]
                    if progress is not None:
                        progress(name, copied[name])
                if target.dialect.name == "postgresql" and copied[name]:
                    # The ids came along: the sequence must start after them. (Names from
                    # TABLES and the schema, not from input.)
                    setval = (
                        f"SELECT setval(pg_get_serial_sequence('{name}', '{key.name}'), "  # noqa: S608
                        f"(SELECT max({key.name}) FROM {name}))"
                    )
                    writing.execute(text(setval))
    finally:
        source.dispose()
        target.dispose()
    return copied
