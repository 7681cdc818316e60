"""The sync protocol, shared by the kiosk's sync job (sync/client.py) and the server (sync/server/).

Kiosk → server: ``POST /v1/batches`` with ``Authorization: Bearer <token>`` and a :class:`Batch`.
The server stores the whole batch in one transaction (unique constraint on the response id), commits,
then answers with a :class:`Receipt`. The kiosk marks records acknowledged only after checking the
receipt names its batch; rejected records go to a visible dead-letter state.

Server → kiosk: ``GET /v1/updates`` (same token) returns :class:`Updates` — the site's question set and
"You said, we did" items — with an ``ETag``; sending it back in ``If-None-Match`` costs a 304 when
nothing changed. Query parameters ``pending`` and ``device_time`` report the kiosk's health.

Hashes: ``sha256`` is the hex SHA-256 of :func:`sync.core.record.canonical_json` of the payload, so both
sides compute it identically. Same id + same hash = duplicate (fine); same id + other hash = conflict
(kept aside on the server, counted in the receipt; the kiosk treats it as delivered).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from sync.core.questions import LANGUAGE_TAG
from sync.core.record import canonical_json, payload_sha256

SCHEMA_VERSION = 1
BATCHES_PATH = "/v1/batches"
UPDATES_PATH = "/v1/updates"
MAX_BODY_BYTES = 1_000_000
"""Default cap on a request body; larger bodies get 413 and the kiosk halves its batch."""
MAX_RECORD_BYTES = 64_000
"""Cap on one record's canonical payload; larger records are rejected (dead-lettered), not the batch."""
MAX_RECORD_DEPTH = 32
"""Cap on how deeply one record's payload nests objects and lists (a kiosk's, a few levels); deeper records are
rejected, not the batch: JSON writers refuse deep nesting (orjson at 255), and no record may break an export."""
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
BIGINT_MAX = 2**63 - 1
"""Sequence numbers and counts are stored as 64-bit integers on the server."""
YOU_SAID_WE_DID_LANGUAGE = "en"
"""The language of an item's own words: the dashboard's. Other languages come as its translations."""


def payload_hash(payload: dict[str, Any]) -> str:
    return payload_sha256(canonical_json(payload))


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Record(_Message):
    """One stored response, as captured on the kiosk."""

    id: str = Field(pattern=UUID_PATTERN)
    """UUID given when the response was stored; the unit of exactly-once."""
    seq: int = Field(ge=1, le=BIGINT_MAX)
    """Per-kiosk sequence number, never reused: lets the server see gaps."""
    created_at_device: str = Field(pattern=TIMESTAMP_PATTERN)
    """Kiosk clock when stored (UTC); recorded, never trusted for de-duplication."""
    payload: dict[str, Any]
    """The response itself (see sync/core/record.py)."""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """payload_hash(payload), computed on the kiosk when stored."""


class Batch(_Message):
    """What the kiosk sends in one request."""

    batch_id: str = Field(pattern=UUID_PATTERN)
    kiosk_id: str = Field(pattern=UUID_PATTERN)
    """The kiosk store's own UUID (kiosk status shows it)."""
    schema_version: Literal[1]
    """protocol.SCHEMA_VERSION; a server refuses versions it does not know (422)."""
    sent_at_device: str = Field(pattern=TIMESTAMP_PATTERN)
    pending: int = Field(ge=0, le=BIGINT_MAX)
    """How many responses the kiosk still holds unsent, this batch included (for health)."""
    records: list[Record] = Field(min_length=1, max_length=5000)


def encode_batch(*, batch_id: str, kiosk_id: str, sent_at_device: str, pending: int,
                 rows: list[tuple[str, int, str, str, str]]) -> bytes:
    """A :class:`Batch` as request body, from stored rows ``(id, seq, created_at_device, payload_json,
    sha256)``. The stored payload is already canonical JSON, so it is copied in as it is: parsing and
    re-serialising it was over a third of the kiosk's sync time."""
    records = b",".join(
        b'{"id":%s,"seq":%d,"created_at_device":%s,"payload":%s,"sha256":%s}'
        % (orjson.dumps(rid), seq, orjson.dumps(created), payload.encode("utf-8"), orjson.dumps(sha))
        for rid, seq, created, payload, sha in rows)
    return b'{"batch_id":%s,"kiosk_id":%s,"schema_version":%d,"sent_at_device":%s,"pending":%d,"records":[%s]}' % (
        orjson.dumps(batch_id), orjson.dumps(kiosk_id), SCHEMA_VERSION, orjson.dumps(sent_at_device), pending, records)


class Rejection(_Message):
    id: str
    reason: str


class Receipt(_Message):
    """The server's answer, sent only after the batch is committed."""

    batch_id: str
    accepted: int
    duplicate: int
    conflict: int
    rejected: list[Rejection]
    high_water_seq: int
    """Highest seq the server held from this kiosk (its device id) *before* this batch, counting responses
    it has since forgotten by its retention period. Lower than the highest seq the kiosk had seen
    acknowledged means the server lost data (restored from a backup): the kiosk sends everything after
    it again. (Counted before the batch, or the new records would hide the loss.)"""
    server_time: str


class Translation(_Message):
    """An item's words in another language."""

    said: str
    did: str


class YouSaidWeDid(_Message):
    """One answer to feedback, shown on the kiosk and printed for noticeboards."""

    id: int
    said: str
    did: str
    """``said`` and ``did`` are in :data:`YOU_SAID_WE_DID_LANGUAGE`."""
    picture: str = ""
    date: str
    """When it was done (YYYY-MM-DD)."""
    translations: dict[Annotated[str, Field(pattern=LANGUAGE_TAG)], Translation] = {}
    """The same words in other languages, by language tag (``bn``). A kiosk leaves the item out for a person
    whose language has none. Servers before translations existed send none, and servers leave out an empty
    one, which kiosks from before translations would refuse."""


class QuestionSetText(_Message):
    """A question set as its TOML text, exactly as the kiosk would read it from config/questions/."""

    id: str
    version: int
    toml: str


class Updates(_Message):
    """Everything the server sends back to one kiosk."""

    version: str
    """Opaque; the same value as the ETag header."""
    site: str
    question_set: QuestionSetText | None = None
    you_said_we_did: list[YouSaidWeDid] = []


class Problem(_Message):
    """Body of every 4xx/5xx answer: one plain reason."""

    detail: str
