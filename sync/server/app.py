"""The central server's HTTP API (sync/core/protocol.py says what the messages mean).

Every error answer is a :class:`sync.core.protocol.Problem` — ``{"detail": "<one plain sentence>"}`` — and
is declared in the OpenAPI document (/openapi.json, served only with ``serve --openapi``) so a fuzzer can
check the server against it. /docs and /redoc are never served: FastAPI's pages load scripts from a CDN,
which would run on the dashboard's origin.
Nothing here logs free text or payloads: the engine hides SQL parameters, conflicts log only the id.

Every request body is limited before it is read, chunked or not (sync/server/api/body_limit.py): a kiosk's
batch to ``max_body_bytes`` (:data:`sync.core.protocol.MAX_BODY_BYTES`), a question set to
:data:`sync.server.web.questions.MAX_REQUEST_BYTES`, anything else, the sign-in form first of all, to
:data:`sync.server.web.sessions.MAX_FORM_BYTES`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import pydantic
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from sync.core import protocol
from sync.core.clock import utc_now
from sync.core.export import SUPPRESS_BELOW, SUPPRESS_BELOW_VARIABLE
from sync.server.api.auth import Kiosk, require_kiosk
from sync.server.api.batch_rate import BATCHES_PER_MINUTE, BatchRate
from sync.server.api.batch_request import parse_batch
from sync.server.api.body_limit import BodyLimit
from sync.server.api.headers import add_security_headers
from sync.server.domain.batches import DeviceOfAnotherKiosk, store_batch
from sync.server.domain.kiosks import record_contact
from sync.server.domain.notify import (
    NOTIFY_EMAIL_VARIABLE,
    NOTIFY_WEBHOOK_VARIABLE,
    SMTP_VARIABLE,
    Notifier,
    notifier,
)
from sync.server.domain.participation import PARTICIPATION_VARIABLE, ReferenceMix, reference_mix_from
from sync.server.domain.retention import KEEP_DAYS_VARIABLE, start_forgetting
from sync.server.domain.site_content import updates_for_site
from sync.server.storage.db import open_database
from sync.server.web.dashboard import BODY_LIMITS, PREFIX, add_dashboard, too_large_page
from sync.server.web.sessions import MAX_FORM_BYTES

HEALTH_PATH = "/v1/health"
OPENAPI_VARIABLE = "FEEDBACK_OPENAPI"
BATCHES_PER_MINUTE_VARIABLE = "FEEDBACK_BATCHES_PER_MINUTE"
"""How ``serve --openapi`` and ``--batches-per-minute`` reach each worker process (``serve --workers``)."""
RETRY_AFTER_SECONDS = 5
log = logging.getLogger(__name__)

_PROBLEMS = {
    400: "The body is not UTF-8 JSON.",
    401: "No kiosk token, or one that is unknown or revoked.",
    413: "The body is larger than the server accepts; send fewer records per batch.",
    422: "The request does not match the protocol.",
    429: "This kiosk sent too many batches in the last minute; try again after Retry-After seconds.",
    503: "The database is busy or unreachable; try again after Retry-After seconds.",
}

_PARAMETER_KINDS = {"query": "query parameter", "header": "header", "path": "address part"}


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": protocol.Problem, "description": _PROBLEMS[code]} for code in codes}


AuthorisedKiosk = Annotated[Kiosk, Depends(require_kiosk)]


async def _batch_allowed(request: Request, kiosk: AuthorisedKiosk) -> Kiosk:
    """The kiosk, if within its allowance of batches (async: the buckets are only touched on the event loop)."""
    wait = request.app.state.batch_rate.wait(kiosk.name)
    if wait:
        raise HTTPException(status_code=429, headers={"Retry-After": str(math.ceil(wait))},
                            detail="This kiosk has sent too many batches in the last minute; "
                                   "try again after Retry-After seconds.")
    return kiosk


AllowedKiosk = Annotated[Kiosk, Depends(_batch_allowed)]


class Health(pydantic.BaseModel):
    status: Literal["ok"]


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, also accepting a tag sent back without its quotes."""
    if not if_none_match:
        return False
    bare = etag.strip('"')
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/").strip('"') == bare
               for tag in if_none_match.split(","))


def app_from_environment() -> FastAPI:
    """The app for one of several worker processes (``serve --workers``), on $FEEDBACK_SERVER_DB."""
    return create_app(os.environ["FEEDBACK_SERVER_DB"], on_concern=notifier(
        webhook_url=os.environ.get(NOTIFY_WEBHOOK_VARIABLE), email_to=os.environ.get(NOTIFY_EMAIL_VARIABLE),
        smtp=os.environ.get(SMTP_VARIABLE)), keep_days=int(os.environ.get(KEEP_DAYS_VARIABLE) or 0),
        suppress_below=int(os.environ.get(SUPPRESS_BELOW_VARIABLE) or SUPPRESS_BELOW),
        reference_mix=reference_mix_from(os.environ.get(PARTICIPATION_VARIABLE)),
        openapi=os.environ.get(OPENAPI_VARIABLE) == "1",
        batches_per_minute=int(os.environ.get(BATCHES_PER_MINUTE_VARIABLE) or BATCHES_PER_MINUTE))


