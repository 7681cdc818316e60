"""Forgetting old responses on the server: `feedback-server forget` and `feedback-server serve --keep-days`.

A response the server received more than N days ago is deleted, with its sentence vector (kept for the
themes page) and its share of the dashboard's counts, unless it is in the safeguarding queue
(``concern_queue``) and not yet resolved: a concern nobody has dealt with is never forgotten. Once it is
resolved on the dashboard, its response goes like any other. Nothing else is deleted: kiosks, question
sets, "You said, we did" items, the queue with its notes and history (the record of what was done), and
the conflicts kept aside all stay.

Deleting goes in chunks of :data:`CHUNK`, one short transaction each, so kiosks' batches are never held
up for long (on SQLite every transaction takes the write lock). Several servers on one PostgreSQL
database may forget at once: each chunk locks the rows it takes and skips rows another has locked, and
deleting what is already gone does nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.server.domain.aggregates import subtract_forgotten
from sync.server.storage.db import comment_vectors, concern_queue, forgotten, responses

MAX_KEEP_DAYS = 36_500
"""A century: longer is no policy, and dates before year 1 cannot be computed."""
CHUNK = 2000
"""Responses deleted per transaction."""
DAY_SECONDS = 24 * 60 * 60
RETRY_SECONDS = 60 * 60
"""After a failed daily run (the database away), `serve` tries again this much later."""
KEEP_DAYS_VARIABLE = "FEEDBACK_SERVER_KEEP_DAYS"
"""``serve --keep-days`` from the environment (and how it reaches the processes of ``serve --workers``)."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgetting:
    forgotten: int
    """Responses deleted (in a dry run: that would be)."""
    kept_flagged: int
    """Responses as old, kept because they are in the safeguarding queue."""


def _old(cutoff: datetime, *, flagged: bool) -> sa.ColumnElement[bool]:
    """Responses received before ``cutoff`` that are (``flagged``) or are not waiting in the safeguarding queue."""
    in_queue = sa.exists().where(concern_queue.c.response_id == responses.c.id, concern_queue.c.status != "resolved")
    return sa.and_(responses.c.received_at < cutoff, in_queue if flagged else ~in_queue)


def _count(connection: Connection, where: sa.ColumnElement[bool]) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(responses).where(where)).scalar_one()


def forget_older_than(engine: Engine, days: int, *, dry_run: bool = False, now: datetime | None = None,
                      progress: Callable[[int], None] | None = None,
                      stop: threading.Event | None = None) -> Forgetting:
    """Delete responses received more than ``days`` days before ``now`` that are not in the safeguarding
    queue. ``progress`` hears how many went after each chunk; ``stop`` ends the work between chunks (what
    is left goes next time)."""
    cutoff = (now or utc_now()) - timedelta(days=days)
    if dry_run:
        with engine.begin() as connection:
            return Forgetting(_count(connection, _old(cutoff, flagged=False)),
                              _count(connection, _old(cutoff, flagged=True)))
    total = 0
    while stop is None or not stop.is_set():
        with engine.begin() as connection:
            deleted = _forget_chunk(connection, cutoff)
        total += deleted
        if progress is not None:
            progress(deleted)
        if deleted < CHUNK:
            break
    with engine.begin() as connection:
        return Forgetting(total, _count(connection, _old(cutoff, flagged=True)))


def _forget_chunk(connection: Connection, cutoff: datetime) -> int:
    """Delete up to CHUNK old responses and remember each kiosk store's highest seq among them."""
    # SKIP LOCKED: a second server forgetting at the same moment takes other rows, never waits on these
    # (SQLite has no row locks and ignores it: its transactions take turns)
    chosen = (sa.select(responses.c.id).where(_old(cutoff, flagged=False)).limit(CHUNK)
              .with_for_update(skip_locked=True))
    gone = connection.execute(sa.delete(responses).where(responses.c.id.in_(chosen))
                              .returning(responses.c.id, responses.c.device_id, responses.c.seq, responses.c.site,
                                         responses.c.created_at_device, responses.c.payload)).all()
    highest: dict[str, int] = {}
    for _id, device, seq, *_ in gone:
        highest[device] = max(seq, highest.get(device, 0))
    if highest:
        _remember(connection, highest)
    # the dashboard's counts (sync/server/domain/aggregates.py) lose exactly what was deleted, in this transaction
    subtract_forgotten(connection, [(site, created, payload) for *_, site, created, payload in gone])
    connection.execute(sa.delete(comment_vectors).where(comment_vectors.c.response_id.in_([row.id for row in gone])))
    return len(gone)


def _remember(connection: Connection, highest: dict[str, int]) -> None:
    """Raise each device's ``forgotten.max_seq`` to ``highest`` (never lower it: servers may race)."""
    dialect_insert: Any = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    insert = dialect_insert(forgotten)
    newer = insert.excluded.max_seq
    # rows in device order, so two servers lock them in the same order and never wait on each other in a cycle
    connection.execute(insert.values([{"device_id": device, "max_seq": seq} for device, seq in sorted(highest.items())])
                       .on_conflict_do_update(index_elements=[forgotten.c.device_id], set_={
                           "max_seq": sa.case((newer > forgotten.c.max_seq, newer), else_=forgotten.c.max_seq)}))


def forget_daily(engine: Engine, keep_days: int, stop: threading.Event) -> None:
    """For `serve --keep-days`: forget now, then once a day, until ``stop`` is set. Runs in its own thread,
    so requests never wait for it; a failure is logged and tried again later, never ends the server."""
    while not stop.is_set():
        try:
            done = forget_older_than(engine, keep_days, stop=stop)
        except Exception as exc:  # the database away, or busy: serving goes on regardless
            log.warning("could not forget responses older than %d days (%s); trying again in an hour",
                        keep_days, type(getattr(exc, "orig", None) or exc).__name__)
            wait = RETRY_SECONDS
        else:
            log.info("forgot %d responses received more than %d days ago; kept %d in the safeguarding queue",
                     done.forgotten, keep_days, done.kept_flagged)
            wait = DAY_SECONDS
        stop.wait(wait)


def start_forgetting(engine: Engine, keep_days: int) -> Callable[[], None]:
    """Start :func:`forget_daily` in a background thread; returns what stops it (after the current chunk)."""
    stop = threading.Event()
    worker = threading.Thread(target=forget_daily, args=(engine, keep_days, stop), name="retention", daemon=True)
    worker.start()

    def stop_forgetting() -> None:
        stop.set()
        worker.join()

    return stop_forgetting
