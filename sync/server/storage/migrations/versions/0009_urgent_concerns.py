"""Concerns the kiosk read as "may be at risk now" (it showed the person the help screen), apart from those for
staff to review (sync.core.privacy.concerns.Reading). Concerns flagged before are not marked: older kiosks did not
tell the two apart."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concern_queue") as table:
        table.add_column(sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("concern_queue") as table:
        table.drop_column("urgent")
