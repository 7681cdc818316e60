"""Exports for managers: the responses behind the overview, with the same filters, as a file to download."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.core.export import Format, TimeDetail, write_export
from sync.server.domain.export import ServerSource
from sync.server.domain.staff import audit
from sync.server.web.common import BadRequest, page_filters, render
from sync.server.web.sessions import Signed, field, form_reader, needs

router = APIRouter()
WHAT = "export responses"
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "jsonl": "application/x-ndjson"}


@router.get("/export")
def export_page(request: Request, signed: Annotated[Signed, Depends(needs("manager", WHAT))]) -> Response:
    with request.app.state.engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
    return render(request, "export.html", signed, title="Export", page="export", filters=filters)


def _choice(form: FormData, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = field(form, name, default)
    if value not in allowed:
        raise BadRequest(f"The {name.replace('_', ' ')} must be one of: {', '.join(allowed)}.")
    return value


@router.post("/export")
def download(request: Request,
             checked: Annotated[tuple[Signed, FormData], Depends(form_reader("manager", WHAT))]) -> Response:
    """Write the file in a private temporary folder, send it, then delete it: nothing stays on the server."""
    signed, form = checked
    fmt = _choice(form, "format", get_args(Format), "xlsx")
    detail = _choice(form, "time_detail", get_args(TimeDetail), "day")
    redact_names = field(form, "redact_names") == "yes"
    engine = request.app.state.engine
    with engine.connect() as connection:
        filters = page_filters(request, connection, signed.member)
    folder = Path(tempfile.mkdtemp(prefix="feedback-export-"))
    name = f"feedback-{filters.site or 'all-my-sites'}-{filters.query.start}-to-{filters.query.end}.{fmt}"
    name = "".join(char if char.isalnum() or char in "-." else "-" for char in name)
    try:
        count = write_export(ServerSource(engine, filters.query), fmt, folder / name, time_detail=detail,  # type: ignore[arg-type]
                             suppress_below=request.app.state.suppress_below, progress=False, redact_names=redact_names)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    with engine.begin() as connection:
        audit(connection, signed.member.name, "exported", filters.site or None,
              f"{count} responses as {fmt}, {filters.query.start} to {filters.query.end}, "
              f"question set {filters.question_set or 'all'}, times by {detail}, "
              f"{'names redacted, ' if redact_names else ''}sites: {', '.join(filters.query.sites)}")
    return FileResponse(folder / name, media_type=MEDIA_TYPES[fmt], filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
