"""The monthly team report for one site: what people said there in a month, as plain figures.

Teams read it each month (it feeds staff supervision): how many answered and the trend, how they answered
each choice question (the Friends and Family Test in its standard form), the top themes of what is working
and not working with example comments, the safeguarding concerns raised and where they stand now, and
whether the kiosks were working. Counts here are exact; :mod:`sync.server.reports.render` suppresses the
small ones, as the dashboard does.

Counts come from the tables kept at ingest (sync/server/domain/aggregates.py), so they equal a count over the
responses themselves and cost milliseconds. Only the comments (themes) and each kiosk's days in use read the
responses of the month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.core.export import SUPPRESS_BELOW
from sync.server.domain.aggregates import (
    Filters,
    QuestionDistribution,
    answer_distributions,
    friends_and_family_answers,
    response_totals,
    responses_per_week,
    with_friends_and_family_together,
)
from sync.server.domain.participation import ReferenceMix, SiteParticipation, gather_participation
from sync.server.domain.safeguarding import STATUSES, category_name
from sync.server.domain.stats import kiosk_health
from sync.server.domain.theme_store import Encode, Side
from sync.server.domain.themes import ThemesUnavailable
from sync.server.domain.timestamps import as_utc
from sync.server.reports.comment_themes import SideThemes, top_themes
from sync.server.reports.period import Month, Period, ReportError, SoFar
from sync.server.storage.db import concern_queue, responses
from sync.server.web.common import known_sites

TREND_MONTHS = 6
THEME_SIDES: tuple[Side, ...] = ("working", "not-working")
STEPS = ("responses", "answers", "concerns", "kiosks", *(f"themes: {side}" for side in THEME_SIDES))
"""What gathering does, in order, for a progress bar: :func:`gather_monthly` calls ``progress`` after each."""


@dataclass(frozen=True)
class KioskMonth:
    name: str
    health: str
    """green, amber or red, now (sync/server/domain/stats.py)."""
    reasons: list[str]
    """Why it is not green, in words a care worker can act on."""
    responses: int
    """Responses it recorded in the month."""
    days_in_use: int
    """Days of the month on which it recorded at least one response."""


@dataclass(frozen=True)
class Concerns:
    raised: int
    """Concerns from responses given in the period (by the kiosk's clock; when that response is no longer held,
    by the day the server received it)."""
    by_status: dict[str, int]
    """Where they stand now: open, acknowledged, resolved."""
    by_category: dict[str, int]
    """By kind, in plain words (one concern can be of several kinds)."""


@dataclass(frozen=True)
class MonthlyReport:
    site: str
    month: Month
    made_at: datetime
    responses: int
    so_far: SoFar
    """How much of the month had happened when the report was made."""
    previous: int
    """Responses in the month before: all of it, or its same days when this month is not over."""
    previous_friends_and_family: QuestionDistribution | None
    """The Friends and Family Test answers over the same days as :attr:`previous`."""
    previous_questions: list[QuestionDistribution]
    """How each choice question was answered over the same days as :attr:`previous`, as :attr:`questions`."""
    trend: list[tuple[Month, int]]
    """Responses in each of the :data:`TREND_MONTHS` months up to and including this one, oldest first."""
    trend_friends_and_family: list[QuestionDistribution | None]
    """The Friends and Family Test answers in each of those months (None where no set asked it)."""
    weeks: list[tuple[date, int]]
    """Responses in each week (its Monday) that overlaps the month, counting only the month's days."""
    questions: list[QuestionDistribution]
    """Led by the Friends and Family Test over every set when more than one set asked it (question_set "")."""
    concerns: Concerns
    kiosks: list[KioskMonth]
    themes: dict[str, SideThemes] = field(default_factory=dict)
    """By side ("working", "not-working"); empty when nobody answered or themes are unavailable."""
    themes_missing: str = ""
    """Why there are no themes, when the encoder is not installed."""
    participation: SiteParticipation | None = None
    """Who answered, by language, channel and "About you" group, beside the site's expected mix."""

    @property
    def empty(self) -> bool:
        return self.responses == 0

    @property
    def compared_with(self) -> tuple[date, date]:
        """The days of the month before that :attr:`previous` counts."""
        before = self.month.previous()
        return self.so_far.same_days(before.first, before.last)


def check_site(connection: Connection, site: str) -> None:
    """Refuse a site the server has never heard of, naming the ones it knows (a typo is the usual cause)."""
    sites = known_sites(connection)
    if site not in sites:
        known = ", ".join(sites) if sites else "none yet"
        raise ReportError(f"There is no site called {site!r}. Sites the server knows: {known}.")


