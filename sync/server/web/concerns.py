"""The safeguarding queue: flagged responses for managers to acknowledge, assign and resolve
(sync/server/domain/safeguarding.py does the work; this draws it and reads the forms).

Managers and admins only, and only for their sites: the list, each item and every step check the site,
so a manager of one site gets 403 for another's items even by guessing their ids. The queue lists no
words; an item's page shows them, scrubbed, to the person who opened it.
"""

from __future__ import annotations

import re
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.core.clock import utc_now
from sync.core.protocol import UUID_PATTERN
from sync.server.domain.safeguarding import (
    ORDERS,
    STATUS_LABELS,
    VIEWS,
    Action,
    Concern,
    ConcernError,
    ConcernNotFound,
    ConcernNotPermitted,
    Order,
    View,
    category_name,
    eligible_staff,
    list_concerns,
    load_concern,
    open_count,
    take_step,
)
from sync.server.domain.staff import StaffMember
from sync.server.domain.timestamps import parse_device_time
from sync.server.web.common import BadRequest, ago, check_site, chosen_site, known_sites, render, when
from sync.server.web.sessions import NotAllowed, Signed, field, form_reader, needs

router = APIRouter()
Reader = Annotated[Signed, Depends(needs("manager", "see the safeguarding queue"))]
Actor = Annotated[tuple[Signed, FormData], Depends(form_reader("manager", "act on safeguarding concerns"))]
VIEW_NAMES = {"current": "Open and acknowledged", "resolved": "Resolved", "all": "All"}
ORDER_NAMES: dict[Order, str] = {"serious": "Most serious first, then longest waiting",
                                 "arrived": "Newest to arrive first", "said": "Newest said first"}
STATUS_LOOK = {"open": "red", "acknowledged": "amber", "resolved": "green"}
"""The colour beside each status's words (never the only sign of it)."""
CHANNELS = {"touch": "By touch", "voice": "By voice"}
DONE = {
    "acknowledged": "Acknowledged. Others who open the queue can see it is being dealt with.",
    "assigned": "Assigned. It now shows who is dealing with it.",
    "noted": "Note added.",
    "resolved": "Resolved, with what was done recorded. It has left the open queue; it is listed under Resolved.",
    "reopened": "Reopened. It is back in the open queue.",
}
"""What the page says after each step (a fixed message named in the address, never text from it)."""
_STEPS: dict[Action, str] = {"acknowledge": "acknowledged", "assign": "assigned", "note": "noted",
                             "resolve": "resolved", "reopen": "reopened"}
"""Each step a form may take, and the message shown after it."""


def _sites(member: StaffMember) -> frozenset[str] | None:
    """The sites whose concerns ``member`` may see (None: every site, including sites no kiosk names now)."""
    return None if member.all_sites else member.sites


def _given(text: str) -> str:
    """When the person answered, as the kiosk's clock had it, in UK time like every other time on the page."""
    moment = parse_device_time(text) if text else None
    return when(moment) if moment else "not known"


def _filters() -> dict[str, object]:
    return {"category_name": category_name, "status_labels": STATUS_LABELS, "status_look": STATUS_LOOK,
            "when": when, "said": _given}


@router.get("/concerns")
def queue_page(request: Request, signed: Reader) -> Response:
    member = signed.member
    chosen = request.query_params.get("show", "current").strip() or "current"
    if chosen not in VIEWS:
        raise BadRequest(f"\"Show\" must be one of: {', '.join(VIEW_NAMES.values())}.")
    show = cast(View, chosen)
    sort = request.query_params.get("sort", "serious").strip() or "serious"
    if sort not in ORDERS:
        raise BadRequest(f"\"Sort\" must be one of: {', '.join(ORDER_NAMES.values())}.")
    site = chosen_site(request, member)
    with request.app.state.engine.connect() as connection:
        sites = member.visible(known_sites(connection))
        if site and site not in sites:
            raise BadRequest("\"Site\" must be one of the sites in the list.")
        queue = list_concerns(connection, (site,) if site else _sites(member), show, order=cast(Order, sort))
        waiting = open_count(connection, _sites(member))
    now = utc_now()
    return render(request, "concerns.html", signed, title="Safeguarding", page="concerns", queue=queue, show=show,
                  sort=sort, order_names=ORDER_NAMES, now=now,
                  site=site, sites=sites, view_names=VIEW_NAMES, open_concerns=waiting,
                  in_view=sum(queue.counts[status] for status in VIEWS[show]),
                  arrived={item.response_id: ago(item.received_at, now) for item in queue.items}, **_filters())


def _readable(request: Request, member: StaffMember, response_id: str) -> Concern | Response:
    """The concern, when ``member`` may see its site; a 404 page when there is none; 403 for another site's."""
    if not re.fullmatch(UUID_PATTERN, response_id):
        return _missing(request)
    with request.app.state.engine.connect() as connection:
        concern = load_concern(connection, response_id)
    if concern is None:
        return _missing(request)
    check_site(member, concern.item.site)
    return concern


def _missing(request: Request) -> Response:
    return render(request, "error.html", None, status_code=404, title="No such concern",
                  reason="There is no safeguarding concern at this address. It may have been mistyped, or "
                         "forgotten under the retention policy. Go back to the Safeguarding queue.")


def _item_page(request: Request, signed: Signed, concern: Concern, *, status_code: int = 200,
               problem: str = "") -> Response:
    with request.app.state.engine.connect() as connection:
        staff = eligible_staff(connection, concern.item.site)
        waiting = open_count(connection, _sites(signed.member))
    item = concern.item
    return render(request, "concern.html", signed, status_code=status_code, title="Safeguarding concern",
                  page="concerns", concern=concern, item=item, staff=staff, problem=problem,
                  done="" if problem else DONE.get(request.query_params.get("done", ""), ""),
                  arrived=ago(item.received_at, utc_now()), given=_given(item.given),
                  channel=CHANNELS.get(concern.channel, concern.channel or "not known"),
                  open_concerns=waiting, **_filters())


@router.get("/concerns/{response_id}")
def item_page(request: Request, signed: Reader, response_id: str) -> Response:
    concern = _readable(request, signed.member, response_id)
    if isinstance(concern, Response):
        return concern
    return _item_page(request, signed, concern)


@router.post("/concerns/{response_id}/{step}")
def step_form(request: Request, actor: Actor, response_id: str, step: str) -> Response:
    signed, form = actor
    action = cast(Action, step)
    if action not in _STEPS:
        return render(request, "error.html", None, status_code=404, title="No such step",
                      reason="A concern can be acknowledged, assigned, noted, resolved or reopened.")
    concern = _readable(request, signed.member, response_id)
    if isinstance(concern, Response):
        return concern
    try:
        take_step(request.app.state.engine, signed.member, concern.item.response_id, action,
                  note=field(form, "note"), assign_to=field(form, "to") if action == "assign" else None)
    except ConcernNotPermitted as refused:
        raise NotAllowed(str(refused)) from None
    except ConcernNotFound:
        return _missing(request)
    except ConcernError as problem:
        now = _readable(request, signed.member, response_id)  # as it is now: another may have just acted on it
        if isinstance(now, Response):
            return now
        return _item_page(request, signed, now, status_code=400, problem=str(problem))
    return RedirectResponse(f"/staff/concerns/{concern.item.response_id}?done={_STEPS[action]}", status_code=303)
