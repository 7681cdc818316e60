"""The overview: how many answered, where and when; how they answered; and whether each kiosk is well."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sync.server.domain.aggregates import (
    answer_distributions,
    response_totals,
    responses_per_week,
    with_friends_and_family_together,
)
from sync.server.domain.stats import kiosk_health
from sync.server.web.charts import answer_cards, weekly_bars
from sync.server.web.common import exact, page_filters, render, shown, table_shown
from sync.server.web.sessions import SignedIn

router = APIRouter()


@router.get("/")
def overview(request: Request, signed: SignedIn) -> Response:
    suppress_below = request.app.state.suppress_below
    with request.app.state.engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
        weekly = responses_per_week(connection, filters.query)
        totals = response_totals(connection, filters.query)
        distributions = with_friends_and_family_together(answer_distributions(connection, filters.query))
    health = [kiosk for kiosk in kiosk_health(request.app.state.engine) if kiosk["site"] in filters.query.sites]
    top = max((count for weeks in weekly.values() for _, count in weeks), default=0)
    site_totals = table_shown(totals, suppress_below)
    return render(request, "overview.html", signed, title="Overview", page="overview", filters=filters,
                  total=shown(sum(totals.values()), suppress_below),
                  sites=[{"name": site, "total": site_totals[site],
                          "chart": weekly_bars(weeks, top, suppress_below, filters.query.start, filters.query.end)
                          if exact(site_totals[site]) else None}  # a hidden total's weeks would add up to it
                         for site, weeks in weekly.items()],
                  questions=answer_cards(distributions, suppress_below), health=health)
