"""The overview: how many answered, where and when; how they answered; and whether each kiosk is well."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sync.server.aggregates import (
    answer_distributions,
    response_totals,
    responses_per_week,
    with_friends_and_family_together,
)
from sync.server.stats import kiosk_health
from sync.server.web.charts import friends_and_family, share_segments, weekly_bars
from sync.server.web.common import page_filters, render, shown
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
    questions = []
    for distribution in distributions:
        questions.append({"distribution": distribution, "total": shown(distribution.total, suppress_below),
                          "segments": share_segments(distribution, suppress_below),
                          "fft": friends_and_family(distribution, suppress_below)})
    return render(request, "overview.html", signed, title="Overview", page="overview", filters=filters,
                  total=shown(sum(totals.values()), suppress_below),
                  sites=[{"name": site, "total": shown(totals.get(site, 0), suppress_below),
                          "chart": weekly_bars(weeks, top, suppress_below, filters.query.start,
                                                       filters.query.end)} for site, weeks in weekly.items()],
                  questions=questions, health=health)
