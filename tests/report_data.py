"""The year of invented answers the report tests share (tests/test_reports.py, tests/test_reports_quarterly.py):
50,000 responses at four sites (demo.generate through the server's own store_batch), a tiny site with 3
responses in October 2026, and a site with a kiosk and no answers; and the direct SQL counts reports are
checked against."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa

from sync.server.domain.demo import generate
from sync.server.domain.kiosks import add_kiosk
from sync.server.storage.db import open_database

SITES = ["Mile End", "Bow", "Poplar", "Stepney"]
RESPONSES = 50_000
NOW = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
"""The year of answers ends here, so October 2026 is whole."""
TINY, EMPTY = "Tiny Place", "Rose House"


def make_report_database(path: str) -> sa.Engine:
    """A new SQLite database at ``path`` holding the dataset; prints how long making it took."""
    logging.getLogger("sync.server.domain.batches").setLevel(logging.ERROR)
    engine = open_database(path)
    started = time.perf_counter()
    generate(engine, SITES, RESPONSES, days=365, seed=7, now=NOW)
    print(f"\ngenerated {RESPONSES:,} responses in {time.perf_counter() - started:.1f} s")
    generate(engine, [TINY], 3, days=20, seed=8, now=datetime(2026, 10, 25, 12, tzinfo=UTC))
    add_kiosk(engine, "rose-1", EMPTY)
    return engine


def sql_count(engine: sa.Engine, site: str, first: date, last: date) -> int:
    """Responses given at ``site`` from ``first`` to ``last`` (the kiosk's clock), counted in the responses."""
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM responses WHERE site = :site AND "
                                          "substr(created_at_device, 1, 10) BETWEEN :first AND :last"),
                                  {"site": site, "first": first.isoformat(), "last": last.isoformat()}).scalar_one()
