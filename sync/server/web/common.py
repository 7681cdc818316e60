"""What every dashboard page shares: the templates, the filters in the address bar, small-count
suppression, and the page shown when something is refused."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection
from starlette.responses import Response

from sync.core.clock import utc_now
from sync.core.plain_words import in_words
from sync.server.domain.aggregates import Filters, question_sets_seen
from sync.server.domain.staff import StaffMember
from sync.server.domain.timestamps import as_utc
from sync.server.storage.db import kiosks, question_sets, responses, you_said_we_did
from sync.server.web.sessions import CSRF_FIELD, NotAllowed, Signed

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
DEFAULT_WEEKS = 12
LONGEST_PERIOD = timedelta(days=3 * 366)
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)
"""The dates a period may start and end on: from a kiosk clock never set (1970), to well before the days
the counting around a period (its weeks, the day after it) would run past the calendar's end (9999)."""


class BadRequest(Exception):
    """A page was asked for with a value it cannot use; the message says which and why (shown with 400)."""


def render(request: Request, template: str, signed: Signed | None, status_code: int = 200,
           **context: Any) -> Response:
    """A page, with who is signed in and the CSRF field its forms need."""
    return templates.TemplateResponse(request, template, status_code=status_code, context={
        "member": signed.member if signed else None, "csrf_field": CSRF_FIELD,
        "csrf": signed.csrf if signed else "", "suppress_below": request.app.state.suppress_below, **context})


def known_sites(connection: Connection) -> list[str]:
    """Every site the server has heard of: from its kiosks (or, with none, their answers), question sets
    and "You said, we did" items."""
    named = set(connection.execute(sa.select(kiosks.c.site).distinct()).scalars())
    if not named:
        named = set(connection.execute(sa.select(responses.c.site).distinct()).scalars())
    for table in (question_sets, you_said_we_did):
        named |= set(connection.execute(sa.select(table.c.site).distinct()).scalars())
    return sorted(named)


def sites_for(connection: Connection, member: StaffMember) -> list[str]:
    """The sites ``member`` may see: those the server knows of, and their own even before it does."""
    return member.visible(sorted(set(known_sites(connection)) | member.sites))


def check_site(member: StaffMember, site: str) -> None:
    """Refuse (403) anything at a site ``member`` may not see, whether asked for by name or by an item's id."""
    if not member.may_see(site):
        raise NotAllowed(f"You do not have access to the site {site!r}.")


def chosen_site(request: Request, member: StaffMember) -> str:
    """The site chosen in the address bar ('' for all of one's sites), if ``member`` may see it."""
    site = request.query_params.get("site", "").strip()
    if site:
        check_site(member, site)
    return site


def _date(request: Request, name: str, default: date) -> date:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"The {name} date {text!r} is not a date; write it as 2026-11-23.") from None
    if not EARLIEST <= chosen <= LATEST:
        raise BadRequest(f"The {name} date {text!r} is out of range: choose a date from {EARLIEST.year} to "
                         f"{LATEST.year}.")
    return chosen


@dataclass(frozen=True)
class PageFilters:
    """The filters as chosen on the page, and what they mean for the queries."""

    site: str
    """'' for every site this person may see."""
    question_set: str
    sites: list[str]
    """Every site this person may see (for the site menu)."""
    question_sets: list[str]
    query: Filters

    def as_query(self) -> dict[str, str]:
        return {"site": self.site, "question_set": self.question_set, "start": self.query.start.isoformat(),
                "end": self.query.end.isoformat()}


def page_filters(request: Request, connection: Connection, member: StaffMember, *,
                 today: date | None = None) -> PageFilters:
    """Site, question set and period from the address bar, limited to the sites ``member`` may see."""
    today = today or utc_now().date()
    end = _date(request, "end", today)
    start = _date(request, "start", end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1))
    if start > end:
        raise BadRequest("The start date is after the end date; swap them round.")
    if end - start > LONGEST_PERIOD:
        raise BadRequest("Choose a period of three years or less.")
    sites = sites_for(connection, member)
    site = chosen_site(request, member)
    chosen = (site,) if site else tuple(sites)
    question_sets = question_sets_seen(connection, chosen)
    question_set = request.query_params.get("question_set", "").strip()
    return PageFilters(site=site, question_set=question_set, sites=sites, question_sets=question_sets,
                       query=Filters(sites=chosen, question_set=question_set or None, start=start, end=end))


