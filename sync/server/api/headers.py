"""Security headers on every answer the server gives: pages, the kiosks' API, errors, 404s and static files.

One policy for everything, so nothing new (an error page, a mounted folder) can be left out. The API's
JSON is never run by a browser, so a strict Content-Security-Policy costs it nothing. Over HTTPS (TLS
here, or a trusted proxy's ``X-Forwarded-Proto: https``, ``serve --trust-proxy``) browsers are also told
to use HTTPS only, for a year (HSTS); over plain HTTP that header would mean nothing and is left out.
Answers to uncaught errors (500) come from Starlette's outermost layer, plain text without these headers.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from starlette.responses import Response

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"
"""One year, without includeSubDomains: the server cannot know what else runs under its domain."""


def add_security_headers(app: FastAPI) -> None:
    """Add the headers to every response of ``app``; add this last, so it wraps every other middleware."""

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        """Also how long the server took (Server-Timing, read by bench/bench_dashboard.py)."""
        started = time.perf_counter()
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = HSTS
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
