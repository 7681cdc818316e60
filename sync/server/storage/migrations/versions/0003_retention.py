"""Retention (`feedback-server forget`, `serve --keep-days`): what was forgotten from each kiosk, and an
index to find old responses."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("max_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("responses_by_received_at", "responses", ["received_at"])


def downgrade() -> None:
    op.drop_index("responses_by_received_at", table_name="responses")
    op.drop_table("forgotten")
