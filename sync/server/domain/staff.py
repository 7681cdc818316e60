"""Staff accounts for the dashboard: who may sign in, with what role, for which sites.

Roles, each able to do all the one before it can:

- **viewer**: the overview, themes and "You said, we did" of their sites: what a team meeting looks at;
- **manager**: also the safeguarding queue, exports, question sets, writing "You said, we did" and
  naming themes, for their sites;
- **admin**: also adding staff and enrolling or revoking kiosks, for every site.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended setting); a
hash made with older settings is replaced at the next sign-in.

Sign-in is throttled, never locked (:func:`wait_before_trying`): wrong passwords slow down the address
they come from, so five of them from a stranger's laptop cannot keep a manager at their own desk out
during a safeguarding incident; and a guess spread over many addresses is slowed for the whole name, to
one try a minute, which is still no lock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

import argon2
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.server.domain.kiosks import check_label
from sync.server.domain.timestamps import as_utc
from sync.server.storage.db import audit_log, login_failures, staff, staff_sessions, staff_sites

Role = Literal["viewer", "manager", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
MIN_PASSWORD = 12
"""NCSC and NIST both favour length over character rules; 12 is the common floor for staff accounts."""
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5
"""Wrong passwords for one name from one address in :data:`FAILURE_WINDOW` before that address waits until
the oldest is that old: enough for a person who mistypes, and at most 20 guesses an hour at one name from
one address. Only that address waits; the same name from elsewhere still signs in."""
MAX_FAILURES_PER_ADDRESS = 20
"""Wrong passwords from one address in :data:`FAILURE_WINDOW`, whatever the names: one address trying many
names waits too. A shared office address stays usable: it takes 20 failures."""
NAME_WINDOW = timedelta(hours=1)
MAX_FAILURES_PER_NAME = 30
"""Wrong passwords for one name from every address in :data:`NAME_WINDOW` before :data:`NAME_SPACING`
applies. More than a team mistyping in an hour; guessing from many addresses at once stops here."""
NAME_SPACING = timedelta(minutes=1)
"""Past :data:`MAX_FAILURES_PER_NAME`, one try a minute for that name from anywhere: at most 1,440 guesses a
day at a password of 12 characters or more, and the real person waits a minute, never 15."""
_hasher = argon2.PasswordHasher()


@functools.cache
def _unused_hash() -> str:
    """Checked against when the name is unknown, so a wrong name takes as long as a wrong password. Made on
    first use: hashing takes tens of milliseconds, which every `feedback-server` command would pay at import."""
    return _hasher.hash("no such account")


class StaffError(Exception):
    """A staff account cannot be changed as asked; the message says why."""


@dataclass(frozen=True)
class StaffMember:
    """The person signed in, and what they may see."""

    name: str
    role: Role
    all_sites: bool
    sites: frozenset[str]

    def can(self, role: Role) -> bool:
        """Whether this person has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def may_see(self, site: str) -> bool:
        return self.all_sites or site in self.sites

    def visible(self, sites: list[str]) -> list[str]:
        return [site for site in sites if self.may_see(site)]


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password needs at least {MIN_PASSWORD} characters; a few ordinary words make a good one")
    return password


def add_staff(engine: Engine, name: str, password: str, role: Role, sites: list[str], *,
              all_sites: bool = False) -> None:
    """Add a member of staff. Admins always see every site."""
    name = check_label("staff name", name)
    if role not in ROLES:
        raise StaffError(f"the role must be one of {', '.join(ROLES)}")
    sites = sorted({check_label("site", site) for site in sites})
    all_sites = all_sites or role == "admin"
    if not all_sites and not sites:
        raise StaffError("give at least one site this person may see (or all sites)")
    password_hash = _hasher.hash(check_password(password))
    try:
        with engine.begin() as connection:
            connection.execute(staff.insert().values(name=name, password_hash=password_hash, role=role,
                                                     all_sites=all_sites, created_at=utc_now()))
            if sites and not all_sites:
                connection.execute(staff_sites.insert(), [{"staff": name, "site": site} for site in sites])
    except sa.exc.IntegrityError:
        raise StaffError(f"there is already a member of staff called {name!r}") from None


def set_password(engine: Engine, name: str, password: str) -> None:
    """Give someone a new password and sign them out everywhere."""
    password_hash = _hasher.hash(check_password(password))
    with engine.begin() as connection:
        if not connection.execute(staff.update().where(staff.c.name == name)
                                  .values(password_hash=password_hash)).rowcount:
            raise StaffError(f"no member of staff called {name!r}")
        connection.execute(staff_sessions.delete().where(staff_sessions.c.staff == name))


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    """Stop (or restore) someone's access; disabling signs them out everywhere at once."""
    with engine.begin() as connection:
        if not connection.execute(staff.update().where(staff.c.name == name)
                                  .values(disabled_at=utc_now() if disabled else None)).rowcount:
            raise StaffError(f"no member of staff called {name!r}")
        if disabled:
            connection.execute(staff_sessions.delete().where(staff_sessions.c.staff == name))


