"""The quarterly report across sites, for the service-user forum and the Board: what people said in a quarter,
site by site, and what changed because of it, as plain figures.

Each quarter a forum and the Board look at themes and at what changed: how many answered at each site and
the change on the quarter before, each site's Friends and Family Test in its standard form, the top themes of
what is working and not working at each site with an example comment, the safeguarding concerns raised (by
kind and where they stand, never their words) and the "You said, we did" items dated in the quarter. Counts
here are exact; :mod:`sync.server.reports.render` suppresses the small ones. The Easy Read version
(:mod:`sync.server.reports.easy_read`) is made from the same figures.

Themes are found per site, as on the Themes page and in the monthly report: staff name them per site, and a
forum or Board reads a theme at the place where people said it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.server.domain.aggregates import (
    Filters,
    QuestionDistribution,
    answer_distributions,
    friends_and_family_answers,
    response_totals,
)
from sync.server.domain.site_content import list_you_said_we_did
from sync.server.domain.theme_store import Encode
from sync.server.domain.themes import ThemesUnavailable
from sync.server.reports.comment_themes import SideThemes, top_themes
from sync.server.reports.monthly import THEME_SIDES, Concerns, check_site, concerns_raised
from sync.server.reports.period import Quarter, ReportError, SoFar
from sync.server.web.common import known_sites

FIRST_STEPS = ("responses", "answers", "concerns", '"You said, we did"')


def steps(sites: Sequence[str]) -> list[str]:
    """What gathering for ``sites`` does, in order, for a progress bar: :func:`gather_quarterly` calls
    ``progress`` after each."""
    return [*FIRST_STEPS, *(f"themes: {site}, {side}" for site in sites for side in THEME_SIDES)]


@dataclass(frozen=True)
class SiteQuarter:
    site: str
    responses: int
    previous: int
    """Responses in the quarter before (its same days when this quarter is not over: :attr:`QuarterlyReport.so_far`)."""
    friends_and_family: QuestionDistribution | None
    """The answers to the Friends and Family Test question (None when no question set there asks it)."""
    previous_friends_and_family: QuestionDistribution | None
    """The same, in the quarter before (its same days, as :attr:`previous`)."""
    concerns: Concerns
    themes: dict[str, SideThemes] = field(default_factory=dict)
    """By side ("working", "not-working"); empty when nobody answered or themes are unavailable."""
    changes: list[dict[str, Any]] = field(default_factory=list)
    """The "You said, we did" items dated in the quarter, newest first (as site_content lists them)."""


@dataclass(frozen=True)
class QuarterlyReport:
    quarter: Quarter
    made_at: datetime
    so_far: SoFar
    """How much of the quarter had happened when the report was made."""
    sites: list[SiteQuarter]
    friends_and_family: QuestionDistribution | None
    """The Friends and Family Test answers at all these sites together."""
    themes_missing: str = ""
    """Why there are no themes, when the encoder is not installed."""

    @property
    def responses(self) -> int:
        return sum(site.responses for site in self.sites)

    @property
    def compared_with(self) -> tuple[date, date]:
        """The days of the quarter before that the figures are compared with."""
        before = self.quarter.previous()
        return self.so_far.same_days(before.first, before.last)

    @property
    def empty(self) -> bool:
        return self.responses == 0


def chosen_sites(connection: Connection, sites: Sequence[str]) -> tuple[str, ...]:
    """``sites`` once each, or every site the server knows when none are given; :class:`ReportError` naming the
    sites it knows for one it does not."""
    for site in sites:
        check_site(connection, site)
    chosen = tuple(dict.fromkeys(sites)) or tuple(known_sites(connection))
    if not chosen:
        raise ReportError("The server knows no sites yet: enrol a kiosk first (feedback-server add-kiosk).")
    return chosen


def gather_quarterly(engine: Engine, sites: Sequence[str], quarter: Quarter, *, encode: Encode | None = None,
                     progress: Callable[[str], None] | None = None, redact_names: bool = False,
                     today: date | None = None) -> QuarterlyReport:
    """The figures of the report on ``sites`` (every site the server knows when empty) for ``quarter``.
    ``encode`` is the sentence encoder for the themes (default: the dashboard's); ``progress`` is called with
    each of :func:`steps` as it is done; ``redact_names`` puts [name] for people's names in the example comments.
    A quarter not over by ``today`` (default: today, UTC) is compared with the same days of the quarter before."""
    done = progress or (lambda _step: None)
    made_at = utc_now()
    happened = SoFar(quarter.first, quarter.last, today or made_at.date())
    with engine.connect() as connection:
        chosen = chosen_sites(connection, sites)
        before = quarter.previous()
        first, last = happened.same_days(before.first, before.last)
        totals = response_totals(connection, Filters(chosen, None, quarter.first, quarter.last))
        previous = response_totals(connection, Filters(chosen, None, first, last))
        done(FIRST_STEPS[0])
        answers = {site: friends_and_family_answers(answer_distributions(
            connection, Filters((site,), None, quarter.first, quarter.last))) for site in chosen}
        answers_before = {site: friends_and_family_answers(answer_distributions(
            connection, Filters((site,), None, first, last))) for site in chosen}
        everywhere = friends_and_family_answers(answer_distributions(
            connection, Filters(chosen, None, quarter.first, quarter.last)))
        done(FIRST_STEPS[1])
        concerns = {site: concerns_raised(connection, site, quarter) for site in chosen}
        done(FIRST_STEPS[2])
        changes = [item for item in list_you_said_we_did(connection, chosen)
                   if quarter.first.isoformat() <= item["date"] <= quarter.last.isoformat()]
        done(FIRST_STEPS[3])
    themes: dict[str, dict[str, SideThemes]] = {site: {} for site in chosen}
    missing = ""
    for step, (site, side) in zip(steps(chosen)[len(FIRST_STEPS):],
                                  ((site, side) for site in chosen for side in THEME_SIDES), strict=True):
        if totals[site] and not missing:
            try:
                themes[site][side] = top_themes(engine, site, Filters((site,), None, quarter.first, quarter.last),
                                                side, encode, redact_names)
            except ThemesUnavailable as exc:
                missing = str(exc)
        done(step)
    return QuarterlyReport(
        quarter=quarter, made_at=made_at, so_far=happened, friends_and_family=everywhere, themes_missing=missing,
        sites=[SiteQuarter(site=site, responses=totals[site], previous=previous[site],
                           friends_and_family=answers[site], previous_friends_and_family=answers_before[site],
                           concerns=concerns[site],
                           themes=themes[site] if not missing else {},
                           changes=[item for item in changes if item["site"] == site]) for site in chosen])
