"""How often one kiosk token may send a batch: a token bucket per kiosk, kept in the server's memory
(sync/server/app.py answers 429 past it).

A kiosk sends a batch every few minutes, and after weeks offline a backlog of one batch after another; a
runaway kiosk or a stolen token must not fill the database or take every write turn from the others. Past
its allowance a kiosk is answered 429 with Retry-After, which sync/client.py treats as "try again later":
its records stay pending and are sent then. Each server process (``serve --workers``) counts on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BATCHES_PER_MINUTE = 60
"""The default allowance: a minute's worth (60) at once, then one a second. A backlog of 100,000 responses
(200 batches of 500) drains in under three minutes; a flood gets at most 60 MB a minute in, at 1 MB a batch."""


class BatchRate:
    """``per_minute`` batches a minute for each kiosk, up to a minute's worth at once; 0 allows any number."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_minute / 60
        self.capacity = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """Each kiosk's batches still allowed, and when that was worked out."""

    def wait(self, kiosk: str) -> float:
        """0 when ``kiosk`` may send a batch now (and counts it), else the seconds until it may."""
        if not self.capacity:
            return 0.0
        now = self.clock()
        allowed, at = self._buckets.get(kiosk, (self.capacity, now))
        allowed = min(self.capacity, allowed + (now - at) * self.per_second)
        self._buckets[kiosk] = (allowed - 1 if allowed >= 1 else allowed, now)
        return 0.0 if allowed >= 1 else (1 - allowed) / self.per_second
