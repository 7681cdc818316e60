"""Signing in and out."""

from __future__ import annotations

import math
import secrets
import threading
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from sync.core.privacy import learned
from sync.server.domain.staff import StaffMember, audit, authenticate
from sync.server.web.common import render
from sync.server.web.sessions import (
    COOKIE,
    CSRF_FIELD,
    IDLE,
    LOGIN_COOKIE,
    LONGEST,
    CsrfRefused,
    client_address,
    end_session,
    form_reader,
    same_token,
    set_cookie,
    start_session,
)

router = APIRouter()
SIGN_IN_FORM_LIFE = timedelta(hours=1)
_warming = threading.Lock()


def warm_up_encoder() -> None:
    """Load the themes page's sentence encoder in the background when someone first signs in: loading takes
    10 to 20 seconds (mostly importing torch), which the first visit to the themes page would otherwise wait."""
    if learned.available() and _warming.acquire(blocking=False):
        threading.Thread(target=learned.SHARED_ENCODER.load, name="encoder-warm-up", daemon=True).start()


def _next_page(value: str) -> str:
    """Only a page of this dashboard: never another site (an open redirect would help phishing)."""
    return value if value.startswith("/staff/") and not value.startswith("//") and "\\" not in value else "/staff/"


def _form(request: Request, status_code: int = 200, problem: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", None, status_code=status_code, problem=problem, sign_in_token=token,
                      next_page=_next_page(request.query_params.get("next", "")), csrf_field=CSRF_FIELD)
    set_cookie(response, request, LOGIN_COOKIE, token, SIGN_IN_FORM_LIFE)
    return response


def _in_words(wait: timedelta) -> str:
    """A wait as "45 seconds" or "15 minutes": the name-wide wait is a minute at most."""
    seconds = math.ceil(wait.total_seconds())
    amount, unit = (seconds, "second") if seconds < 60 else (math.ceil(seconds / 60), "minute")
    return f"{amount} {unit}{'s' * (amount != 1)}"


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return _form(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(LOGIN_COOKIE, "")):
        raise CsrfRefused
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    engine = request.app.state.engine
    result = authenticate(engine, name, password, client_address(request))
    if isinstance(result, timedelta):
        return _form(request, 429, f"Too many tries. Wait {_in_words(result)}, then try again.")
    if not isinstance(result, StaffMember):
        return _form(request, 401, "That name and password do not match. Check them and try again.")
    with engine.begin() as connection:
        audit(connection, result.name, "signed-in")
    warm_up_encoder()
    response = RedirectResponse(_next_page(str(form.get("next", ""))), status_code=303)
    set_cookie(response, request, COOKIE, start_session(engine, result), min(IDLE * 6, LONGEST))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/sign-out", dependencies=[Depends(form_reader("viewer", "sign out"))])
def sign_out(request: Request) -> Response:
    end_session(request.app.state.engine, request.cookies.get(COOKIE))
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
