"""NHS codes for the Friends and Family Test return: each site's ODS organisation, site and ICB codes and the
collection mode its kiosks report under, and each kiosk's ward or service and specialties (issue 23)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fft_sites",
        sa.Column("site", sa.String(100), primary_key=True),
        sa.Column("icb_code", sa.String(10), nullable=False, server_default=""),
        sa.Column("org_code", sa.String(10), nullable=False),
        sa.Column("org_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("site_code", sa.String(10), nullable=False, server_default=""),
        sa.Column("mode", sa.String(40), nullable=False, server_default="Other"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fft_wards",
        sa.Column("kiosk", sa.String(100), primary_key=True),
        sa.Column("ward", sa.String(100), nullable=False),
        sa.Column("first_specialty", sa.String(100), nullable=False, server_default=""),
        sa.Column("second_specialty", sa.String(100), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fft_wards")
    op.drop_table("fft_sites")
