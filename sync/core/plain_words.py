"""Times and durations as a care worker would say them, for the staff screen, `kiosk doctor` and reports."""

from __future__ import annotations

from datetime import datetime

from sync.core.clock import utc_now


def plain_duration(seconds: float) -> str:
    """3 minutes, 2 hours, 5 days: the largest whole unit, as a person would say it."""
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def plain_time(moment: datetime) -> str:
    """'5 December 2026, 14:30' in the kiosk's own time zone."""
    local = moment.astimezone()
    return f"{local.day} {local:%B %Y, %H:%M}"


def ago(moment: datetime) -> str:
    """'just now', '14 minutes ago', '3 days ago'."""
    seconds = (utc_now() - moment).total_seconds()
    return "just now" if seconds < 60 else f"{plain_duration(seconds)} ago"
