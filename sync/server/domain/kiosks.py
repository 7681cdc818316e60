"""Enrolling and revoking kiosks, and what each contact tells us about a kiosk's health."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.server.api.auth import new_token, token_digest
from sync.server.domain.timestamps import parse_device_time
from sync.server.storage.db import kiosks

MAX_LABEL = 100


class KioskError(Exception):
    """A kiosk command cannot be done as asked; the message says why."""


def check_label(what: str, value: str) -> str:
    """A kiosk name or site, trimmed; refused when empty, too long or holding control characters."""
    value = value.strip()
    if not value or len(value) > MAX_LABEL or not value.isprintable():
        raise KioskError(f"the {what} must be 1 to {MAX_LABEL} printable characters")
    return value


def add_kiosk(engine: Engine, name: str, site: str) -> str:
    """Enrol a kiosk and return its token; only the token's digest is kept, so this is the one chance
    to copy it."""
    name, site = check_label("kiosk name", name), check_label("site", site)
    token = new_token()
    try:
        with engine.begin() as connection:
            connection.execute(kiosks.insert().values(name=name, site=site, token_hash=token_digest(token),
                                                      created_at=utc_now()))
    except sa.exc.IntegrityError:
        raise KioskError(f"a kiosk named {name!r} is already enrolled; choose another name") from None
    return token


def revoke_kiosk(engine: Engine, name: str) -> bool:
    """Stop a kiosk's token working. False when it was already revoked."""
    with engine.begin() as connection:
        revoked_at = connection.execute(sa.select(kiosks.c.revoked_at).where(kiosks.c.name == name)).first()
        if revoked_at is None:
            raise KioskError(f"no kiosk named {name!r} (see feedback-server stats for the names)")
        if revoked_at[0] is not None:
            return False
        connection.execute(kiosks.update().where(kiosks.c.name == name).values(revoked_at=utc_now()))
    return True


def record_contact(connection: Connection, name: str, *, now: datetime, pending: int | None = None,
                   device_time: str | None = None, device_id: str | None = None) -> None:
    """Note that a kiosk was in touch: when (server time), how much it still holds, how far its clock is
    off (server time minus device time) and which kiosk store it spoke from."""
    health: dict[str, object] = {"last_seen_at": now}
    if pending is not None:
        health["last_pending"] = pending
    device_moment = parse_device_time(device_time) if device_time else None
    if device_moment is not None:
        health["clock_skew_seconds"] = (now - device_moment).total_seconds()
    if device_id is not None:
        health["last_device_id"] = device_id
    connection.execute(kiosks.update().where(kiosks.c.name == name).values(**health))
