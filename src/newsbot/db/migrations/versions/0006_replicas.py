"""Several replicas on one database: wider lease names and holders (the leases table of 0004 now
also elects one digest sender and one long poller) and the update ids already processed (a
redelivered webhook update runs once).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.alter_column("name", type_=sa.String(length=64), existing_nullable=False)
        batch.alter_column("holder", type_=sa.String(length=128), existing_nullable=False)
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_seen_at"), "processed_updates", ["seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_updates_seen_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
    with op.batch_alter_table("leases") as batch:
        batch.alter_column("name", type_=sa.String(length=50), existing_nullable=False)
        batch.alter_column("holder", type_=sa.String(length=100), existing_nullable=False)
