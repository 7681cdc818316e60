"""Kiosk tokens: 256 random bits, given out once, stored only as their SHA-256.

A slow password hash (bcrypt, argon2) is for secrets people choose, which can be guessed. A 256-bit
random token cannot be guessed nor recovered from its SHA-256 by trying, so one fast hash protects a
leaked database just as well, and lets the server find the kiosk by an indexed lookup of the digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.server.storage.db import kiosks

TOKEN_BYTES = 32

bearer = HTTPBearer(auto_error=False, description="The kiosk's token, printed once by `feedback-server add-kiosk`.")


@dataclass(frozen=True)
class Kiosk:
    """The enrolled kiosk a request comes from."""

    name: str
    site: str


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _refuse(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def require_kiosk(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Kiosk:
    """FastAPI dependency: the kiosk holding the Bearer token, or 401 saying why not."""
    if credentials is None:
        raise _refuse("This request needs a kiosk token: send it as Authorization: Bearer <token>.")
    digest = token_digest(credentials.credentials)
    with request.app.state.engine.connect() as connection:
        row = connection.execute(
            sa.select(kiosks.c.name, kiosks.c.site, kiosks.c.token_hash, kiosks.c.revoked_at)
            .where(kiosks.c.token_hash == digest)
        ).first()
    # the lookup already matched the digest; compare again in constant time so no code path's
    # timing depends on how much of a guessed digest was right
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise _refuse("This kiosk token is not recognised; check the kiosk's token file.")
    if row.revoked_at is not None:
        raise _refuse("This kiosk's token has been revoked; enrol the kiosk again to get a new one.")
    return Kiosk(name=row.name, site=row.site)
