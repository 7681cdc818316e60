"""The overview: how many answered, where and when; how they answered, with each site's Friends and Family Test
against the period before; and whether each kiosk is well.

The period before is as long as the one chosen and ends the day before it starts. While the chosen period is not
over (it ends after today), only its days so far are counted, and they are compared with as many days at the start
of the period before (sync/server/reports/period.py, :class:`SoFar`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from sync.core.clock import utc_now
from sync.core.plain_words import in_words
from sync.server.domain.aggregates import (
    Filters,
    answer_distributions,
    friends_and_family,
    friends_and_family_answers,
    response_totals,
    responses_per_week,
    with_friends_and_family_together,
)
from sync.server.domain.stats import kiosk_health
from sync.server.reports.period import SoFar, day_range
from sync.server.web.charts import answer_cards, weekly_bars
from sync.server.web.common import exact, page_filters, render, shown, table_shown
from sync.server.web.fft_trend import all_sites_row, compared_rows, with_changes
from sync.server.web.sessions import SignedIn

router = APIRouter()


def _before(query: Filters, happened: SoFar) -> tuple[Filters, str]:
    """The period before ``query``'s (its same days so far, while ``query``'s is not over), and its name."""
    length = (query.end - query.start).days + 1
    first, last = happened.same_days(query.start - timedelta(days=length), query.start - timedelta(days=1))
    days = f"the {length} days before" if length != 1 else "the day before"
    name = f"{days} ({day_range(first, last)})" if happened.finished or happened.days_done == happened.days \
        else f"the same days of {days} ({day_range(first, last)})"
    return Filters(query.sites, query.question_set, first, last), name


def _friends_and_family(connection: Connection, query: Filters, before: Filters, name: str,
                        suppress_below: int) -> dict[str, Any]:
    """Each site's Friends and Family Test beside the period before's, and all sites' figure when it may be given;
    "shown" is false when no site's can be (the page then does not name the test at all)."""
    now = {site: friends_and_family_answers(answer_distributions(connection, Filters(
        (site,), query.question_set, query.start, query.end))) for site in query.sites}
    earlier = {site: friends_and_family_answers(answer_distributions(connection, Filters(
        (site,), before.question_set, before.start, before.end))) for site in query.sites}
    rows = compared_rows(now, earlier, response_totals(connection, query), response_totals(connection, before), name,
                         suppress_below)
    everywhere = friends_and_family_answers(answer_distributions(connection, query))
    return {"before": name, "rows": rows, "all_sites": all_sites_row(everywhere, rows, suppress_below),
            "shown": any(row["fft"] for row in rows.values())}


def _period_note(happened: SoFar, before: str) -> str:
    """What the page says of a period that is not over; '' for one that is."""
    if happened.finished:
        return ""
    if happened.days_done == happened.days:
        return f"Today, {in_words(happened.today)}, is not over: the answers given so far today are counted."
    return (f"{day_range(happened.first, happened.last)} is not over: these figures are for {happened.through}, "
            f"{happened.words}, compared with {before}.")


@router.get("/")
def overview(request: Request, signed: SignedIn) -> Response:
    suppress_below = request.app.state.suppress_below
    today = utc_now().date()  # days are counted in UTC (reports.period.SoFar)
    with request.app.state.engine.connect() as connection:
        filters = page_filters(request, connection, signed.member, today=today)
        happened = SoFar(filters.query.start, filters.query.end, today)
        weekly = responses_per_week(connection, filters.query)
        totals = response_totals(connection, filters.query)
        distributions = with_friends_and_family_together(answer_distributions(connection, filters.query))
        before, before_name = _before(filters.query, happened)
        fft = _friends_and_family(connection, filters.query, before, before_name, suppress_below)
        earlier = answer_distributions(connection, before)
    health = [kiosk for kiosk in kiosk_health(request.app.state.engine) if kiosk["site"] in filters.query.sites]
    top = max((count for weeks in weekly.values() for _, count in weeks), default=0)
    site_totals = table_shown(totals, suppress_below)
    cards = with_changes(answer_cards(distributions, suppress_below), with_friends_and_family_together(earlier),
                         friends_and_family_answers(earlier), before_name, suppress_below)
    if len(filters.query.sites) > 1 and not fft["all_sites"]["fft"]:
        for card in cards:  # all sites' answers less the sites' own could give a hidden site's away
            if friends_and_family(card["distribution"]) is not None:
                card.update(fft=None, segments=None, by_site=True)
    return render(request, "overview.html", signed, title="Overview", page="overview", filters=filters,
                  total=shown(sum(totals.values()), suppress_below), fft=fft,
                  period_note=_period_note(happened, before_name),
                  sites=[{"name": site, "total": site_totals[site],
                          "chart": weekly_bars(weeks, top, suppress_below, filters.query.start, filters.query.end)
                          if exact(site_totals[site]) else None}  # a hidden total's weeks would add up to it
                         for site, weeks in weekly.items()],
                  questions=cards, health=health)
