"""Does the kiosk's clock look wrong? Said in words a care worker can act on.

A Raspberry Pi has no battery-backed clock: without the network it starts in 1970, or at the moment it
was last shut down. Answers are then stored with wrong dates, exports sort them wrongly and a secure
connection to the server fails (its certificate looks "not yet valid"). Three signs give it away:

* the clock is before this software was released;
* the clock is behind the newest answer stored (it went back);
* at the last sync the kiosk's clock differed from the server's by more than a few minutes (the sync
  client stores server time minus kiosk time in the store's meta table as :data:`OFFSET_KEY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kiosk.session.store import Store
from sync.core.clock import utc_now
from sync.core.plain_words import plain_duration, plain_time

RELEASED = datetime(2026, 11, 1, tzinfo=UTC)
"""No earlier than this software's release: move it forward with each release."""
TOLERANCE = timedelta(minutes=5)
SET_IT = ("Connect it to the network so it can set the time, or set it by hand in a terminal: "
          'sudo timedatectl set-time "2026-12-05 14:30" (with today\'s date and time).')
OFFSET_KEY = "clock_offset_seconds"
"""Meta key: the server's time minus the kiosk's, in seconds, at the last verified sync."""


@dataclass(frozen=True)
class ClockVerdict:
    ok: bool
    message: str
    fix: str = ""


def check_clock(store: Store | None, now: datetime | None = None) -> ClockVerdict:
    """Look at the clock (``now``, default the real one) against the release date and, with a store,
    against the newest answer and the server's clock at the last sync."""
    now = now or utc_now()
    if now < RELEASED:
        return ClockVerdict(False, f"The kiosk's clock says {plain_time(now)}, which cannot be right.", SET_IT)
    if store is None:
        return ClockVerdict(True, f"The kiosk's clock says {plain_time(now)}.")
    # the index on created_at_device makes this one look-up, however many answers are stored
    newest = store.db.execute("SELECT max(created_at_device) FROM responses").fetchone()[0]
    if newest and (stored := datetime.fromisoformat(newest)) > now + TOLERANCE:
        return ClockVerdict(False, f"The kiosk's clock says {plain_time(now)}, but an answer was stored at "
                                   f"{plain_time(stored)}: the clock has gone back.", SET_IT)
    offset = store.get_meta(OFFSET_KEY)
    if offset is not None and abs(float(offset)) > TOLERANCE.total_seconds():
        side = "behind" if float(offset) > 0 else "ahead of"
        return ClockVerdict(False, f"At the last sync the kiosk's clock was {plain_duration(float(offset))} {side} "
                                   "the server's.", SET_IT)
    return ClockVerdict(True, f"The kiosk's clock says {plain_time(now)}.")
