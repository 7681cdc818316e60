"""The safeguarding queue: responses flagged on the kiosk, waiting for staff to act."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "concern_queue",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("kiosk", sa.String(100), nullable=False),
        sa.Column("categories", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
    )
    op.create_index("concern_queue_by_status", "concern_queue", ["status", "received_at"])


def downgrade() -> None:
    op.drop_index("concern_queue_by_status", table_name="concern_queue")
    op.drop_table("concern_queue")
