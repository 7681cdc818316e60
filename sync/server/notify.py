"""Telling staff at once when a flagged response arrives: a POST to a webhook the organisation runs
(Teams, Slack, a ticket system, an email gateway). The message says where and what kind of concern,
never the words: those are read in the safeguarding queue by someone allowed to see them.

Sending happens on a thread of its own, after the batch has been committed and answered, so a slow or
broken webhook never holds up a kiosk. Each message is tried three times, then logged as lost (the
queue still holds the concern).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import requests

from sync.server.timestamps import iso_z

log = logging.getLogger(__name__)
NOTIFY_WEBHOOK_VARIABLE = "FEEDBACK_SERVER_NOTIFY_WEBHOOK"
ATTEMPTS = 3
TIMEOUT = (5.0, 10.0)


class WebhookNotifier:
    def __init__(self, url: str, *, retry_seconds: float = 5.0):
        self.url, self.retry_seconds = url, retry_seconds
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._send_all, name="concern-webhook", daemon=True).start()

    def __call__(self, concern: dict[str, Any]) -> None:
        self._queue.put({"event": "safeguarding-concern", "response_id": concern["response_id"],
                         "site": concern["site"], "kiosk": concern["kiosk"],
                         "categories": concern["categories"].split(","), "received_at": iso_z(concern["received_at"])})

    def _send_all(self) -> None:
        while True:
            message = self._queue.get()
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    requests.post(self.url, json=message, timeout=TIMEOUT).raise_for_status()
                    break
                except requests.RequestException as exc:
                    log.warning("concern webhook failed (try %d of %d): %s", attempt, ATTEMPTS, type(exc).__name__)
                    time.sleep(self.retry_seconds * attempt)
            else:
                log.error("concern %s was not notified; it waits in the safeguarding queue", message["response_id"])
