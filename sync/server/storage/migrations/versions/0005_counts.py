"""The dashboard's counts (sync/server/domain/aggregates.py): ``response_counts``, ``answer_counts`` and
``answer_labels``, filled from the responses already held.

The backfill reads ``responses`` in chunks of :data:`CHUNK` by id, parses each payload with orjson and
counts it with ``sync.server.domain.aggregates.Tally.add``: the function ingest and retention use. It is imported,
not copied, because the counts must start equal to what live counting would have made, and two copies of
the rules would drift apart (tests/test_server_aggregates.py checks backfilled against live counts). The
price: ``Tally.add`` must keep its signature and its key layout. If what is counted ever changes, the
revision that changes it recounts, and this one gets a frozen copy of ``Tally`` as it is now. The rows are
written here, with plain INSERTs into the tables as this revision makes them, so later changes to the
tables or to the upserts do not break it.

A server must not take batches while this runs (it does not: ``open_database`` migrates before serving);
an older server still running on the same database would store responses that are never counted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync.core.record import read_payload
from sync.server.domain.aggregates import Tally

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 5000
"""Responses read per query (about 5 MB of payloads)."""
WRITE = 5000
"""Rows per INSERT."""


def upgrade() -> None:
    op.create_table(
        "response_counts",
        sa.Column("site", sa.String(100), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("question_set", sa.String(100), primary_key=True),
        sa.Column("language", sa.String(20), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("responses", sa.BigInteger, nullable=False),
        sa.Column("complete", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,  # see sync/server/storage/db.py
    )
    op.create_index("response_counts_by_set", "response_counts", ["site", "question_set"])
    op.create_table(
        "answer_counts",
        sa.Column("site", sa.String(100), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("question_set", sa.String(100), primary_key=True),
        sa.Column("question", sa.String(100), primary_key=True),
        sa.Column("answer", sa.String(100), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "answer_labels",
        sa.Column("question_set", sa.String(100), primary_key=True),
        sa.Column("question", sa.String(100), primary_key=True),
        sa.Column("answer", sa.String(100), primary_key=True),
        sa.Column("question_text", sa.Text, nullable=False),
        sa.Column("answer_text", sa.Text, nullable=False),
        sa.Column("language", sa.String(20), nullable=False),
        sqlite_with_rowid=False,
    )
    _backfill(op.get_bind())


def downgrade() -> None:
    for name in ("answer_labels", "answer_counts", "response_counts"):
        op.drop_table(name)


def _backfill(connection: sa.Connection) -> None:
    responses = sa.table("responses", sa.column("id", sa.String), sa.column("site", sa.String),
                         sa.column("created_at_device", sa.String),
                         sa.column("received_at"), sa.column("payload", sa.Text))
    tally = Tally()
    last = None
    while True:
        query = sa.select(responses.c.id, responses.c.site, responses.c.created_at_device, responses.c.received_at,
                          responses.c.payload).order_by(responses.c.id).limit(CHUNK)
        if last is not None:
            query = query.where(responses.c.id > last)
        rows = connection.execute(query).all()
        for _id, site, created_at_device, received_at, payload in rows:
            # untyped: PostgreSQL gives a datetime, SQLite its text; either orders labels within one database
            tally.add(site, created_at_device, read_payload(payload), received_at=str(received_at))
        if len(rows) < CHUNK:
            break
        last = rows[-1].id
    _write(connection, "response_counts", ("site", "day", "question_set", "language", "channel"),
           [(*key, *counts) for key, counts in tally.responses.items()], ("responses", "complete"))
    _write(connection, "answer_counts", ("site", "day", "question_set", "question", "answer"),
           [(*key, n) for key, n in tally.answers.items()], ("count",))
    _write(connection, "answer_labels", ("question_set", "question", "answer"),
           [(*key, label.question_text, label.answer_text, label.language) for key, label in tally.labels.items()],
           ("question_text", "answer_text", "language"))


def _write(connection: sa.Connection, name: str, key: tuple[str, ...], rows: list[tuple[object, ...]],
           values: tuple[str, ...]) -> None:
    columns = (*key, *values)
    table = sa.table(name, *(sa.column(column) for column in columns))
    for start in range(0, len(rows), WRITE):
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows[start:start + WRITE]])
