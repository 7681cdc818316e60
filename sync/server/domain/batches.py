"""Storing one kiosk batch exactly once.

The whole batch goes in one transaction; the response id's primary key decides what is new
(INSERT … ON CONFLICT DO NOTHING, never check-then-insert), and the receipt is built only after COMMIT,
so a receipt the kiosk holds always means the records are durably here. A record that is itself wrong
(bad hash, too large, nested too deeply, id repeated in the batch) is rejected alone so the rest of the
batch still lands.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.core.clock import utc_now
from sync.core.privacy import scrub
from sync.core.protocol import MAX_RECORD_BYTES, MAX_RECORD_DEPTH, Batch, Receipt, Record, Rejection
from sync.core.record import canonical_json, payload_sha256
from sync.server.api.auth import Kiosk
from sync.server.domain.aggregates import add_stored, column_text
from sync.server.domain.kiosks import record_contact
from sync.server.domain.timestamps import iso_z
from sync.server.storage.db import (
    concern_queue,
    conflicts,
    forgotten,
    insert_ignoring_duplicates,
    insert_responses,
    kiosks,
    responses,
)

log = logging.getLogger(__name__)
_LABEL = re.compile(r"[a-z][a-z-]{0,39}")
ConcernHandler = Callable[[dict[str, Any]], None]


def _checked_payload(record: Record, times_in_batch: int) -> tuple[str | None, str]:
    """``(why this record cannot be stored or None, its canonical payload)``: serialised once, since
    that is a third of the server's work under load."""
    if times_in_batch > 1:
        return "this id appears more than once in the batch", ""
    unreadable = _unreadable(record.payload)
    if unreadable:
        return unreadable, ""
    text = canonical_json(record.payload)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return "the payload is not valid Unicode text", ""
    if len(data) > MAX_RECORD_BYTES:
        return f"the payload is {len(data)} bytes, more than the {MAX_RECORD_BYTES} allowed for one record", ""
    if payload_sha256(text) != record.sha256:
        return "sha256 does not match the payload", ""
    return None, _scrubbed(record.payload, text)


def _unreadable(payload: dict[str, Any]) -> str | None:
    """Why a payload, once stored, could not be read or written back whole, or None. orjson (exports, the
    dashboard's counts) refuses objects and lists nested 255 deep and numbers beyond a float's range, such as
    1e400, which Python's JSON reader takes as infinity. Walked a level at a time, never by recursion."""
    level, depth = [payload], 1
    while level:
        if depth > MAX_RECORD_DEPTH:
            return f"the payload nests objects and lists more than {MAX_RECORD_DEPTH} deep"
        below = []
        for value in level:
            for child in value.values() if isinstance(value, dict) else value:
                if isinstance(child, (dict, list)):
                    below.append(child)
                elif isinstance(child, (int, float)) and not abs(child) <= sys.float_info.max:
                    return "the payload has a number too large to store"
        level, depth = below, depth + 1
    return None


def _scrubbed(payload: dict[str, Any], text: str) -> str:
    """The payload to store, its free text scrubbed again (a kiosk may run an older scrub). The sha256
    column keeps the kiosk's hash, so a resent record is still recognised as a duplicate."""
    answers = payload.get("answers")
    if not isinstance(answers, list):
        return text
    changed = False
    for answer in answers:
        if isinstance(answer, dict) and isinstance(answer.get("text"), str):
            clean = scrub(answer["text"])
            changed = changed or clean != answer["text"]
            answer["text"] = clean
    return canonical_json(payload) if changed else text


