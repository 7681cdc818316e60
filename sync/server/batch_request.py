"""Reading a ``POST /v1/batches`` body: capped in size, then UTF-8, JSON and the Batch schema in turn.

Each step fails with its own status and one plain sentence, before anything is stored: 413 (too big,
so the kiosk halves its batch), 400 (not UTF-8 JSON: a broken client or proxy), 422 (JSON of the wrong
shape or schema version).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pydantic
from fastapi import HTTPException, Request

from sync.protocol import SCHEMA_VERSION, Batch


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as its declared or streamed size passes ``limit``, so a
    huge body is never held in memory (uvicorn discards the unread rest after our answer)."""
    too_big = HTTPException(status_code=413, detail=f"The request body is larger than {limit} bytes; "
                                                    "send fewer records in each batch.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def parse_batch(body: bytes) -> Batch:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="The request body is not UTF-8 text.") from None
    try:
        data: Any = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise HTTPException(status_code=400, detail="The request body is not valid JSON.") from None
    if isinstance(data, dict) and data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise HTTPException(status_code=422, detail=f"This server speaks schema_version {SCHEMA_VERSION}, "
                                                    f"not {data['schema_version']!r}; update the kiosk's software.")
    try:
        return Batch.model_validate(data)
    except pydantic.ValidationError as exc:
        raise HTTPException(status_code=422, detail=f"The batch does not match the protocol: {plain_error(exc)}.") \
            from None


def plain_error(exc: pydantic.ValidationError) -> str:
    """The first validation problem as 'where: what', e.g. 'records.0.sha256: String should match …'."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
