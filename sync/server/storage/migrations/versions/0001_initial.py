"""The tables as the server made them with ``metadata.create_all`` before migrations: written out here, not
taken from ``sync.server.storage.db``, so later changes there never rewrite history. Databases made by that old
code are stamped at this revision instead of running it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("revoked_at", Moment),
        sa.Column("last_seen_at", Moment),
        sa.Column("last_pending", sa.BigInteger),
        sa.Column("clock_skew_seconds", sa.Float),
        sa.Column("last_device_id", sa.String(36)),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kiosk", sa.String(100), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created_at_device", sa.String(40), nullable=False),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("question_set", sa.String(100), nullable=False, server_default=""),
        sa.Column("question_set_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("responses_by_device_seq", "responses", ["device_id", "seq"])
    op.create_table(
        "conflicts",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kiosk", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", Moment, nullable=False),
    )
    op.create_table(
        "question_sets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("set_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("toml", sa.Text, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_index("ix_question_sets_site", "question_sets", ["site"])
    op.create_table(
        "you_said_we_did",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("said", sa.Text, nullable=False),
        sa.Column("did", sa.Text, nullable=False),
        sa.Column("picture", sa.String(200), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_index("ix_you_said_we_did_site", "you_said_we_did", ["site"])


def downgrade() -> None:
    for table in ("you_said_we_did", "question_sets", "conflicts", "responses", "kiosks"):
        op.drop_table(table)