def _version(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def _categories(value: object) -> str:
    """The kiosk's concern flags as stored: known-looking labels only, comma-separated, "" for none."""
    if not isinstance(value, list):
        return ""
    labels = sorted({item for item in value if isinstance(item, str) and _LABEL.fullmatch(item)})
    return ",".join(labels)[:200]


class DeviceOfAnotherKiosk(Exception):
    """A batch names a device id (a kiosk store's own id) that another enrolled kiosk sends from."""


def _check_device_is_its_own(connection: sa.Connection, kiosk: Kiosk, device_id: str) -> None:
    """A device id belongs to the kiosk that first sent from it, until that kiosk is revoked (a kiosk moved on
    with a new token keeps its store). Without this, one kiosk's token could write into another kiosk's
    sequence numbers: a seq of 2**40 under its device id gave that kiosk a trillion "gaps"."""
    owner = connection.execute(sa.select(responses.c.kiosk).where(responses.c.device_id == device_id,
                                                                  responses.c.kiosk != kiosk.name).limit(1)).scalar()
    owner = owner or connection.execute(sa.select(kiosks.c.name).where(kiosks.c.last_device_id == device_id,
                                                                       kiosks.c.name != kiosk.name)).scalar()
    if owner is None:
        return
    revoked = connection.execute(sa.select(kiosks.c.revoked_at).where(kiosks.c.name == owner)).scalar()
    if revoked is None:
        raise DeviceOfAnotherKiosk("this batch names the device id of another kiosk: each kiosk sends from its own "
                                   "store")


def store_batch(engine: Engine, kiosk: Kiosk, batch: Batch, on_concern: ConcernHandler | None = None, *,
                received_at: datetime | None = None) -> Receipt:
    """Store ``batch`` exactly once; ``on_concern`` hears of each newly stored flagged response after
    COMMIT (to notify staff), never of one already held. ``received_at`` is now, except for the demo's invented
    answers, which arrive soon after they were given as a syncing kiosk's do."""
    now = received_at or utc_now()
    times = Counter(record.id for record in batch.records)
    rejected: list[Rejection] = []
    rows: list[dict[str, Any]] = []
    for record in batch.records:
        reason, payload = _checked_payload(record, times[record.id])
        if reason:
            rejected.append(Rejection(id=record.id, reason=reason))
        else:
            rows.append({"id": record.id, "kiosk": kiosk.name, "site": kiosk.site, "device_id": batch.kiosk_id,
                         "seq": record.seq, "created_at_device": record.created_at_device, "received_at": now,
                         "sha256": record.sha256, "payload": payload,
                         "question_set": column_text(record.payload.get("question_set"), 100),
                         "question_set_version": _version(record.payload.get("question_set_version")),
                         "concerns": _categories(record.payload.get("concerns")),
                         "urgent": record.payload.get("concern_urgent") is True})
    # one global order of row locks, so two PostgreSQL transactions can never wait on each other in a cycle
    rows.sort(key=lambda row: row["id"])
    conflicting: list[dict[str, Any]] = []
    with engine.begin() as connection:
        _check_device_is_its_own(connection, kiosk, batch.kiosk_id)
        # counted before this batch's records, or they would hide a loss (see Receipt.high_water_seq); what
        # retention forgot counts as held, or the kiosk would send it all again
        held, forgot = connection.execute(sa.select(
            sa.select(sa.func.max(responses.c.seq)).where(responses.c.device_id == batch.kiosk_id).scalar_subquery(),
            sa.select(forgotten.c.max_seq).where(forgotten.c.device_id == batch.kiosk_id).scalar_subquery(),
        )).one()
        high_water_seq = max(held or 0, forgot or 0)
        inserted = insert_responses(connection, rows)
        flagged = [{"response_id": row["id"], "site": kiosk.site, "kiosk": kiosk.name, "categories": row["concerns"],
                    "urgent": row["urgent"], "received_at": now, "updated_at": now}
                   for row in rows if row["concerns"] and row["id"] in inserted]
        if flagged:
            connection.execute(insert_ignoring_duplicates(connection, concern_queue), flagged)
        held_back = [row for row in rows if row["id"] not in inserted]
        if held_back:
            held = dict(connection.execute(
                sa.select(responses.c.id, responses.c.sha256)
                .where(responses.c.id.in_([row["id"] for row in held_back]))
            ).all())
            conflicting = [row for row in held_back if held[row["id"]] != row["sha256"]]
        if conflicting:
            connection.execute(insert_ignoring_duplicates(connection, conflicts), [
                {"response_id": row["id"], "sha256": row["sha256"], "kiosk": kiosk.name,
                 "payload": row["payload"], "received_at": now} for row in conflicting])
        # the dashboard's counts (sync/server/domain/aggregates.py) gain exactly the records inserted, in this
        # transaction; after every insert above, so the counts' rows are locked last and held briefly
        add_stored(connection, kiosk.site,
                   [(record.created_at_device, record.payload) for record in batch.records if record.id in inserted])
        record_contact(connection, kiosk.name, now=now, pending=batch.pending, device_time=batch.sent_at_device,
                       device_id=batch.kiosk_id)
    for row in conflicting:
        log.warning("conflict: response %s arrived again with different content; kept aside", row["id"])
    for concern in flagged:
        log.warning("safeguarding concern (%s) in response %s from %s", concern["categories"],
                    concern["response_id"], kiosk.site)
        if on_concern is not None:
            on_concern(concern)
    duplicate = len(rows) - len(inserted) - len(conflicting)
    return Receipt(batch_id=batch.batch_id, accepted=len(inserted), duplicate=duplicate, conflict=len(conflicting),
                   rejected=rejected, high_water_seq=high_water_seq, server_time=iso_z(now))
