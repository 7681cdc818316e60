"""Who is answering: each site's answers by language and channel beside the mix it expects (issue 9)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sync.server.domain.participation import ReferenceMix, gather_participation
from sync.server.web.common import page_filters, render
from sync.server.web.sessions import SignedIn

router = APIRouter()


@router.get("/participation")
def participation_page(request: Request, signed: SignedIn) -> Response:
    suppress_below = request.app.state.suppress_below
    mix: ReferenceMix = request.app.state.reference_mix
    with request.app.state.engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
        sites = [gather_participation(connection, site, filters.query.start, filters.query.end, mix, suppress_below,
                                      filters.query.question_set) for site in filters.query.sites]
    return render(request, "participation.html", signed, title="Who is answering", page="participation",
                  filters=filters, sites=sites, suppress_below=suppress_below)
