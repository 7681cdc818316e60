"""Central counts and each kiosk's health, as the involvement team checks them.

Health: red when a kiosk is revoked or silent for 2 days; amber when it has not synced yet, still holds
unsent answers, has sequence gaps (answers the server never received), a clock more than 5 minutes off,
or has been silent for a day; green otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.server.domain.timestamps import as_utc, iso_z
from sync.server.storage.db import conflicts, forgotten, kiosks, responses

SILENT_AMBER = timedelta(days=1)
SILENT_RED = timedelta(days=2)
SKEW_AMBER_SECONDS = 300


def _health(kiosk: sa.Row[Any], gaps: int, now: datetime) -> tuple[str, list[str]]:
    """The kiosk's colour, and why it is not green, in words a care worker can act on."""
    silent = now - as_utc(kiosk.last_seen_at or kiosk.created_at)
    red = [reason for reason, wrong in (
        ("revoked", kiosk.revoked_at is not None),
        (f"not heard from for {silent.days} days: is it switched on and connected?", silent > SILENT_RED),
    ) if wrong]
    if red:
        return "red", red
    amber = [reason for reason, wrong in (
        ("has never synced", kiosk.last_seen_at is None),
        (f"{kiosk.last_pending} answers not yet sent", (kiosk.last_pending or 0) > 0),
        (f"{gaps} answers never arrived", gaps > 0),
        ("its clock is wrong", abs(kiosk.clock_skew_seconds or 0) > SKEW_AMBER_SECONDS),
        ("not heard from for a day", kiosk.last_seen_at is not None and silent > SILENT_AMBER),
    ) if wrong]
    return ("amber", amber) if amber else ("green", [])


def _gaps(connection: Connection, device: str, settled: int) -> int:
    """Seqs above ``settled`` that never arrived from kiosk store ``device``.

    A store's seqs run 1, 2, 3…: the highest minus how many distinct ones arrived is how many are missing.
    Retention (sync/server/domain/retention.py) deletes old ones and records the highest seq it deleted per store;
    seqs up to that are settled (gone on purpose, or missing since before the retention period), so only
    those above it are counted. Counted one store at a time over
    the (device_id, seq) index, which SQLite walks in order with no sorting: about 5 ms per 50,000 responses,
    where one grouped COUNT(DISTINCT) over every store took 0.8 s for a million (docs/performance.md)."""
    held = (sa.select(responses.c.seq).distinct()
            .where(responses.c.device_id == device, responses.c.seq > settled).subquery())
    highest, distinct = connection.execute(sa.select(sa.func.max(held.c.seq), sa.func.count())).one()
    return max(0, (highest or settled) - settled - distinct)


def server_stats(engine: Engine) -> dict[str, Any]:
    with engine.begin() as connection:
        held = connection.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        kept_aside = connection.execute(sa.select(sa.func.count()).select_from(conflicts)).scalar_one()
    return {"responses": held, "conflicts": kept_aside, "kiosks": kiosk_health(engine)}


def kiosk_health(engine: Engine) -> list[dict[str, Any]]:
    """Each enrolled kiosk: where, when last heard from, what it holds, and its health with the reasons."""
    now = utc_now()
    with engine.begin() as connection:
        enrolled = connection.execute(sa.select(kiosks).order_by(kiosks.c.site, kiosks.c.name)).all()
        # A kiosk's seqs run 1, 2, 3…: the highest seq minus how many distinct ones arrived is how many are
        # missing. Retention (sync/server/domain/retention.py) deletes old ones and records the highest seq it
        # deleted per kiosk store; seqs up to that are settled (gone on purpose, or missing since before
        # the retention period), so only those above it are counted.
        settled = dict(connection.execute(sa.select(forgotten.c.device_id, forgotten.c.max_seq)).all())
        gaps = {device: _gaps(connection, device, settled.get(device, 0))
                for device in {row.last_device_id for row in enrolled if row.last_device_id}}
    report = []
    for row in enrolled:
        kiosk_gaps = int(gaps.get(row.last_device_id, 0))
        health, reasons = _health(row, kiosk_gaps, now)
        report.append({
            "name": row.name,
            "site": row.site,
            "last_seen": iso_z(row.last_seen_at) if row.last_seen_at else None,
            "pending": row.last_pending,
            "clock_skew_seconds": row.clock_skew_seconds,
            "sequence_gaps": kiosk_gaps,
            "revoked": row.revoked_at is not None,
            "health": health,
            "reasons": reasons,
        })
    return report
