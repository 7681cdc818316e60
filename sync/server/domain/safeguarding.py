"""The safeguarding queue: responses whose words suggested someone may be at risk, and what staff did
about each (the dashboard's Safeguarding page, issue 7).

A kiosk flags a response (sync.core.privacy.concerns); sync/server/domain/batches.py puts it in ``concern_queue`` as
**open**. From there::

    open ──acknowledge──▶ acknowledged ──resolve──▶ resolved
     │ ▲                                              ▲  │
     │ └───────────────────reopen─────────────────────┼──┘
     └────────────────────resolve─────────────────────┘

- **acknowledge**: someone has seen it and is dealing with it;
- **assign** (open or acknowledged): give it to a named manager or admin who may see its site; an open
  concern is acknowledged by being assigned;
- **note** (any status): add to the record;
- **resolve** (open or acknowledged): needs a note saying what was done, because nothing flagged may leave
  the queue without a recorded reason (a false alarm is resolved too, saying so);
- **reopen** (resolved only): back to open, with a note saying why.

Each step is one transaction: a ``concern_events`` row (never deleted: the history), the queue row's
latest state, and a line in the audit log naming the response id (never the words). Steps are checked
against the row as it is inside that transaction (locked on PostgreSQL; SQLite transactions here take the
write lock), so two managers resolving at once get one success and one clear refusal.

Only managers and admins who may see the concern's site act on it; this module checks that too, as well as
the pages that call it. Nothing here logs the words or the notes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.core.plain_words import plain_duration
from sync.core.record import read_payload, without_about_you
from sync.server.domain.staff import StaffMember, audit, load_member
from sync.server.domain.timestamps import as_utc, parse_device_time
from sync.server.storage.db import concern_events, concern_queue, responses, staff, staff_sites

Status = Literal["open", "acknowledged", "resolved"]
STATUSES: tuple[Status, ...] = get_args(Status)
Action = Literal["acknowledge", "assign", "note", "resolve", "reopen"]
View = Literal["current", "resolved", "all"]
Order = Literal["serious", "arrived", "said"]
ORDERS: tuple[Order, ...] = get_args(Order)
"""How the queue may be sorted; "may be at risk now" comes first in each: the most serious kind first, then
the longest waiting ("serious", the page's default); the newest to arrive first ("arrived"); the newest said
first ("said", by the kiosk's clock)."""
VIEWS: dict[View, tuple[Status, ...]] = {"current": ("open", "acknowledged"), "resolved": ("resolved",),
                                         "all": STATUSES}
"""What each view of the queue lists: by default what still needs someone ("current")."""
STATUS_LABELS: dict[str, str] = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}
CATEGORY_NAMES: dict[str, str] = {
    "self-harm": "Self-harm or suicide",
    "abuse-physical": "Physical abuse",
    "abuse-sexual": "Sexual abuse",
    "abuse-financial": "Financial abuse",
    "abuse-emotional": "Emotional abuse",
    "abuse": "Abuse",
    "neglect": "Neglect",
    "unsafe": "Feeling unsafe, or a danger in the place",
}
"""Plain words for the categories of sync.core.privacy.concerns (``abuse`` is what older kiosks sent)."""
SEVERITY: tuple[tuple[str, ...], ...] = (("self-harm",), ("abuse-sexual",), ("abuse-physical", "abuse"), ("neglect",),
                                         ("abuse-emotional",), ("unsafe",), ("abuse-financial",))
"""The kinds of concern, most serious first, for sorting the queue: a risk to life, then harm to the body, then
the rest ("abuse" is what older kiosks sent for any abuse)."""
RESPONSE_TIMES = {"acknowledge urgent": timedelta(hours=1), "acknowledge": timedelta(hours=24),
                  "resolve": timedelta(days=28)}
"""How soon a concern should be acknowledged after it arrives (within the hour when the kiosk read it as "may be
at risk now", else within a day) and resolved (28 days, the usual span of a safeguarding enquiry). The same for
every site for now; the queue warns when one is passed."""
LATE_ARRIVAL = timedelta(days=2)
"""A concern said this long before it reached the server is marked: the kiosk could not send it sooner (or its
clock was wrong), so the person spoke up days before anyone could read it."""
LONGEST_NOTE = 5000
ACTING_ROLE = "manager"
LIST_LIMIT = 200
"""The most items one page of the queue lists (newest first); the counts still cover them all."""

_CAN_FOLLOW: dict[Action, tuple[Status, ...]] = {
    "acknowledge": ("open",),
    "assign": ("open", "acknowledged"),
    "note": STATUSES,
    "resolve": ("open", "acknowledged"),
    "reopen": ("resolved",),
}
_AFTER: dict[Action, Status | None] = {"acknowledge": "acknowledged", "assign": None, "note": None,
                                       "resolve": "resolved", "reopen": "open"}
"""The status a step leaves (None: as it was; an open concern that is assigned becomes acknowledged)."""
_AUDIT: dict[Action, str] = {"acknowledge": "concern-acknowledged", "assign": "concern-assigned",
                             "note": "concern-noted", "resolve": "concern-resolved", "reopen": "concern-reopened"}
_REFUSED: dict[tuple[Action, Status], str] = {
    ("acknowledge", "acknowledged"): "This concern is already acknowledged.",
    ("acknowledge", "resolved"): "This concern is resolved. Reopen it first if it needs more done.",
    ("assign", "resolved"): "This concern is resolved. Reopen it first if someone needs to take it on.",
    ("resolve", "resolved"): "This concern is already resolved.",
    ("reopen", "open"): "This concern is not resolved, so it cannot be reopened.",
    ("reopen", "acknowledged"): "This concern is not resolved, so it cannot be reopened.",
}
_NOTE_NEEDED: dict[Action, str] = {
    "note": "Write the note first: the Note box was empty.",
    "resolve": "Write what was done in \"What was done\" before resolving it: nothing flagged can leave the "
               "queue without a recorded reason.",
    "reopen": "Write why it needs reopening in \"Why reopen it\".",
}


class ConcernError(Exception):
    """A step on a concern cannot be taken as asked; the message says why, in words for staff."""


class ConcernNotFound(ConcernError):
    """No concern with that response id (or it was forgotten)."""


class ConcernNotPermitted(ConcernError):
    """This person may not act on this concern (their role, or its site)."""


@dataclass(frozen=True)
class QueueItem:
    """One concern as the queue lists it."""

    response_id: str
    site: str
    kiosk: str
    categories: tuple[str, ...]
    status: Status
    assigned_to: str | None
    note: str
    """The latest note written (for a resolved concern: what was done)."""
    received_at: datetime
    updated_at: datetime
    given: str
    """When the person answered, by the kiosk's clock ('' when the response is no longer held)."""
    urgent: bool = False
    """The kiosk read the words as "may be at risk now" and showed the person the help screen."""

    def overdue(self, now: datetime) -> str:
        """What should have happened by now and has not, in words ("" when nothing is late)."""
        waited = now - self.received_at
        if self.status == "open":
            allowed = RESPONSE_TIMES["acknowledge urgent" if self.urgent else "acknowledge"]
            if waited > allowed:
                return f"Not acknowledged after {_span(waited)} (should be within {_span(allowed)})"
        elif self.status == "acknowledged" and waited > RESPONSE_TIMES["resolve"]:
            return f"Not resolved after {_span(waited)} (should be within {_span(RESPONSE_TIMES['resolve'])})"
        return ""

    @property
    def arrived_late(self) -> str:
        """How long before it arrived it was said, when that is :data:`LATE_ARRIVAL` or more ("" otherwise)."""
        said = parse_device_time(self.given) if self.given else None
        if said is None or self.received_at - said < LATE_ARRIVAL:
            return ""
        return f"Said {_span(self.received_at - said)} before it arrived"


def _span(length: timedelta) -> str:
    """A length of time as :func:`plain_duration` says it ("1 hour", "30 days"), in weeks past eight ("10
    weeks"), so that "30 days" is not "4 weeks" beside a limit of 28 days."""
    weeks = length // timedelta(weeks=1)
    return f"{weeks} weeks" if weeks >= 8 else plain_duration(length.total_seconds())


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    """Newest first, at most :data:`LIST_LIMIT`."""
    counts: dict[Status, int]
    """How many of each status at these sites (whatever the view)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Answer:
    """One answer of the flagged response."""

    question_text: str
    choice_text: str
    """The words of the answer chosen ('' for a text question or nothing chosen)."""
    text: str
    """What the person said or typed, scrubbed of personal details ('' for none)."""


@dataclass(frozen=True)
class Event:
    """One step taken on a concern."""

    at: datetime
    staff: str
    action: Action
    assigned_to: str | None
    """Who it was assigned to after this step."""
    note: str


@dataclass(frozen=True)
class Concern:
    """One concern in full: its state, the words, and every step taken."""

    item: QueueItem
    answers: list[Answer]
    """Empty when the response is no longer held, or its payload held no answers."""
    language: str
    channel: str
    held: bool
    """False when the response itself is gone (only the queue row is left)."""
    history: list[Event]
    """Oldest first."""

    @property
    def words(self) -> list[Answer]:
        """The answers with free text: what the person said."""
        return [answer for answer in self.answers if answer.text]


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category.replace("-", " ").capitalize())


def _where_sites(sites: Collection[str] | None) -> sa.ColumnElement[bool]:
    """Concerns at ``sites`` (None: every site, for those who see them all)."""
    return sa.true() if sites is None else concern_queue.c.site.in_(sorted(sites))


def open_count(connection: Connection, sites: Collection[str] | None) -> int:
    """How many concerns at ``sites`` nobody has acknowledged yet (for the badge by the Safeguarding link)."""
    if sites is not None and not sites:
        return 0
    return connection.execute(sa.select(sa.func.count()).select_from(concern_queue)
                              .where(concern_queue.c.status == "open", _where_sites(sites))).scalar_one()


def _item(row: Any) -> QueueItem:
    return QueueItem(response_id=row.response_id, site=row.site, kiosk=row.kiosk,
                     categories=tuple(label for label in row.categories.split(",") if label),
                     status=row.status, assigned_to=row.assigned_to, note=row.note,
                     received_at=as_utc(row.received_at), updated_at=as_utc(row.updated_at),
                     given=row.created_at_device or "", urgent=bool(row.urgent))


def _items_query(*columns: sa.Column[Any]) -> sa.Select[Any]:
    """Queue rows with when the person answered (and ``columns``) from their response, if still held."""
    return (sa.select(concern_queue, responses.c.created_at_device, *columns)
            .select_from(concern_queue.outerjoin(responses, responses.c.id == concern_queue.c.response_id)))


def _severity() -> sa.ColumnElement[int]:
    """The rank of a queue row's most serious kind (:data:`SEVERITY`; unknown kinds last)."""
    categories = concern_queue.c.categories
    whens = []
    for rank, kinds in enumerate(SEVERITY):
        for kind in kinds:
            whens.append((sa.or_(categories == kind, categories.like(f"{kind},%"), categories.like(f"%,{kind}"),
                                 categories.like(f"%,{kind},%")), rank))
    return sa.case(*whens, else_=len(SEVERITY))


def _order(order: Order) -> tuple[sa.ColumnElement[Any], ...]:
    if order == "serious":
        return _severity(), concern_queue.c.received_at
    if order == "said":
        return responses.c.created_at_device.is_(None), responses.c.created_at_device.desc()
    return (concern_queue.c.received_at.desc(),)


def list_concerns(connection: Connection, sites: Collection[str] | None, view: View = "current", *,
                  order: Order = "arrived", limit: int = LIST_LIMIT) -> Queue:
    """The queue at ``sites`` (None: every site) in ``view``, with counts per status: those the kiosk read as
    urgent first, then in ``order`` (:data:`ORDERS`)."""
    if view not in VIEWS:
        raise ConcernError(f"the view must be one of {', '.join(VIEWS)}")
    if order not in ORDERS:
        raise ConcernError(f"the order must be one of {', '.join(ORDERS)}")
    if sites is not None and not sites:
        return Queue(items=[], counts=dict.fromkeys(STATUSES, 0))
    counted = dict(connection.execute(sa.select(concern_queue.c.status, sa.func.count())
                                      .where(_where_sites(sites)).group_by(concern_queue.c.status)).all())
    rows = connection.execute(_items_query().where(_where_sites(sites), concern_queue.c.status.in_(VIEWS[view]))
                              .order_by(concern_queue.c.urgent.desc(), *_order(order),
                                        concern_queue.c.response_id.desc())
                              .limit(limit)).all()
    return Queue(items=[_item(row) for row in rows],
                 counts={status: counted.get(status, 0) for status in STATUSES})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _answers(payload: dict[str, Any]) -> list[Answer]:
    """What the person chose and said, from a payload however odd (a missing key, a wrong type)."""
    found = []
    for answer in without_about_you(payload).get("answers") or []:
        if not isinstance(answer, dict):
            continue
        said = Answer(question_text=_text(answer.get("question_text")) or _text(answer.get("question")),
                      choice_text=_text(answer.get("choice_text")) or _text(answer.get("choice")),
                      text=_text(answer.get("text")).strip())
        if said.choice_text or said.text:
            found.append(said)
    return found


def load_concern(connection: Connection, response_id: str) -> Concern | None:
    """One concern with its words and history, or None when there is no such concern. Callers check that
    the reader may see ``concern.item.site``."""
    row = connection.execute(_items_query(responses.c.payload)
                             .where(concern_queue.c.response_id == response_id)).first()
    if row is None:
        return None
    payload = read_payload(row.payload) if row.payload is not None else None
    payload = payload if isinstance(payload, dict) else {}
    events = connection.execute(sa.select(concern_events).where(concern_events.c.response_id == response_id)
                                .order_by(concern_events.c.at, concern_events.c.id)).all()
    return Concern(item=_item(row), answers=_answers(payload), language=_text(payload.get("language")),
                   channel=_text(payload.get("channel")), held=row.payload is not None,
                   history=[Event(at=as_utc(event.at), staff=event.staff, action=event.action,
                                  assigned_to=event.assigned_to, note=event.note) for event in events])


def eligible_staff(connection: Connection, site: str) -> list[str]:
    """Who a concern at ``site`` can be assigned to: managers and admins who may see it, not disabled."""
    of_site = sa.exists().where(staff_sites.c.staff == staff.c.name, staff_sites.c.site == site)
    return list(connection.execute(
        sa.select(staff.c.name).where(staff.c.disabled_at.is_(None), staff.c.role.in_(("manager", "admin")),
                                      sa.or_(staff.c.all_sites, of_site)).order_by(staff.c.name)).scalars())


def _clean_note(action: Action, note: str) -> str:
    note = note.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL characters
    if not note and action in _NOTE_NEEDED:
        raise ConcernError(_NOTE_NEEDED[action])
    if len(note) > LONGEST_NOTE:
        raise ConcernError(f"The note is {len(note):,} characters long; keep it under {LONGEST_NOTE:,}.")
    return note


def take_step(engine: Engine, member: StaffMember, response_id: str, action: Action, note: str = "",
              assign_to: str | None = None) -> Status:
    """Take one step on a concern: check it, record it, update the queue row and the audit log, all in one
    transaction. Returns the concern's status after it. ``assign_to`` is for "assign" only."""
    if action not in _CAN_FOLLOW:
        raise ConcernError(f"a step must be one of {', '.join(_CAN_FOLLOW)}")
    if not member.can(ACTING_ROLE):
        raise ConcernNotPermitted("Only a manager or above can act on safeguarding concerns.")
    note = _clean_note(action, note)
    with engine.begin() as connection:
        row = connection.execute(sa.select(concern_queue).where(concern_queue.c.response_id == response_id)
                                 .with_for_update()).first()
        if row is None:
            raise ConcernNotFound("There is no such concern; it may have been forgotten.")
        if not member.may_see(row.site):
            raise ConcernNotPermitted(f"You do not have access to the site {row.site!r}.")
        if row.status not in _CAN_FOLLOW[action]:
            raise ConcernError(_REFUSED.get((action, row.status), f"This cannot be done to a {row.status} concern."))
        assigned_to = row.assigned_to
        if action == "assign":
            assigned_to = _assignee(connection, row, (assign_to or "").replace("\x00", "").strip())
        status: Status = _AFTER[action] or row.status
        if action == "assign" and status == "open":
            status = "acknowledged"
        now = utc_now()
        connection.execute(concern_events.insert().values(response_id=response_id, at=now, staff=member.name,
                                                          action=action, assigned_to=assigned_to, note=note))
        connection.execute(concern_queue.update().where(concern_queue.c.response_id == response_id)
                           .values(status=status, assigned_to=assigned_to, note=note or row.note, updated_at=now))
        audit(connection, member.name, _AUDIT[action], row.site,
              f"{response_id} to {assigned_to}" if action == "assign" else response_id)
    return status


def _assignee(connection: Connection, row: Any, name: str) -> str:
    if not name:
        raise ConcernError("Choose who to give it to in \"Assign to\".")
    if name == row.assigned_to:
        raise ConcernError(f"It is already assigned to {name}.")
    chosen = load_member(connection, name)
    if chosen is None or not chosen.can(ACTING_ROLE) or not chosen.may_see(row.site):
        raise ConcernError(f"The person chosen in \"Assign to\" cannot take this: choose a manager or admin of "
                           f"{row.site} from the list.")
    return chosen.name


def acknowledge(engine: Engine, member: StaffMember, response_id: str, note: str = "") -> Status:
    """``member`` has seen the concern and is dealing with it."""
    return take_step(engine, member, response_id, "acknowledge", note)


def assign(engine: Engine, member: StaffMember, response_id: str, to: str, note: str = "") -> Status:
    """Give the concern to ``to``: a manager or admin who may see its site."""
    return take_step(engine, member, response_id, "assign", note, assign_to=to)


def add_note(engine: Engine, member: StaffMember, response_id: str, note: str) -> Status:
    return take_step(engine, member, response_id, "note", note)


def resolve(engine: Engine, member: StaffMember, response_id: str, note: str) -> Status:
    """Close the concern; ``note`` says what was done (required)."""
    return take_step(engine, member, response_id, "resolve", note)


def reopen(engine: Engine, member: StaffMember, response_id: str, note: str) -> Status:
    """Put a resolved concern back in the open queue; ``note`` says why (required)."""
    return take_step(engine, member, response_id, "reopen", note)
