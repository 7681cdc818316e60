"""Times on the server: server time is the truth, device times are recorded and never trusted.

Times are kept as timezone-aware UTC datetimes (now is sync.core.clock.utc_now); SQLite hands them back without
a zone, so readers pass them through :func:`as_utc`. On the wire they are ISO 8601 with a ``Z``, as in
sync/core/protocol.py.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime (SQLite returns naive datetimes, which are UTC here)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_device_time(text: str) -> datetime | None:
    """A kiosk's clock reading (already matched against protocol.TIMESTAMP_PATTERN), or None when it is
    not a real date such as month 13: a broken kiosk clock must not cost us its answers."""
    whole, _, fraction = text.removesuffix("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6]}+00:00")
    except ValueError:
        return None
