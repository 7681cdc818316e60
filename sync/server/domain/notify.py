"""Telling staff at once when a flagged response arrives: a POST to a webhook the organisation runs
(Teams, Slack, a ticket system) and/or an email. A message says where and what kind of concern, never
the words: those are read in the safeguarding queue by someone allowed to see them.

Sending happens on a thread of its own, after the batch has been committed and answered, so a slow or
broken channel never holds up a kiosk. Each message is tried three times on each channel, then logged
as not sent (the queue still holds the concern).
"""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import requests

from sync.server.domain.timestamps import iso_z

log = logging.getLogger(__name__)
NOTIFY_WEBHOOK_VARIABLE = "FEEDBACK_SERVER_NOTIFY_WEBHOOK"
NOTIFY_EMAIL_VARIABLE = "FEEDBACK_SERVER_NOTIFY_EMAIL"
SMTP_VARIABLE = "FEEDBACK_SERVER_SMTP"
ATTEMPTS = 3
TIMEOUT = (5.0, 10.0)

Sender = Callable[[dict[str, Any]], None]


def message_for(concern: dict[str, Any]) -> dict[str, Any]:
    """What may leave the server about a concern: no words, nothing about the person."""
    return {"event": "safeguarding-concern", "response_id": concern["response_id"], "site": concern["site"],
            "kiosk": concern["kiosk"], "categories": concern["categories"].split(","),
            "urgent": bool(concern.get("urgent")), "received_at": iso_z(concern["received_at"])}


def webhook(url: str) -> Sender:
    def send(message: dict[str, Any]) -> None:
        requests.post(url, json=message, timeout=TIMEOUT).raise_for_status()
    return send


def email(to: str, smtp: str) -> Sender:
    """``smtp`` is ``host`` or ``host:port`` of the organisation's mail relay (no login: a relay that
    accepts mail from this server, as most internal relays do)."""
    host, _, port = smtp.partition(":")

    def send(message: dict[str, Any]) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"] = f"feedback-server@{socket.getfqdn()}", to
        how_soon = "URGENT: may be at risk now" if message["urgent"] else "Safeguarding concern to review"
        mail["Subject"] = f"{how_soon} at {message['site']}: {', '.join(message['categories'])}"
        kinds = ", ".join(message["categories"])
        seen = ("The person's words suggest they may be at risk now: the kiosk showed them how to get help."
                if message["urgent"] else "The kiosk asked staff to review the words; it did not show a help screen.")
        mail.set_content(
            f"A response from the kiosk {message['kiosk']} at {message['site']} suggests someone may be at risk "
            f"({kinds}). {seen}\nReceived {message['received_at']}, response {message['response_id']}.\n\n"
            "Read it in the safeguarding queue. This email holds none of the person's words.\n")
        with smtplib.SMTP(host, int(port or 25), timeout=TIMEOUT[1]) as relay:
            relay.send_message(mail)
    return send


class Notifier:
    """Sends each concern through every channel, in order, on a thread of its own."""

    def __init__(self, senders: dict[str, Sender], *, retry_seconds: float = 5.0):
        self.senders, self.retry_seconds = senders, retry_seconds
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._send_all, name="concern-notify", daemon=True).start()

    def __call__(self, concern: dict[str, Any]) -> None:
        self._queue.put(message_for(concern))

    def _send_all(self) -> None:
        while True:
            message = self._queue.get()
            for channel, send in self.senders.items():
                self._send(channel, send, message)

    def _send(self, channel: str, send: Sender, message: dict[str, Any]) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                send(message)
                return
            except (requests.RequestException, OSError, smtplib.SMTPException) as exc:
                log.warning("concern %s failed (try %d of %d): %s", channel, attempt, ATTEMPTS, type(exc).__name__)
                time.sleep(self.retry_seconds * attempt)
        log.error("concern %s not sent by %s; it waits in the safeguarding queue", message["response_id"], channel)


def notifier(*, webhook_url: str | None, email_to: str | None, smtp: str | None) -> Notifier | None:
    """The configured channels, or None when staff are to be told by the queue alone."""
    senders: dict[str, Sender] = {}
    if webhook_url:
        senders["webhook"] = webhook(webhook_url)
    if email_to:
        senders["email"] = email(email_to, smtp or "localhost")
    return Notifier(senders) if senders else None
