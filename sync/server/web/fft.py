"""The Friends and Family Test return on the dashboard (docs/fft.md): managers see a month's return for their sites,
as NHS England would publish it, with its checks, and download it: exact counts for the submission, or the
suppressed version to publish. Admins set the NHS codes on the Admin page; the forms post here.

What the page shows is the publication version: the dashboard shows nothing that NHS England's rules would
hide (sync/server/fft/suppression.py). Each download and each change of codes goes in the audit log.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy.engine import Connection
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.core.clock import utc_now
from sync.server.domain.staff import audit
from sync.server.fft.codes import FftCodesError, SiteCodes, Ward, set_site_codes, set_ward
from sync.server.fft.files import write_return
from sync.server.fft.tables import FORMATS, FftReturn, month_return
from sync.server.reports.period import Month, ReportError, SoFar, parse_period
from sync.server.web.admin import _page as admin_page
from sync.server.web.common import BadRequest, render, sites_for
from sync.server.web.exports import MEDIA_TYPES
from sync.server.web.sessions import Signed, field, form_reader, needs

router = APIRouter()
WHAT = "make the Friends and Family Test return"
CODES = "set the NHS codes"
MONTHS_OFFERED = 13
KINDS = {"submission": "For NHS England's data collection: exact counts (do not publish)",
         "publication": "To publish: NHS England's suppression applied"}
Manager = Annotated[Signed, Depends(needs("manager", WHAT))]
AdminForm = Annotated[tuple[Signed, FormData], Depends(form_reader("admin", CODES))]


def _month(text: str, today: date) -> Month:
    """The month asked for, or the last complete one."""
    if not text:
        return Month(today.year, today.month).previous()
    try:
        chosen = parse_period(text)
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    if not isinstance(chosen, Month):
        raise BadRequest("The return is monthly: choose a month, such as 2026-10.")
    return chosen


def _shown(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.1%}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)


def _made(request: Request, signed: Signed, month: Month) -> FftReturn:
    with request.app.state.engine.connect() as connection:
        sites = sites_for(connection, signed.member)
    return month_return(request.app.state.engine, month, sites)


@router.get("/fft")
def fft_page(request: Request, signed: Manager) -> Response:
    today = utc_now().date()  # days are counted in UTC (reports.period.SoFar)
    month = _month(request.query_params.get("month", "").strip(), today)
    made = _made(request, signed, month)
    sheets = {name: [[_shown(value) for value in row] for row in rows]
              for name, rows in made.sheets(published=True).items()}
    return render(request, "fft.html", signed, title="Friends and Family Test return", page="fft", month=month,
                  so_far=SoFar(month.first, month.last, today),
                  months=Month(today.year, today.month).back(MONTHS_OFFERED)[::-1], made=made, sheets=sheets,
                  kinds=KINDS, formats=FORMATS)


@router.post("/fft")
def download(request: Request,
             checked: Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WHAT))]) -> Response:
    """Write the file in a private temporary folder, send it, then delete it: nothing stays on the server."""
    signed, form = checked
    month = _month(field(form, "month"), date.today())
    kind, fmt = field(form, "kind", "submission"), field(form, "format", "xlsx")
    if kind not in KINDS or fmt not in FORMATS:
        raise BadRequest("Choose which version (submission or publication) and a file type (XLSX or CSV).")
    made = _made(request, signed, month)
    folder = Path(tempfile.mkdtemp(prefix="feedback-fft-"))
    name = f"fft-return-{month}{'-publication' if kind == 'publication' else ''}.{fmt}"
    try:
        write_return(made, fmt, folder / name, published=kind == "publication", now=utc_now())  # type: ignore[arg-type]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    with request.app.state.engine.begin() as connection:
        audit(connection, signed.member.name, "fft-return", None,
              f"{kind} for {month} as {fmt}: {made.total} answers, {len(made.levels['Wards'])} wards")
    return FileResponse(folder / name, media_type=MEDIA_TYPES[fmt], filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def _sentence(problem: Exception) -> str:
    """A problem's message as a sentence, its codes' capitals kept (str.capitalize would lower them)."""
    text = str(problem)
    return text[:1].upper() + text[1:] + "."


def _save(request: Request, checked: tuple[Signed, FormData], names: tuple[str, ...], typed_as: str,
          save: Callable[[Connection, dict[str, str], str], object]) -> Response:
    """Save a code form's fields ``names`` with ``save``; back to the Admin page, or the page again with the
    problem and what was typed (as ``typed_as``) when a code is refused."""
    signed, form = checked
    typed = {name: field(form, name) for name in names}
    try:
        with request.app.state.engine.begin() as connection:
            save(connection, typed, signed.member.name)
    except FftCodesError as exc:
        return admin_page(request, signed, 400, fft_problem=_sentence(exc), **{typed_as: typed})
    return RedirectResponse("/staff/admin?done=fft-codes#fft", status_code=303)


@router.post("/admin/fft/site")
def save_site_codes(request: Request, checked: AdminForm) -> Response:
    return _save(request, checked, ("site", "org_code", "org_name", "site_code", "icb_code", "mode"), "fft_typed",
                 lambda connection, typed, staff: set_site_codes(connection, SiteCodes(**typed), staff))


@router.post("/admin/fft/ward")
def save_ward(request: Request, checked: AdminForm) -> Response:
    return _save(request, checked, ("kiosk", "ward", "first_specialty", "second_specialty"), "fft_ward_typed",
                 lambda connection, typed, staff: set_ward(connection, Ward(**typed), staff))
