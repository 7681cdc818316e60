"""Reports to download from the dashboard: the monthly team report, the quarterly report across sites for the
forum and the Board, and its Easy Read version, as PDF or HTML: the same files `feedback-server report` makes.

Anyone signed in may make them for the sites they may see: they hold only counts (small ones suppressed with
the server's threshold) and scrubbed example comments, as the Overview and Themes pages do; ticking "Names" puts
[name] for people's names in those comments, for a report to publish (sync.core.privacy.redact_names). Like an export,
each download is a form post with the session's CSRF token, and goes in the audit log.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.server.domain.staff import audit
from sync.server.reports.easy_read import easy_read_html
from sync.server.reports.monthly import gather_monthly
from sync.server.reports.period import Month, Quarter, ReportError, parse_period
from sync.server.reports.quarterly import gather_quarterly
from sync.server.reports.render import FORMATS, Format, monthly_html, pdf_bytes, quarterly_html
from sync.server.web.common import BadRequest, check_site, render, sites_for
from sync.server.web.sessions import Signed, SignedIn, field, form_reader

router = APIRouter()
WHAT = "download reports"
Kind = Literal["monthly", "quarterly", "easy-read"]
KINDS: dict[Kind, str] = {"monthly": "Monthly team report (one site)",
                          "quarterly": "Quarterly report for the forum and the Board",
                          "easy-read": "Easy Read version of the quarterly report"}
NAMES: dict[Kind, str] = {"monthly": "monthly team report", "quarterly": "quarterly report",
                          "easy-read": "Easy Read report"}
"""What each report is called in a sentence, and (with hyphens) at the start of its file's name."""
MEDIA_TYPES: dict[Format, str] = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
MONTHS_OFFERED = 13
QUARTERS_OFFERED = 9


def _periods(today: date) -> tuple[list[Month], list[Quarter]]:
    """The months and quarters offered, newest first: the one so far and those before it."""
    month = Month(today.year, today.month)
    quarters = [Quarter(today.year, (today.month - 1) // 3 + 1)]
    while len(quarters) < QUARTERS_OFFERED:
        quarters.append(quarters[-1].previous())
    return month.back(MONTHS_OFFERED)[::-1], quarters


@router.get("/reports")
def reports_page(request: Request, signed: SignedIn) -> Response:
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
    months, quarters = _periods(date.today())
    return render(request, "reports.html", signed, title="Reports", page="reports", sites=sites, kinds=KINDS,
                  months=months, quarters=quarters)


def _chosen_sites(form: FormData, signed: Signed, request: Request) -> tuple[list[str], bool]:
    """The sites ticked, each one this person may see (403 otherwise), and whether none was ticked: then every
    site they may see."""
    ticked = [value.strip() for value in form.getlist("site") if isinstance(value, str) and value.strip()]
    for site in ticked:
        check_site(signed.member, site)
    if ticked:
        return list(dict.fromkeys(ticked)), False
    with request.app.state.engine.connect() as connection:
        return sites_for(connection, signed.member), True


def _period(form: FormData, kind: Kind) -> Month | Quarter:
    """The month (monthly report) or quarter (the others) chosen, as 2026-10 or 2026-Q3."""
    name = "month" if kind == "monthly" else "quarter"
    try:
        period = parse_period(field(form, name))
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    if not isinstance(period, Month if kind == "monthly" else Quarter):
        raise BadRequest(f"The {NAMES[kind]} needs a {name}, such as "
                         f"{'2026-10' if kind == 'monthly' else '2026-Q3'}.")
    return period


def _file_name(kind: Kind, sites: list[str], every: bool, period: Month | Quarter, fmt: str) -> str:
    """Such as ``monthly-team-report-mile-end-2026-10.pdf`` or ``quarterly-report-all-my-sites-2026-Q3.pdf``."""
    if every and len(sites) > 1:
        about = "all-my-sites"
    else:
        about = "-".join(sites) if len(sites) <= 3 else f"{len(sites)}-sites"
    slug = re.sub(r"[^a-z0-9]+", "-", about.lower()).strip("-")[:80] or "site"
    return f"{NAMES[kind].lower().replace(' ', '-')}-{slug}-{period}.{fmt}"


@router.post("/reports")
def download(request: Request,
             checked: Annotated[tuple[Signed, FormData], Depends(form_reader("viewer", WHAT))]) -> Response:
    """Make the report chosen and send it as a file to save (it is made afresh each time; nothing is kept)."""
    signed, form = checked
    kind, fmt = field(form, "kind"), field(form, "format", "pdf")
    if kind not in KINDS:
        raise BadRequest("Choose which report to make: the monthly team report, the quarterly report, or its Easy "
                         "Read version.")
    if fmt not in FORMATS:
        raise BadRequest("Choose PDF or HTML for the file.")
    period = _period(form, kind)  # type: ignore[arg-type]
    sites, every = _chosen_sites(form, signed, request)
    if not sites:
        raise BadRequest("You have no sites yet; ask an admin to give you one.")
    if kind == "monthly" and len(sites) != 1:
        raise BadRequest("The monthly team report is for one site: tick just one site, or choose the quarterly "
                         "report for several.")
    engine, suppress_below = request.app.state.engine, request.app.state.suppress_below
    redact_names = field(form, "redact_names") == "yes"
    try:
        if isinstance(period, Month):
            gathered = gather_monthly(engine, sites[0], period, reference_mix=request.app.state.reference_mix,
                                      suppress_below=suppress_below, redact_names=redact_names)
            html = monthly_html(gathered, suppress_below)
        else:
            made = easy_read_html if kind == "easy-read" else quarterly_html
            html = made(gather_quarterly(engine, sites, period, redact_names=redact_names), suppress_below)
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    name = _file_name(kind, sites, every, period, fmt)  # type: ignore[arg-type]
    with engine.begin() as connection:
        audit(connection, signed.member.name, "report-downloaded", sites[0] if len(sites) == 1 else None,
              f"{kind} report for {period} as {fmt}{', names redacted' if redact_names else ''}; "
              f"sites: {', '.join(sites)}")
    return Response(html.encode("utf-8") if fmt == "html" else pdf_bytes(html), media_type=MEDIA_TYPES[fmt],  # type: ignore[index]
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
