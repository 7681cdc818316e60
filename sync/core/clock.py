"""The one clock reading every part of the project uses: now, in UTC, as an aware datetime. The kiosk stamps its
records with it to the second (:func:`device_stamp`); the server keeps the datetime (sync.server.domain.timestamps
says how it is stored and sent)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def device_stamp(moment: datetime) -> str:
    """``moment`` as the kiosk writes times in its records and messages: ``2026-11-23T14:07:31Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
