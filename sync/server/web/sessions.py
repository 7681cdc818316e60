"""Signed-in sessions and CSRF protection for the dashboard's pages.

The session cookie holds 256 random bits; the database holds only their SHA-256 (as for kiosk tokens,
sync/server/api/auth.py), so a copied database lets nobody in, and signing out, a new password or a disabled
account ends a session at once. The cookie is HttpOnly (scripts cannot read it), SameSite=Lax (other
sites' forms and scripts cannot send it; a link from an email still opens the page signed in) and Secure
whenever the page came over HTTPS.

Every form that changes something carries the session's CSRF token in a hidden field and is refused
(403) without it: the synchroniser-token pattern. The sign-in form, before there is a session, uses a
double-submit cookie instead. A session ends after :data:`IDLE` without use, or :data:`LONGEST` after
sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.core.clock import utc_now
from sync.server.domain.staff import Role, StaffMember, load_member
from sync.server.domain.timestamps import as_utc
from sync.server.storage.db import staff_sessions

COOKIE = "feedback_staff"
LOGIN_COOKIE = "feedback_sign_in"
CSRF_FIELD = "csrf_token"
IDLE = timedelta(hours=2)
LONGEST = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""How stale last_seen_at may get before a request writes it again (not a write per page view)."""
MAX_FORM_BYTES = 64_000
"""The largest body the server takes where no other limit is set (sync/server/app.py): the sign-in form and
every other form but a question set's. The largest, a safeguarding note (5,000 characters), is under 46 KB
as a form even in Bengali."""


class SignInNeeded(Exception):
    """No valid session: the page sends the browser to the sign-in page, then back."""


class NotAllowed(Exception):
    """Signed in, but this person may not do this; the message says what they may not do."""


@dataclass(frozen=True)
class Signed:
    """A signed-in request: who, and the token their forms must carry."""

    member: StaffMember
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, member: StaffMember) -> str:
    """A new session for ``member``; returns the cookie's token (shown only to their browser)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(staff_sessions.delete().where(staff_sessions.c.last_seen_at < now - IDLE))
        connection.execute(staff_sessions.insert().values(token_hash=_digest(token), staff=member.name,
                                                          csrf_token=secrets.token_urlsafe(32), created_at=now,
                                                          last_seen_at=now))
    return token


def end_session(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as connection:
            connection.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == _digest(token)))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: timedelta) -> None:
    response.set_cookie(name, value, max_age=int(max_age.total_seconds()), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def signed_in(request: Request) -> Signed:
    """FastAPI dependency: the signed-in member of staff, or :class:`SignInNeeded`."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeeded
    engine: Engine = request.app.state.engine
    now = utc_now()
    with engine.begin() as connection:
        row = connection.execute(sa.select(staff_sessions).where(staff_sessions.c.token_hash == _digest(token))).first()
        if row is None or now - as_utc(row.last_seen_at) > IDLE or now - as_utc(row.created_at) > LONGEST:
            raise SignInNeeded
        member = load_member(connection, row.staff)
        if member is None:
            raise SignInNeeded
        if now - as_utc(row.last_seen_at) > TOUCH_EVERY:
            connection.execute(staff_sessions.update().where(staff_sessions.c.token_hash == row.token_hash)
                               .values(last_seen_at=now))
    return Signed(member=member, csrf=row.csrf_token)


SignedIn = Annotated[Signed, Depends(signed_in)]
"""A page parameter: the signed-in member of staff, any role."""


def needs(role: Role, what: str) -> Callable[[Request], Signed]:
    """A dependency: signed in with at least ``role``; ``what`` completes "Only … can ___"."""

    def check(request: Request) -> Signed:
        signed = signed_in(request)
        if not signed.member.can(role):
            raise NotAllowed(f"Only a {role} or above can {what}.")
        return signed

    return check


def same_token(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


class CsrfRefused(Exception):
    """A form came without the token of the session it claims to be from."""


def form_reader(role: Role, what: str) -> Callable[[Request], Awaitable[tuple[Signed, FormData]]]:
    """A dependency for form posts: signed in with ``role``, and the form carries the session's CSRF token."""
    check = needs(role, what)

    async def read(request: Request) -> tuple[Signed, FormData]:
        signed = check(request)
        form = await request.form()
        if not same_token(form.get(CSRF_FIELD), signed.csrf):
            raise CsrfRefused
        return signed, form

    return read


def client_address(request: Request) -> str:
    """The address sign-in failures are counted against: X-Forwarded-For only from a proxy trusted with
    ``serve --trust-proxy`` (uvicorn applies it), else the connection's own."""
    return request.client.host if request.client else "unknown"


def field(form: FormData, name: str, default: str = "") -> str:
    """A text field of a posted form, trimmed ('' when missing or a file)."""
    value: Any = form.get(name, default)
    return value.strip() if isinstance(value, str) else default
