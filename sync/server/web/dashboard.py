"""The staff dashboard: web pages on the central server, under /staff/ (docs/dashboard.md).

Pages are drawn on the server with Jinja2 (charts are SVG drawn there too), so they work without
JavaScript, print as they look, and need nothing from the internet. They are left out of the API's
OpenAPI document: that describes what kiosks speak.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from sync.core.paths import ASSETS
from sync.server.domain.participation import ReferenceMix
from sync.server.web import (
    admin,
    concerns,
    exports,
    fft,
    overview,
    participation,
    questions,
    reports,
    sign_in,
    themes,
    you_said_we_did,
)
from sync.server.web.common import HERE, BadRequest, render
from sync.server.web.sessions import CsrfRefused, NotAllowed, SignInNeeded

PREFIX = "/staff"
PAGES = (sign_in, overview, themes, participation, concerns, you_said_we_did, reports, questions, exports, fft, admin)
BODY_LIMITS = {f"{PREFIX}{path}": questions.MAX_REQUEST_BYTES for path in (questions.EDIT, questions.UPLOAD)}
"""The pages that take more than a small form (sessions.MAX_FORM_BYTES), and how much, in bytes."""


def too_large_page(request: Request, limit: int) -> Response:
    """The page for a form or file refused, unread, as larger than ``limit`` bytes (sync/server/api/body_limit.py)."""
    size = f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit / 1000:g} KB"
    return render(request, "error.html", None, status_code=413, title="Too much was sent",
                  reason=f"What was sent is larger than {size}, the most this page takes. If you chose a file, "
                         "check it is the right one.")


def add_dashboard(app: FastAPI, *, suppress_below: int, reference_mix: ReferenceMix | None = None) -> None:
    """Add the dashboard's pages to the server ``app``; ``reference_mix`` is who each site expects to hear from."""
    app.state.suppress_below = suppress_below
    app.state.reference_mix = reference_mix or ReferenceMix()
    for page in PAGES:
        app.include_router(page.router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount(f"{PREFIX}/pictures", StaticFiles(directory=ASSETS / "pictures"), name="pictures")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    @app.exception_handler(SignInNeeded)
    async def _sign_in_first(request: Request, _exc: SignInNeeded) -> Response:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/sign-in?next={quote(back)}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> Response:
        return render(request, "error.html", None, status_code=403, title="Not allowed", reason=str(exc))

    @app.exception_handler(CsrfRefused)
    async def _csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return render(request, "error.html", None, status_code=403, title="This form has expired",
                      reason="The form was missing its security token, or came from another page or site. "
                             "Go back, reload the page, and try again.")

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, exc: BadRequest) -> Response:
        return render(request, "error.html", None, status_code=400, title="Cannot show this", reason=str(exc))
