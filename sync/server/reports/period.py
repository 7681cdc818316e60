"""The period a report covers: a calendar month, by the day people answered (the kiosk's clock), as the
dashboard counts it (sync/server/aggregates.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class ReportError(Exception):
    """A report cannot be made as asked; the message says what to change, in words for staff."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.following().first - timedelta(days=1)

    @property
    def label(self) -> str:
        """"October 2026"."""
        return f"{self.first:%B %Y}"

    @property
    def short(self) -> str:
        """"Oct 2026", for tables."""
        return f"{self.first:%b %Y}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def following(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def back(self, count: int) -> list[Month]:
        """The ``count`` months up to and including this one, oldest first."""
        months = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return months[::-1]


def parse_month(text: str) -> Month:
    """``2026-10`` as a :class:`Month`; :class:`ReportError` saying how to write it otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ReportError(f"The period {text!r} is not a month: write the year and the month, like 2026-10.")
    return Month(int(found.group(1)), int(found.group(2)))
