"""The staff dashboard under test: a real server on 127.0.0.1, staff accounts, seeded answers, and a
requests session that signs in and posts forms as a browser would (Playwright tests drive a real one)."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from sync.core.protocol import Batch
from sync.server.api.auth import Kiosk
from sync.server.domain.batches import store_batch
from sync.server.domain.kiosks import add_kiosk
from sync.server.domain.staff import add_staff
from sync.server.storage.db import open_database
from tests.server_process import ServerProcess, make_batch, make_record

PASSWORD = "a long staff password"
PEOPLE = {
    "ada": ("admin", []),
    "manny": ("manager", ["Mile End"]),
    "vera": ("viewer", ["Mile End"]),
    "bo": ("viewer", ["Bow"]),
}
"""Who can sign in: an admin, a manager and a viewer of Mile End, and a viewer of Bow only."""
OVERALL = [("very-good", "Very good"), ("good", "Good"), ("neither", "Neither good nor poor"), ("poor", "Poor"),
           ("very-poor", "Very poor"), ("dont-know", "Don't know")]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_people(db: str) -> None:
    engine = open_database(db)
    for name, (role, sites) in PEOPLE.items():
        add_staff(engine, name, PASSWORD, role, sites)  # type: ignore[arg-type]
    engine.dispose()


def payload(overall: str, text: str = "", concerns: list[str] | None = None) -> dict[str, Any]:
    words = dict(OVERALL)[overall]
    answer: dict[str, Any] = {"question": "overall", "kind": "choice", "status": "answered", "choice": overall,
                              "question_text": "Overall, how was your experience of our service?",
                              "choice_text": words, "follow_up_text": "Tell us why"}
    if text:
        answer["text"] = text
    return {"question_set": "default", "question_set_version": 1, "language": "en-GB", "complete": True,
            "misuse_suspected": False, "channel": "touch", "answers": [answer],
            **({"concerns": concerns} if concerns else {})}


def with_kind_staff(body: dict[str, Any], kind: bool) -> dict[str, Any]:
    """``body`` (from :func:`payload`) with a second choice question answered, "Were the staff kind?" Yes or No."""
    choice, words = ("yes", "Yes") if kind else ("no", "No")
    answer = {"question": "staff-kind", "kind": "choice", "status": "answered", "choice": choice,
              "question_text": "Were the staff kind?", "choice_text": words}
    return {**body, "answers": [*body["answers"], answer]}


def seed(db: str, site: str, kiosk: str, payloads: list[dict[str, Any]], *, days_ago: int = 3,
         at: datetime | None = None) -> list[str]:
    """Enrol ``kiosk`` at ``site`` and store ``payloads`` as its answers, given ``days_ago`` days ago (or ``at``)."""
    engine = open_database(db)
    try:
        add_kiosk(engine, kiosk, site)
        device = str(uuid.uuid4())
        given = (at or datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records = [make_record(seq, body) | {"created_at_device": given} for seq, body in enumerate(payloads, 1)]
        store_batch(engine, Kiosk(name=kiosk, site=site), Batch.model_validate(make_batch(records, device_id=device)))
    finally:
        engine.dispose()
    return [record["id"] for record in records]


def mixed_answers(count: int, seed_value: int = 7) -> list[dict[str, Any]]:
    """``count`` answers to the overall question, mostly good, as a real service might get."""
    chooser = random.Random(seed_value)
    weights = [40, 30, 10, 8, 5, 7]
    return [payload(chooser.choices([answer for answer, _ in OVERALL], weights)[0]) for _ in range(count)]


class StaffBrowser:
    """A signed-in member of staff, over real HTTP: keeps cookies, and sends each form with its CSRF token."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, **options: Any) -> requests.Response:
        response = self.http.get(self.url + path, timeout=60, **options)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def sign_in(self, name: str, password: str = PASSWORD) -> requests.Response:
        self.get("/staff/sign-in")
        return self.post("/staff/sign-in", {"name": name, "password": password})

    def post(self, path: str, data: dict[str, Any], *, with_token: bool = True, **options: Any) -> requests.Response:
        sent = {"csrf_token": self.csrf, **data} if with_token else data
        response = self.http.post(self.url + path, data=sent, timeout=60, **options)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response


def signed_in(server: ServerProcess, name: str) -> StaffBrowser:
    """A browser session of ``name`` on ``server``, signed in."""
    browser = StaffBrowser(server.url)
    assert browser.sign_in(name).status_code == 200
    return browser


BOUNDARY = "feedback-test-boundary"
CHUNKED_FORM = f"multipart/form-data; boundary={BOUNDARY}"
"""The Content-Type of :func:`chunked_form`'s body."""


def chunked_form(fields: dict[str, str], file_megabytes: int) -> Iterator[bytes]:
    """A multipart form with ``fields`` and a file of ``file_megabytes`` MB, as 64 KB pieces: requests sends a
    body it is given as a generator with Transfer-Encoding: chunked, so the server cannot know its size."""
    for name, value in fields.items():
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.toml"\r\n'
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    for _ in range(file_megabytes * 16):
        yield b"#" * 65536
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def bytes_written(pid: int) -> int:
    """Everything process ``pid`` has written with write() so far: files (a form part spooled to a temporary
    file), its log, the database."""
    return int(re.search(r"wchar:\s+(\d+)", Path(f"/proc/{pid}/io").read_text()).group(1))  # type: ignore[union-attr]
