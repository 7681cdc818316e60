"""A month's answers to the Friends and Family Test question, counted by site and kiosk, and the answers a wrong
kiosk clock would have put in the wrong month.

Which question is the FFT question is decided as the dashboard decides it (sync/server/domain/aggregates.py): a choice
question whose answers include very-good, good, poor and very-poor, in whichever question set asks it. The
Easy Read set ("How was your time with us?": Very good … "I don't know") and the standard wording keep the
same six answer ids (config/questions), so both count alike, by id and never by their words. Only that answer
is read from each response: never a comment.

The month is the one the person answered in by the kiosk's clock, in UTC, as every other count on the
server. A kiosk's clock is recorded, never trusted (sync/server/domain/timestamps.py), so an answer is left out of
every month's return when its time cannot be right: not a real date, before :data:`CLOCK_SET_FROM` (a
Raspberry Pi without its clock battery starts in 1970), or later than the moment the server received it
(plus :data:`CLOCK_SLACK`). Those received in the month are counted by kiosk, for the return's checks. A
kiosk whose clock was more than :data:`CLOCK_SLACK` off at its last sync is named too: its answers count by
its clock, which may have put a few near the month's start or end in the next or previous month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.core.record import read_payload
from sync.server.domain.aggregates import Filters, answer_distributions, column_text, friends_and_family
from sync.server.domain.stats import SKEW_AMBER_SECONDS
from sync.server.domain.timestamps import as_utc, parse_device_time
from sync.server.reports.period import Month
from sync.server.storage.db import kiosks, response_counts, responses

ANSWERS = ("very-good", "good", "neither", "poor", "very-poor", "dont-know")
"""The FFT's six answer ids, in NHS England's order (Very Good … Don't Know)."""
CLOCK_SET_FROM = datetime(2024, 1, 1, tzinfo=UTC)
"""No kiosk answered before this: an earlier time is a clock that was never set."""
CLOCK_SLACK = timedelta(seconds=SKEW_AMBER_SECONDS)
"""How far a clock may be off before `feedback-server stats` calls it wrong; the same here."""
READ_ROWS = 5000
Key = tuple[str, str]
"""(site, kiosk)."""


@dataclass(frozen=True)
class MonthCounts:
    month: Month
    answers: dict[Key, Counter[str]] = field(default_factory=dict)
    """Each kiosk's FFT answers given in the month, by answer id; wrong-clock answers left out."""
    wrong_clock: dict[Key, Counter[str]] = field(default_factory=dict)
    """By kiosk: answers received in the month and left out, by what was wrong with the clock."""
    clock_off: dict[Key, float] = field(default_factory=dict)
    """Kiosks that answered in the month (or sent wrong-clock answers) and whose clock was more than
    :data:`CLOCK_SLACK` off at their last sync: seconds, server time minus the kiosk's."""
    responses: int = 0
    """Every response given in the month, whether or not it answered the FFT question."""

    @property
    def total(self) -> int:
        return sum(counts.total() for counts in self.answers.values())


def clock_problem(created_at_device: str, received_at: datetime) -> str | None:
    """Why a response's time cannot be right, or None when it may be."""
    moment = parse_device_time(created_at_device) if created_at_device else None
    if moment is None:
        return "not a real date"
    if moment < CLOCK_SET_FROM:
        return f"before {CLOCK_SET_FROM.year} (clock not set)"
    if moment > as_utc(received_at) + CLOCK_SLACK:
        return "later than the server received it (clock ahead)"
    return None


def fft_questions(connection: Connection, month: Month) -> frozenset[Key]:
    """(question set, question) of every FFT question answered in ``month``, by the dashboard's own test."""
    sites = tuple(connection.execute(
        sa.select(response_counts.c.site).distinct()
        .where(response_counts.c.day >= month.first.isoformat(), response_counts.c.day <= month.last.isoformat())
    ).scalars())
    asked = answer_distributions(connection, Filters(sites, None, month.first, month.last))
    return frozenset((one.question_set, one.question) for one in asked if friends_and_family(one) is not None)


def fft_answer(payload: str, questions: frozenset[Key]) -> str | None:
    """The response's answer to the FFT question (its first, should a set ask it twice), or None."""
    data = read_payload(payload)
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, list):
        return None
    question_set = column_text(data.get("question_set"), 100)
    for answer in answers:
        if (isinstance(answer, dict) and answer.get("status") == "answered"
                and (question_set, column_text(answer.get("question"), 100)) in questions):
            choice = answer.get("choice")
            return choice if choice in ANSWERS else None
    return None