def ago(moment: datetime, now: datetime) -> str:
    """How long ago, in words a person says ("3 hours ago")."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    for size, unit, below in ((60, "minute", 60), (3600, "hour", 48), (86400, "day", 14), (7 * 86400, "week", 9)):
        if seconds // size < below:
            amount = seconds // size
            return f"{amount} {unit}{'s' * (amount != 1)} ago"
    return f"{seconds // (30 * 86400)} months ago"


UK_TIME = ZoneInfo("Europe/London")
"""Times are stored in UTC and shown to people in UK time: GMT in winter, BST (an hour ahead) in summer."""


def when(moment: datetime) -> str:
    """A stored time (UTC, or naive from SQLite and so UTC) as a person in the UK reads it:
    "7 December 2026, 14:05 GMT", "1 July 2026, 13:00 BST"."""
    local = as_utc(moment).astimezone(UK_TIME)
    return f"{in_words(local.date())}, {local:%H:%M} {local.tzname()}"


templates.env.globals["when"] = when


def last_heard(text: str | None) -> str:
    """A kiosk's last contact (ISO text from sync.server.domain.stats) as "5 minutes ago (23 November 2026, 20:00
    GMT)"."""
    if not text:
        return "never"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return f"{ago(moment, utc_now())} ({when(moment)})"


templates.env.filters["last_heard"] = last_heard


def shown(count: int, suppress_below: int) -> str:
    """A count as a page shows it: small ones read "fewer than N", so no small group can be singled out."""
    return f"fewer than {suppress_below}" if 0 < count < suppress_below else f"{count:,}"


HIDDEN = "hidden"
"""A count of N or more, hidden so that a small count beside it cannot be worked out (:func:`hidden_counts`)."""
NOT_SHOWN = "not shown"
"""Any count, 1 or more, in a table that cannot show its counts without giving a small one away."""


def hidden_counts(counts: Mapping[str, int], suppress_below: int, *,
                  total_known: bool | None = None) -> frozenset[str] | None:
    """The counts of one table (counts that add up to a total) that a page must not give, or None when it can
    give none of them. Every table of counts the dashboard and the reports show goes through here
    (docs/privacy.md, "Small numbers"), so a table hides the same counts wherever it is shown.

    A reader is taken to know the table's total, whether or not this page shows it (another page may), or,
    when it is below N, that it is 1 to N - 1 (every page writes it "fewer than N"): ``total_known`` says it
    is known even then, for a part of a larger table. Every count from 1 to N - 1 is hidden ("fewer than
    N"). Then, while arithmetic could narrow a hidden small count to one value (the total less the counts
    shown, shared among hidden counts each known to be 1 to N - 1, or N up to the smallest count shown), the
    smallest count shown is hidden too ("hidden"; ties by key, so that every page picks the same one). When
    nothing is left to hide and a small count could still be worked out, the table can give none (None)."""
    small = {key for key, count in counts.items() if 0 < count < suppress_below}
    hidden = set(small)
    if total_known is None:
        total_known = sum(counts.values()) >= suppress_below
    while small and total_known:
        shown_keys = [key for key, count in counts.items() if count and key not in hidden]
        others = len(hidden) - len(small)
        ceiling = min((counts[key] for key in shown_keys), default=math.inf)
        rest = sum(counts[key] for key in hidden)
        most = min(suppress_below - 1, rest - (len(small) - 1) - others * suppress_below)
        least = max(1, rest - (len(small) - 1) * (suppress_below - 1) - (others * ceiling if others else 0))
        if least < most:
            break
        if not shown_keys:
            return None
        hidden.add(min(shown_keys, key=lambda key: (counts[key], key)))
    return frozenset(hidden)


def table_shown(counts: Mapping[str, int], suppress_below: int) -> dict[str, str]:
    """Each count of a table as the page writes it, by :func:`hidden_counts`: "12", "0", "fewer than 5",
    "hidden", or "not shown" for every count but 0 when the table can give none."""
    hidden = hidden_counts(counts, suppress_below)
    if hidden is None:
        return {key: NOT_SHOWN if count else "0" for key, count in counts.items()}
    return {key: HIDDEN if key in hidden and count >= suppress_below else shown(count, suppress_below)
            for key, count in counts.items()}


def exact(word: str) -> bool:
    """Whether a count as :func:`table_shown` writes it is the count itself (so its share may be given too)."""
    return word[:1].isdigit()
