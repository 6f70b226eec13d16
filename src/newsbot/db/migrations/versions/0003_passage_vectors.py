"""Passage vectors: a sentence-embedding vector per passage, written by the embedding worker.

Revision ID: 0003
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0006"  # the newest when it landed (0004, 0005, 0006 came first)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "passage_vectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("passage_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["passage_id"],
            ["passages.id"],
            name=op.f("fk_passage_vectors_passage_id_passages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passage_vectors")),
        sa.UniqueConstraint("passage_id", name=op.f("uq_passage_vectors_passage_id")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("passage_vectors")
