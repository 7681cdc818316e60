"""Flagged responses on the server: kept in a queue for staff, and announced to a webhook once, with
where and what kind of concern but never the words. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import queue
import socket
import threading
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from sync.server.storage.db import concern_queue, database_url
from tests.server_process import FREE_TEXT, ServerProcess, enrol, make_batch, make_record


@pytest.fixture
def webhook() -> Iterator[tuple[str, queue.Queue[dict]]]:
    received: queue.Queue[dict] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def flagged(seq: int, categories: list[str], *, urgent: bool = False) -> dict:
    payload = {"question_set": "default", "question_set_version": 1, "language": "en", "complete": False,
               "concerns": categories, **({"concern_urgent": True} if urgent else {}),
               "answers": [{"question": "overall", "status": "answered", "text": FREE_TEXT}]}
    return make_record(seq, payload)


def test_a_flagged_response_is_queued_and_announced_once_without_its_words(server_database, webhook):
    url, received = webhook
    token = enrol(server_database, name="lounge-1", site="Rose House")
    device = str(uuid.uuid4())
    records = [make_record(1), flagged(2, ["abuse-physical", "unsafe"], urgent=True), make_record(3)]
    with ServerProcess(server_database, "--notify-webhook", url) as server:
        assert server.post_batch(token, make_batch(records, device_id=device)).json()["accepted"] == 3
        message = received.get(timeout=30)
        assert server.post_batch(token, make_batch(records, device_id=device)).json()["duplicate"] == 3
        assert "safeguarding concern (abuse-physical,unsafe)" in server.output()
    assert message == {"event": "safeguarding-concern", "response_id": records[1]["id"], "site": "Rose House",
                       "kiosk": "lounge-1", "categories": ["abuse-physical", "unsafe"], "urgent": True,
                       "received_at": message["received_at"]}
    assert received.empty()  # the replayed batch announced nothing new
    assert FREE_TEXT not in json.dumps(message) and FREE_TEXT not in server.output()
    engine = sa.create_engine(database_url(server_database))
    with engine.connect() as connection:
        queued = connection.execute(sa.select(concern_queue)).mappings().all()
    engine.dispose()
    assert [(q["response_id"], q["categories"], q["status"], q["site"], q["urgent"]) for q in queued] == [
        (records[1]["id"], "abuse-physical,unsafe", "open", "Rose House", True)]


def test_a_flagged_response_is_emailed_without_its_words(tmp_path):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 stands in for the organisation's mail relay."""
    mailbox: queue.Queue[bytes] = queue.Queue()

    class Inbox:
        async def handle_DATA(self, _server, _session, envelope):
            mailbox.put(envelope.content)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd checks it is up by connecting: it needs a real port number
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = Controller(Inbox(), hostname="127.0.0.1", port=port)
    relay.start()
    try:
        db = str(tmp_path / "server.db")
        token = enrol(db, site="Mile End")
        records = [flagged(1, ["neglect"])]
        with ServerProcess(db, "--notify-email", "safeguarding@example.org",
                           "--smtp", f"127.0.0.1:{port}") as server:
            assert server.post_batch(token, make_batch(records, device_id=str(uuid.uuid4()))).json()["accepted"] == 1
            mail = message_from_bytes(mailbox.get(timeout=30))
    finally:
        relay.stop()
    assert mail["To"] == "safeguarding@example.org"
    assert mail["Subject"] == "Safeguarding concern to review at Mile End: neglect"  # not urgent: no help screen
    body = mail.get_payload(decode=True).decode()
    assert records[0]["id"] in body and FREE_TEXT not in body and FREE_TEXT not in mail.as_string()


def test_odd_concern_flags_are_cleaned_not_trusted(server_database):
    token = enrol(server_database)
    record = flagged(1, ["neglect", "DROP TABLE", 7, "neglect"])
    with ServerProcess(server_database) as server:
        assert server.post_batch(token, make_batch([record], device_id=str(uuid.uuid4()))).json()["accepted"] == 1
    engine = sa.create_engine(database_url(server_database))
    with engine.connect() as connection:
        assert connection.execute(sa.select(concern_queue.c.categories)).scalar_one() == "neglect"
    engine.dispose()
