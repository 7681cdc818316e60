"""The kiosk's sync job: send pending responses in batches, and bring back question sets and
"You said, we did" for this kiosk's site.

Errors, and what the job does about them::

    SyncError
     ├── TransientError   no network, timeout, 408, 429, 5xx, or an answer that is not a receipt
     │                    (a captive portal's 200 page): try again later with full-jitter backoff,
     │                    honouring Retry-After; never give up
     └── NotAuthorised    401/403: the token is wrong or revoked; stop and say so in `kiosk status`

A 413 is not an error: the batch is halved (a single record too large for the server is dead-lettered).
Records the server rejects are dead-lettered with its reason, visible in `kiosk status` and exports.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from pydantic import ValidationError

from kiosk.device.clock_check import OFFSET_KEY
from kiosk.session.store import Store
from sync.core.clock import device_stamp, utc_now
from sync.core.protocol import BATCHES_PATH, UPDATES_PATH, Receipt, Updates, encode_batch

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 60.0)  # (connect, read) seconds: explicit, so a dead network never hangs the job
BACKOFF_BASE, BACKOFF_CAP = 2.0, 900.0


class SyncError(Exception):
    pass


class TransientError(SyncError):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class NotAuthorised(SyncError):
    pass


@dataclass
class PushResult:
    sent: int = 0
    """Responses the server now holds (accepted, duplicate or kept aside as a conflict)."""
    dead: int = 0
    resent: int = 0
    """Acknowledged responses queued again because the server's high-water mark went back."""


def backoff_delay(attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff (AWS style), capped at 15 minutes, never shorter than Retry-After."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    delay = (rng or random).uniform(0, ceiling)
    return max(delay, min(retry_after or 0.0, BACKOFF_CAP))


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: our own backoff is good enough


class SyncClient:
    """Talks to one central server on behalf of one kiosk store."""

    def __init__(self, *, store: Store, server_url: str, token: str, ca_file: str | None = None,
                 batch_size: int = 500, session: requests.Session | None = None,
                 timeout: tuple[float, float] = TIMEOUT):
        self.store = store
        self.timeout = timeout
        self.base = server_url.rstrip("/")
        self.batch_size = batch_size
        self._asked_size = batch_size
        self.http = session or requests.Session()  # no retry adapter: retries are ours, with backoff
        self.http.headers["Authorization"] = f"Bearer {token}"
        # given with every request: requests lets REQUESTS_CA_BUNDLE override a session-wide setting
        self.verify: str | bool = ca_file or True

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        try:
            response = self.http.request(method, self.base + path, timeout=self.timeout, allow_redirects=False,
                                         verify=self.verify, **kwargs)
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach the server ({type(exc).__name__})") from exc
        if response.status_code in (401, 403):
            self.store.set_meta("sync_status", "not authorised")
            raise NotAuthorised(f"the server refused this kiosk's token ({response.status_code})")
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TransientError(f"the server is busy or failing ({response.status_code})", _retry_after(response))
        return response

    # -- pushing -------------------------------------------------------------------------------------

    def push(self) -> PushResult:
        """Send every pending response once, oldest first; raises on the first failure (nothing is lost:
        records stay pending until a verified receipt names them)."""
        result = PushResult()
        pending = self.store.count_pending()  # once per pass: counting costs ms at 100,000 waiting
        while rows := self.store.pending(self.batch_size):
            acknowledged_before = self.store.max_acknowledged_seq()
            batch_id = str(uuid.uuid4())
            body = encode_batch(batch_id=batch_id, kiosk_id=self.store.kiosk_id, sent_at_device=device_stamp(utc_now()),
                                pending=pending, rows=rows)
            response = self._request("POST", BATCHES_PATH, data=body, headers={"Content-Type": "application/json"})
            if response.status_code == 413:
                if self.batch_size == 1:  # one record alone is too large: it says nothing about batch size
                    self.store.record_delivery([], [(rows[0][0], "too large for the server")], device_stamp(utc_now()))
                    result.dead += 1
                    pending -= 1
                    self.batch_size = self._asked_size
                else:
                    self.batch_size //= 2  # kept: the next pass starts from here
                continue
            ids = [row[0] for row in rows]
            receipt = self._verified_receipt(response, batch_id, ids)
            rejected = {r.id: r.reason for r in receipt.rejected}
            delivered = [rid for rid in ids if rid not in rejected]
            self.store.record_delivery(delivered, list(rejected.items()), receipt.server_time)
            self._note_server_clock(response)
            result.sent += len(delivered)
            result.dead += len(rejected)
            pending -= len(ids)
            if receipt.high_water_seq < acknowledged_before:
                resent = self.store.resend_after(receipt.high_water_seq)
                result.resent += resent
                pending += resent
                log.warning("server holds up to seq %d only: resending later responses", receipt.high_water_seq)
        self.store.set_meta("sync_status", "ok")
        return result

    @staticmethod
    def _verified_receipt(response: requests.Response, batch_id: str, record_ids: list[str]) -> Receipt:
        """A 200 is only success if it is a receipt for this very batch, accounting for every record."""
        if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
            raise TransientError(f"unexpected answer from the server ({response.status_code}, "
                                 f"{response.headers.get('Content-Type', 'no content type')}); a captive portal?")
        try:
            receipt = Receipt.model_validate_json(response.content)
        except ValidationError as exc:
            raise TransientError("the server's answer is not a receipt") from exc
        ids = set(record_ids)
        counted = receipt.accepted + receipt.duplicate + receipt.conflict + len(receipt.rejected)
        if receipt.batch_id != batch_id or counted != len(ids) or not {r.id for r in receipt.rejected} <= ids:
            raise TransientError("the server's receipt does not match the batch sent")
        return receipt

    # -- pulling -------------------------------------------------------------------------------------

    def fetch_updates(self, etag: str | None) -> tuple[Updates | None, str | None]:
        """The site's updates, or None when unchanged since ``etag`` (one small request)."""
        headers = {"If-None-Match": etag} if etag else {}
        params = {"pending": self.store.count_pending(), "device_time": device_stamp(utc_now())}
        response = self._request("GET", UPDATES_PATH, headers=headers, params=params)
        if response.status_code == 304:
            self._note_server_clock(response)
            return None, etag
        if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
            raise TransientError(f"unexpected answer to the updates request ({response.status_code})")
        try:
            updates = Updates.model_validate_json(response.content)
        except ValidationError as exc:
            raise TransientError("the server's updates are not in the expected form") from exc
        self._note_server_clock(response)
        return updates, response.headers.get("ETag", updates.version)

    def _note_server_clock(self, response: requests.Response) -> None:
        """After a verified answer (a receipt, or updates): remember how far the kiosk's clock is from the
        server's, by the answer's Date header (kiosk.device.clock_check warns beyond a few minutes)."""
        try:
            server_time = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError):
            return  # no Date header (a proxy may drop it): the next answer may have one
        offset = (server_time.replace(tzinfo=server_time.tzinfo or UTC) - utc_now()).total_seconds()
        self.store.set_meta(OFFSET_KEY, f"{offset:.0f}")


def read_token(path: Path) -> str:
    """The kiosk's token; it must not be readable by others (the file is created 0600)."""
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise SyncError(f"the token file {path} is empty")
    if path.stat().st_mode & 0o077:
        log.warning("the token file %s is readable by other users: chmod 600 it", path)
    return token