def _bounds(month: Month) -> tuple[str, str, datetime, datetime]:
    """The month as device-time text (from, before) and as server time (from, before)."""
    start, end = month.first, month.following().first
    return (start.isoformat(), end.isoformat(), datetime.combine(start, time(), UTC),
            datetime.combine(end, time(), UTC))


def count_month(connection: Connection, month: Month, sites: Iterable[str] | None = None,
                progress: Callable[[int], None] | None = None) -> MonthCounts:
    """Count ``month``'s FFT answers at ``sites`` (None: every site), reading the month's responses once."""
    given_from, given_before, received_from, received_before = _bounds(month)
    chosen = tuple(sites) if sites is not None else tuple(
        connection.execute(sa.select(responses.c.site).distinct()).scalars())
    questions = fft_questions(connection, month)
    answers: dict[Key, Counter[str]] = {}
    wrong: dict[Key, Counter[str]] = {}
    rows = connection.execution_options(yield_per=READ_ROWS).execute(
        sa.select(responses.c.site, responses.c.kiosk, responses.c.created_at_device, responses.c.received_at,
                  responses.c.payload)
        .where(responses.c.site.in_(chosen), responses.c.created_at_device >= given_from,
               responses.c.created_at_device < given_before))
    given = 0
    for site, kiosk, created, received, payload in rows:
        given += 1
        if progress is not None and given % READ_ROWS == 0:
            progress(READ_ROWS)
        problem = clock_problem(created, received)
        if problem is not None:
            if received_from <= as_utc(received) < received_before:
                _tally(wrong, (site, kiosk), problem)
            continue
        answer = fft_answer(payload, questions)
        if answer is not None:
            _tally(answers, (site, kiosk), answer)
    _wrong_clock_given_elsewhere(connection, chosen, month, wrong)
    return MonthCounts(month, answers, wrong, _clocks_off(connection, answers.keys() | wrong.keys()), given)


def _wrong_clock_given_elsewhere(connection: Connection, sites: tuple[str, ...], month: Month,
                                 wrong: dict[Key, Counter[str]]) -> None:
    """Add to ``wrong`` the responses received in ``month`` whose clock put them in another month (or none).

    Only two kinds can be wrong: given "before" :data:`CLOCK_SET_FROM`, or "after" the month though received in
    it. Those given earlier in a real month were kept offline, which is fine, so they are not read: a year's
    backlog arriving in one month took 12 s to check one by one. (A date that cannot exist, such as 30
    February, is flagged by the return of the month its text falls in.) Read by the time received only (its
    index), the sites picked out here: with ``site IN (…)`` in the query SQLite walked the (site, time given)
    index over every other month instead, 5 s for a million responses."""
    given_from, given_before, received_from, received_before = _bounds(month)
    chosen = set(sites)
    rows = connection.execute(
        sa.select(responses.c.site, responses.c.kiosk, responses.c.created_at_device, responses.c.received_at)
        .where(responses.c.received_at >= received_from, responses.c.received_at < received_before,
               sa.or_(responses.c.created_at_device < min(given_from, CLOCK_SET_FROM.date().isoformat()),
                      responses.c.created_at_device >= given_before)))
    for site, kiosk, created, received in rows:
        problem = clock_problem(created, received) if site in chosen else None
        if problem is not None:
            _tally(wrong, (site, kiosk), problem)


def _tally(counts: dict[Key, Counter[str]], key: Key, what: str) -> None:
    """Count ``what`` for ``key`` (a Counter made only the first time: this runs for every response)."""
    held = counts.get(key)
    if held is None:
        held = counts[key] = Counter()
    held[what] += 1


def _clocks_off(connection: Connection, counted: Iterable[Key]) -> dict[Key, float]:
    """Each of the ``counted`` kiosks whose clock was off at its last sync, with by how much (seconds)."""
    names = {kiosk for _, kiosk in counted}
    return {(site, name): skew for name, site, skew in connection.execute(
            sa.select(kiosks.c.name, kiosks.c.site, kiosks.c.clock_skew_seconds).where(kiosks.c.name.in_(names)))
            if skew is not None and abs(skew) > CLOCK_SLACK.total_seconds()}