def load_member(connection: Connection, name: str) -> StaffMember | None:
    """The member of staff called ``name``, or None when there is none or they are disabled."""
    row = connection.execute(sa.select(staff.c.name, staff.c.role, staff.c.all_sites)
                             .where(staff.c.name == name, staff.c.disabled_at.is_(None))).first()
    if row is None:
        return None
    sites = connection.execute(sa.select(staff_sites.c.site).where(staff_sites.c.staff == name)).scalars()
    return StaffMember(name=row.name, role=row.role, all_sites=row.all_sites, sites=frozenset(sites))


def list_staff(connection: Connection) -> list[dict[str, object]]:
    rows = connection.execute(sa.select(staff).order_by(staff.c.name)).mappings().all()
    sites: dict[str, list[str]] = {}
    for name, site in connection.execute(sa.select(staff_sites.c.staff, staff_sites.c.site)
                                         .order_by(staff_sites.c.site)):
        sites.setdefault(name, []).append(site)
    return [{"name": row["name"], "role": row["role"], "all_sites": row["all_sites"],
             "sites": sites.get(row["name"], []), "disabled": row["disabled_at"] is not None} for row in rows]


def _oldest_of_last(connection: Connection, where: sa.ColumnElement[bool], since: datetime,
                    limit: int) -> datetime | None:
    """The oldest of the last ``limit`` failures matching ``where`` after ``since``; None when there are fewer."""
    recent = connection.execute(sa.select(login_failures.c.at).where(where, login_failures.c.at > since)
                                .order_by(login_failures.c.at.desc()).limit(limit)).scalars().all()
    return as_utc(recent[-1]) if len(recent) >= limit else None


def wait_before_trying(connection: Connection, name: str, address: str, now: datetime) -> timedelta | None:
    """How long until this name may be tried from this address, or None when it may be now."""
    since = now - FAILURE_WINDOW
    by_name = login_failures.c.username == name
    by_address = login_failures.c.address == address
    ends = [oldest + FAILURE_WINDOW
            for oldest in (_oldest_of_last(connection, by_name & by_address, since, MAX_FAILURES_PER_PAIR),
                           _oldest_of_last(connection, by_address, since, MAX_FAILURES_PER_ADDRESS)) if oldest]
    if _oldest_of_last(connection, by_name, now - NAME_WINDOW, MAX_FAILURES_PER_NAME):
        latest = connection.execute(sa.select(sa.func.max(login_failures.c.at)).where(by_name)).scalar_one()
        ends.append(as_utc(latest) + NAME_SPACING)
    wait = max(ends, default=now) - now
    return wait if wait > timedelta(0) else None


def authenticate(engine: Engine, name: str, password: str, address: str) -> StaffMember | timedelta | None:
    """The member of staff, if the name and password are right; a wait, when too many tries failed; else None.
    Each failure is recorded (name and address, never the password tried)."""
    now = utc_now()
    name, address = name.strip()[:100], address[:64]
    with engine.begin() as connection:
        wait = wait_before_trying(connection, name, address, now)
        if wait is not None:
            return wait
        row = connection.execute(sa.select(staff.c.password_hash)
                                 .where(staff.c.name == name, staff.c.disabled_at.is_(None))).first()
        try:
            _hasher.verify(row.password_hash if row else _unused_hash(), password)
            right = row is not None
        except argon2.exceptions.VerificationError:
            right = False
        if not right:
            connection.execute(login_failures.insert().values(username=name, address=address, at=now))
            connection.execute(login_failures.delete().where(login_failures.c.at < now - NAME_WINDOW))
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            connection.execute(staff.update().where(staff.c.name == name)
                               .values(password_hash=_hasher.hash(password)))
        # only this address's failures: the name's count across addresses keeps slowing a distributed guess
        connection.execute(login_failures.delete().where(login_failures.c.username == name,
                                                         login_failures.c.address == address))
        return load_member(connection, name)


def audit(connection: Connection, member: str, action: str, site: str | None = None, detail: str = "") -> None:
    """Record who did what: exports, safeguarding steps, published content, account changes. ``detail`` is
    for ids, counts and names of things, never for what people said."""
    connection.execute(audit_log.insert().values(at=utc_now(), staff=member, action=action, site=site,
                                                 detail=detail[:1000]))