def create_app(database_url: str, *, max_body_bytes: int = protocol.MAX_BODY_BYTES,
               on_concern: Notifier | None = None, keep_days: int = 0,
               suppress_below: int = SUPPRESS_BELOW, reference_mix: ReferenceMix | None = None,
               openapi: bool = False, batches_per_minute: int = BATCHES_PER_MINUTE) -> FastAPI:
    """The server on ``database_url``, with the staff dashboard; with ``keep_days`` it forgets older responses
    at start and daily, in a thread of its own (sync/server/domain/retention.py). Every worker process does: that
    is safe. The dashboard shows counts below ``suppress_below`` as "fewer than N", and compares who answers
    with ``reference_mix``. ``openapi`` serves /openapi.json; each kiosk may send ``batches_per_minute``
    batches a minute (0: any number, sync/server/api/batch_rate.py)."""
    engine = open_database(database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_forgetting = start_forgetting(engine, keep_days) if keep_days > 0 else None
        try:
            yield
        finally:
            if stop_forgetting is not None:
                stop_forgetting()
            engine.dispose()

    app = FastAPI(title="Feedback kiosk central server", version=str(protocol.SCHEMA_VERSION), lifespan=lifespan,
                  openapi_url="/openapi.json" if openapi else None, docs_url=None, redoc_url=None,
                  description="Receives kiosks' answers exactly once; sends back question sets and "
                              "\"You said, we did\". Every error body is {\"detail\": \"<one plain sentence>\"}.")
    app.state.engine = engine
    app.state.batch_rate = BatchRate(batches_per_minute)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        kind, *name = first["loc"]
        where = " ".join([_PARAMETER_KINDS.get(kind, str(kind)), *map(str, name)])
        return JSONResponse(status_code=422, content={"detail": f"The {where} is not valid: {first['msg']}."})

    @app.exception_handler(sa.exc.OperationalError)
    async def _database_unavailable(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                            content={"detail": "The server's database is busy or unreachable; try again shortly."})

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        """A kiosk whose network went mid-upload: nothing was stored, and it sends the batch again. Nobody is
        left to answer (uvicorn drops this answer), but without this uvicorn logged an error with a traceback
        for every upload cut off, which is everyday life on a care home's Wi-Fi, not a fault of the server."""
        log.info("a client went away before its request arrived whole: %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.post(protocol.BATCHES_PATH, response_model=protocol.Receipt,
              responses=_problems(400, 401, 413, 422, 429, 503),
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}}}})
    async def post_batch(request: Request, kiosk: AllowedKiosk) -> protocol.Receipt:
        """Store a batch of the kiosk's responses, then answer with a receipt (only after COMMIT)."""
        body = await request.body()
        # parsing a large batch takes milliseconds of CPU: keep it off the event loop, like the database work
        return await run_in_threadpool(lambda: _store(kiosk, parse_batch(body)))

    # SQLite takes one writer at a time. Waiting for a turn here, rather than in SQLite's busy handler
    # (which sleeps up to 100 ms between tries), keeps batches close to arrival order: p99 under load
    # fell from about 2 s to about 0.5 s (docs/performance.md).
    write_turn = threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    def _store(kiosk: Any, batch: protocol.Batch) -> protocol.Receipt:
        with write_turn:
            try:
                return store_batch(engine, kiosk, batch, on_concern)
            except DeviceOfAnotherKiosk as error:  # a token used to write into another kiosk's numbering
                raise HTTPException(status_code=403, detail=str(error).capitalize() + ".") from None

    @app.get(protocol.UPDATES_PATH, response_model=protocol.Updates, responses={
        304: {"description": "Nothing changed since the ETag sent in If-None-Match."}, **_problems(401, 422, 503)})
    def get_updates(
        kiosk: AuthorisedKiosk,
        pending: Annotated[int | None, Query(ge=0, le=protocol.BIGINT_MAX,
                                             description="Responses the kiosk holds unsent.")] = None,
        device_time: Annotated[str | None, Query(pattern=protocol.TIMESTAMP_PATTERN,
                                                 description="The kiosk's clock, UTC: 2026-05-01T09:30:00Z.")] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The site's question set and "You said, we did" items; 304 when the kiosk already has them."""
        with engine.begin() as connection:
            record_contact(connection, kiosk.name, now=utc_now(), pending=pending, device_time=device_time)
            updates = updates_for_site(connection, kiosk.site)
        if _etag_matches(if_none_match, updates.version):
            return Response(status_code=304, headers={"ETag": updates.version})
        # fields at their defaults are left out: a kiosk from before a field existed (its models forbid unknown
        # fields) still reads the updates, as long as that field is not in use (an item's translations)
        return Response(updates.model_dump_json(exclude_defaults=True), media_type="application/json",
                        headers={"ETag": updates.version})

    @app.get(HEALTH_PATH, response_model=Health, responses=_problems(503))
    def get_health() -> Health:
        """Whether the server and its database answer (no token needed)."""
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return Health(status="ok")

    _describe_batch_body(app)
    app.add_middleware(BodyLimit, default=MAX_FORM_BYTES, limits={protocol.BATCHES_PATH: max_body_bytes, **BODY_LIMITS},
                       refuse=_too_large)
    add_dashboard(app, suppress_below=suppress_below, reference_mix=reference_mix)
    add_security_headers(app)  # last, so outside every other middleware: a 413 gets the headers too
    return app


def _too_large(request: Request, limit: int) -> Response:
    if request.url.path.startswith(PREFIX):
        return too_large_page(request, limit)
    return JSONResponse(status_code=413, content={
        "detail": f"The request body is larger than {limit} bytes; send fewer records in each batch."})


def _describe_batch_body(app: FastAPI) -> None:
    """Put the Batch schema in the OpenAPI document: the endpoint reads its body itself (to answer each
    problem with its own status, sync/server/api/batch_request.py), so FastAPI cannot see the model."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            batch = protocol.Batch.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = document["components"]["schemas"]
            schemas.update(batch.pop("$defs"))
            schemas["Batch"] = batch
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
