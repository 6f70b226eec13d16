"""PostgreSQL: NOTIFY newsbot_changes when the change log grows (new passages, a removal, new
vectors), so the other replicas' search indexes catch up at once instead of at their next look.
Statement-level triggers: a bulk insert notifies once, and PostgreSQL folds the notifications
of one transaction into one, sent at commit. Nothing on SQLite (one machine, one index per
process, which polls).

Revision ID: 0007_notify
Revises: 0007_language (written beside it after 0003; chained when the branches merged)
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_notify"
down_revision: str | None = "0007_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "newsbot_changes"  # newsbot.db.changes listens here
TABLES = ("passages", "article_removals", "passage_vectors")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""CREATE FUNCTION notify_newsbot_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END $$"""
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_newsbot_changes()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_newsbot_changes()")
