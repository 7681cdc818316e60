"""The period a report covers: a calendar month (the monthly team report) or a calendar quarter (the quarterly
Board report and its Easy Read version), by the day people answered (the kiosk's clock), as the dashboard
counts it (sync/server/domain/aggregates.py).

:class:`SoFar` is the one place that decides whether a period is over. A period is finished when the day it is
being read (UTC, as the days are counted) is after its last day; before that, today counts as a day "so far"
(its answers until now are in). A period that is not over is compared with the same number of days at the start
of the period before (1 to 7 November beside 1 to 7 December), never with the whole of it, and its figures
read "so far, 7 of 31 days" in every report and on the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from sync.core.plain_words import MONTHS, in_words

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9])")
YEARS = range(2000, 3000)
"""The years a report can be about; not up to 9999, where a month's end (the day before the next month) is
past the calendar's."""


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
        return in_words(self.first, with_day=False)

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


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Q1 is January to March."""

    year: int
    quarter: int

    @property
    def months(self) -> list[Month]:
        return Month(self.year, 3 * self.quarter).back(3)

    @property
    def first(self) -> date:
        return self.months[0].first

    @property
    def last(self) -> date:
        return self.months[-1].last

    @property
    def label(self) -> str:
        """"July to September 2026"."""
        return f"{self.first:%B} to {self.last:%B %Y}"

    @property
    def short(self) -> str:
        """"Jul to Sep 2026", for tables."""
        return f"{self.first:%b} to {self.last:%b %Y}"

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)


@dataclass(frozen=True)
class SoFar:
    """How much of the period ``first`` to ``last`` had happened on ``today``, the day it was read."""

    first: date
    last: date
    today: date

    @property
    def until(self) -> date:
        """The last day counted: ``last`` when the period is over, else today (the day before ``first`` when it
        has not begun)."""
        return min(self.last, max(self.today, self.first - timedelta(days=1)))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days_done(self) -> int:
        """Days counted so far, today among them."""
        return (self.until - self.first).days + 1

    @property
    def finished(self) -> bool:
        return self.today > self.last

    @property
    def words(self) -> str:
        """"so far, 7 of 31 days"; '' when the period is over."""
        return "" if self.finished else f"so far, {self.days_done} of {self.days} days"

    @property
    def through(self) -> str:
        """The days counted, as a person writes them: "1 to 7 December 2026"."""
        return day_range(self.first, self.until)

    def same_days(self, first: date, last: date) -> tuple[date, date]:
        """The days of the period ``first`` to ``last`` (the one before) to compare with: all of it when this
        period is over, else as many days from its start as this one has had."""
        return (first, last) if self.finished else (first, min(last, first + timedelta(days=self.days_done - 1)))


def day_range(first: date, last: date) -> str:
    """"1 to 7 December 2026", "30 November to 6 December 2026", "7 December 2026": UK style, in words."""
    end = in_words(last)
    if first == last:
        return end
    start = f"{first.day}" if (first.year, first.month) == (last.year, last.month) else \
        f"{first.day} {MONTHS[first.month - 1]}" if first.year == last.year else in_words(first)
    return f"{start} to {end}"


class Period(Protocol):
    """What a report needs of its period, month or quarter alike."""

    @property
    def first(self) -> date: ...

    @property
    def last(self) -> date: ...

    @property
    def label(self) -> str: ...


def parse_month(text: str) -> Month:
    """``2026-10`` as a :class:`Month`; :class:`ReportError` saying how to write it otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) not in YEARS:
        raise ReportError(f"The period {text!r} is not a month: write the year and the month, like 2026-10.")
    return Month(int(found.group(1)), int(found.group(2)))


def parse_period(text: str) -> Month | Quarter:
    """``2026-10`` as a :class:`Month`, ``2026-Q3`` as a :class:`Quarter`; :class:`ReportError` otherwise."""
    found = _QUARTER.fullmatch(text.strip())
    if found and 1 <= int(found.group(2)) <= 4 and int(found.group(1)) in YEARS:
        return Quarter(int(found.group(1)), int(found.group(2)))
    try:
        return parse_month(text)
    except ReportError:
        raise ReportError(f"The period {text!r} is not a month or a quarter: write a month like 2026-10, or a "
                          "quarter like 2026-Q3.") from None
