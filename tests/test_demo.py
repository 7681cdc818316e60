"""The demo's invented answers look like a real site's: given in opening hours, never later than now, and each
received soon after it was given, as a syncing kiosk's are (the safeguarding queue marks a long gap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sync.server.domain.demo import SYNC_DELAY, generate
from sync.server.domain.timestamps import as_utc, parse_device_time
from sync.server.storage.db import concern_queue, open_database, responses


def test_invented_answers_arrive_soon_after_they_are_given_and_never_before(server_database):
    engine = open_database(server_database)
    now = datetime(2026, 12, 8, 11, 30, tzinfo=UTC)  # before the day's last opening hour
    assert generate(engine, ["Bow", "Mile End"], 3000, days=30, seed=4, now=now) == 3000
    with engine.connect() as connection:
        held = connection.execute(sa.select(responses.c.id, responses.c.created_at_device,
                                            responses.c.received_at)).all()
        queued = dict(connection.execute(sa.select(concern_queue.c.response_id, concern_queue.c.received_at)).all())
    engine.dispose()
    assert len(held) == 3000 and queued  # the demo includes a few concerns (1 in 500)
    gaps = []
    for response_id, given_text, received in held:
        given, arrived = parse_device_time(given_text), as_utc(received)
        assert given is not None and given <= now and given <= arrived <= now
        gaps.append(arrived - given)
        if response_id in queued:
            assert as_utc(queued[response_id]) == arrived
    assert max(gaps) <= timedelta(days=1) + SYNC_DELAY
    assert gaps.count(SYNC_DELAY) >= 30 * 4 * 0.7  # most days, each kiosk: its last answer, sent with its batch
