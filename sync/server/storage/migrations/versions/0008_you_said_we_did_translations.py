""""You said, we did" in the languages the kiosks offer: each item's words in other languages, as a JSON
object (``{"bn": {"said": …, "did": …}}``). Items written before have none, so kiosks show them only to people
who chose English."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("you_said_we_did") as table:
        table.add_column(sa.Column("translations", sa.Text, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("you_said_we_did") as table:
        table.drop_column("translations")
