"""Central exports: what kiosks sent, through the same writers as `kiosk export` (sync/core/export.py), with
the site and kiosk each response came from; all of it (`feedback-server export`), or the sites, question
set and period chosen on the dashboard. Like the kiosk's, rows carry no sequence number and go by
period, then random id (sync.core.export.period_order)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.export import TimeDetail, period_order
from sync.server.domain.aggregates import Filters
from sync.server.storage.db import responses


class ServerSource:
    """The server's responses table as an export source (see sync.core.export.ExportSource).

    The read runs in one transaction so count, columns and rows agree. On SQLite the server's
    transactions take the write lock (sync/server/storage/db.py), so kiosks' batches wait, or retry, while a
    large export runs; on PostgreSQL the export reads a REPEATABLE READ snapshot and blocks nobody.
    """

    columns = ("id", "site", "kiosk", "created_at_device", "received_at")

    def __init__(self, engine: Engine, filters: Filters | None = None):
        self.engine = engine
        self.filters = filters
        self._connection: Connection | None = None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        options = {"isolation_level": "REPEATABLE READ"} if self.engine.dialect.name == "postgresql" else {}
        with self.engine.connect().execution_options(**options) as connection, connection.begin():
            self._connection = connection
            try:
                yield connection
            finally:
                self._connection = None

    @property
    def _db(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("use ServerSource inside reading()")
        return self._connection

    def _since(self, query: Any, since: str | None) -> Any:
        """``query`` limited to responses given on or after ``since``, and to the filters."""
        if since:
            query = query.where(responses.c.created_at_device >= since)
        if self.filters is not None:
            chosen = self.filters
            query = query.where(responses.c.site.in_(chosen.sites),
                                responses.c.created_at_device >= chosen.start.isoformat(),
                                responses.c.created_at_device < (chosen.end + timedelta(days=1)).isoformat())
            if chosen.question_set:
                query = query.where(responses.c.question_set == chosen.question_set)
        return query

    def count(self, since: str | None) -> int:
        return self._db.execute(self._since(sa.select(sa.func.count()).select_from(responses), since)).scalar_one()

    def examples(self, since: str | None) -> list[str]:
        per_version = self._since(
            sa.select(sa.func.min(responses.c.id).label("example"), sa.func.min(responses.c.received_at).label("first"))
            .group_by(responses.c.question_set, responses.c.question_set_version), since).subquery()
        query = (sa.select(responses.c.payload).join(per_version, responses.c.id == per_version.c.example)
                 .order_by(per_version.c.first, per_version.c.example))
        return list(self._db.execute(query).scalars())

    def rows(self, since: str | None, detail: TimeDetail) -> Iterator[tuple[Any, ...]]:
        period = sa.literal_column(period_order(responses.c.created_at_device.name, detail))
        query = self._since(sa.select(
            responses.c.id, responses.c.site, responses.c.kiosk, responses.c.created_at_device,
            responses.c.received_at, responses.c.payload,
        ), since).order_by(period, responses.c.id)
        # streamed (a server-side cursor on PostgreSQL): the database sorts, we never hold every row
        for rid, site, kiosk, created, received, payload in self._db.execution_options(yield_per=2000).execute(query):
            # spreadsheets cannot hold time zones: write UTC as text, like created_at_device
            utc = received.astimezone(UTC) if received.tzinfo else received
            yield rid, site, kiosk, created, utc.strftime("%Y-%m-%dT%H:%M:%SZ"), payload