def gather_monthly(engine: Engine, site: str, month: Month, *, encode: Encode | None = None,
                   progress: Callable[[str], None] | None = None, reference_mix: ReferenceMix | None = None,
                   suppress_below: int = SUPPRESS_BELOW, redact_names: bool = False,
                   today: date | None = None) -> MonthlyReport:
    """The figures of ``site``'s report for ``month``. ``encode`` is the sentence encoder for the themes
    (default: the dashboard's); ``progress`` is called with each of :data:`STEPS` as it is done; who answered is
    set beside ``reference_mix`` (the participation findings are sentences, so they need ``suppress_below``);
    ``redact_names`` puts [name] for people's names in the example comments (a report to publish). A month not
    over by ``today`` (default: today, UTC) is compared with the same days of the month before."""
    done = progress or (lambda _step: None)
    made_at = utc_now()
    happened = SoFar(month.first, month.last, today or made_at.date())
    filters = Filters(sites=(site,), question_set=None, start=month.first, end=month.last)
    before = month.previous()
    same_days = Filters((site,), None, *happened.same_days(before.first, before.last))
    with engine.connect() as connection:
        check_site(connection, site)
        total = response_totals(connection, filters)[site]
        previous = response_totals(connection, same_days)[site]
        earlier = answer_distributions(connection, same_days)
        previous_fft = friends_and_family_answers(earlier)
        previous_questions = with_friends_and_family_together([asked for asked in earlier if not asked.person_groups])
        trend = [(earlier, response_totals(connection, Filters((site,), None, earlier.first, earlier.last))[site])
                 for earlier in month.back(TREND_MONTHS)]
        trend_fft = [friends_and_family_answers(answer_distributions(
            connection, Filters((site,), None, earlier.first, earlier.last))) for earlier in month.back(TREND_MONTHS)]
        weeks = responses_per_week(connection, filters)[site]
        done(STEPS[0])
        questions = with_friends_and_family_together(
            [asked for asked in answer_distributions(connection, filters) if not asked.person_groups])
        participation = gather_participation(connection, site, month.first, month.last,
                                             reference_mix or ReferenceMix(), suppress_below)
        done(STEPS[1])
        concerns = concerns_raised(connection, site, month)
        done(STEPS[2])
        in_use = _kiosk_days(connection, site, month)
    kiosks = _kiosks(engine, site, in_use)
    done(STEPS[3])
    themes: dict[str, SideThemes] = {}
    missing = ""
    for step, side in zip(STEPS[4:], THEME_SIDES, strict=True):
        if total and not missing:
            try:
                themes[side] = top_themes(engine, site, filters, side, encode, redact_names)
            except ThemesUnavailable as exc:
                missing = str(exc)
        done(step)
    return MonthlyReport(site=site, month=month, made_at=made_at, responses=total, so_far=happened, previous=previous,
                         previous_friends_and_family=previous_fft, previous_questions=previous_questions,
                         trend=trend, trend_friends_and_family=trend_fft,
                         weeks=weeks,
                         questions=questions, concerns=concerns, kiosks=kiosks, themes=themes,
                         themes_missing=missing, participation=participation)


def concerns_raised(connection: Connection, site: str, period: Period) -> Concerns:
    """The concerns from answers given at ``site`` in ``period``, by where they stand now and by kind."""
    rows = connection.execute(
        sa.select(concern_queue.c.categories, concern_queue.c.status, concern_queue.c.received_at,
                  responses.c.created_at_device)
        .select_from(concern_queue.outerjoin(responses, responses.c.id == concern_queue.c.response_id))
        .where(concern_queue.c.site == site))
    statuses: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for row in rows:
        given = (row.created_at_device or "")[:10] or as_utc(row.received_at).date().isoformat()
        if period.first.isoformat() <= given <= period.last.isoformat():
            statuses[row.status] += 1
            categories.update(category_name(label) for label in row.categories.split(",") if label)
    return Concerns(raised=statuses.total(), by_status={status: statuses[status] for status in STATUSES},
                    by_category=dict(sorted(categories.items(), key=lambda item: (-item[1], item[0]))))


def _kiosk_days(connection: Connection, site: str, month: Month) -> dict[str, tuple[int, int]]:
    """Each kiosk's (responses, days in use) in the month, from the responses themselves."""
    day = sa.func.substr(responses.c.created_at_device, 1, 10)
    rows = connection.execute(
        sa.select(responses.c.kiosk, day, sa.func.count())
        .where(responses.c.site == site, responses.c.created_at_device >= month.first.isoformat(),
               responses.c.created_at_device < month.following().first.isoformat())
        .group_by(responses.c.kiosk, day))
    found: dict[str, tuple[int, int]] = {}
    for kiosk, _day, count in rows:
        held, days = found.get(kiosk, (0, 0))
        found[kiosk] = (held + int(count), days + 1)
    return found


def _kiosks(engine: Engine, site: str, in_use: dict[str, tuple[int, int]]) -> list[KioskMonth]:
    """The site's enrolled kiosks (and any other that recorded answers there in the month)."""
    enrolled = {kiosk["name"]: kiosk for kiosk in kiosk_health(engine) if kiosk["site"] == site}
    return [KioskMonth(name=name, health=enrolled[name]["health"] if name in enrolled else "unknown",
                       reasons=enrolled[name]["reasons"] if name in enrolled else ["no longer enrolled"],
                       responses=in_use.get(name, (0, 0))[0], days_in_use=in_use.get(name, (0, 0))[1])
            for name in sorted(enrolled.keys() | in_use.keys())]
