"""Sentence vectors of free-text answers, kept for the themes page."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_vectors",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("question", sa.String(100), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("comment_vectors")
