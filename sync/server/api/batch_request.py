"""Reading a ``POST /v1/batches`` body: UTF-8, JSON and the Batch schema in turn.

Each step fails with its own status and one plain sentence, before anything is stored: 400 (not UTF-8
JSON: a broken client or proxy), 422 (JSON of the wrong shape or schema version). A body too big was
already refused with 413 as it arrived (sync/server/app.py), so the kiosk halves its batch.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pydantic
from fastapi import HTTPException

from sync.core.protocol import SCHEMA_VERSION, Batch


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
