"""The staff dashboard: accounts, sessions, sign-in failures, the audit log, each step on a safeguarding
concern, and themes staff have named."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("all_sites", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("disabled_at", Moment),
    )
    op.create_table(
        "staff_sites",
        sa.Column("staff", sa.String(100), sa.ForeignKey("staff.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("site", sa.String(100), primary_key=True),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff", sa.String(100), sa.ForeignKey("staff.name", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("last_seen_at", Moment, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", Moment, nullable=False),
    )
    op.create_index("login_failures_by_username", "login_failures", ["username", "at"])
    op.create_index("login_failures_by_address", "login_failures", ["address", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", Moment, nullable=False),
        sa.Column("staff", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("site", sa.String(100)),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("audit_log_by_at", "audit_log", ["at"])
    op.create_table(
        "concern_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("at", Moment, nullable=False),
        sa.Column("staff", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("assigned_to", sa.String(100)),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_concern_events_response_id", "concern_events", ["response_id"])
    op.create_table(
        "saved_themes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("centroids", sa.Text, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_saved_themes_site", "saved_themes", ["site"])
    with op.batch_alter_table("concern_queue") as table:
        table.add_column(sa.Column("assigned_to", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("concern_queue") as table:
        table.drop_column("assigned_to")
    for name in ("saved_themes", "concern_events", "audit_log", "login_failures", "staff_sessions", "staff_sites",
                 "staff"):
        op.drop_table(name)
