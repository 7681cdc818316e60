"""Times and durations as a care worker would say them, for the staff screen, `kiosk doctor` and reports."""

from __future__ import annotations

from datetime import date, datetime

from sync.core.clock import utc_now

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def plain_duration(seconds: float) -> str:
    """3 minutes, 2 hours, 5 days: the largest whole unit, as a person would say it."""
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def in_words(day: date, *, with_day: bool = True) -> str:
    """A date as people say it, "23 October 2026" (or "October 2026"), whatever the machine's locale."""
    month = f"{MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {month}" if with_day else month


def plain_time(moment: datetime) -> str:
    """'5 December 2026, 14:30' in the kiosk's own time zone."""
    local = moment.astimezone()
    return f"{in_words(local.date())}, {local:%H:%M}"


def ago(moment: datetime) -> str:
    """'just now', '14 minutes ago', '3 days ago'."""
    seconds = (utc_now() - moment).total_seconds()
    return "just now" if seconds < 60 else f"{plain_duration(seconds)} ago"
