"""The real central server in a subprocess on 127.0.0.1, its command line, and protocol messages to send it.

The server is started on port 0 and we read the port it actually bound from its log, so there is no
race for a free port and no waiting a fixed time for it to come up.
"""

from __future__ import annotations

import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from sync.core.clock import utc_now
from sync.core.protocol import BATCHES_PATH, SCHEMA_VERSION, payload_hash
from sync.server.app import HEALTH_PATH
from sync.server.domain.timestamps import iso_z

FEEDBACK_SERVER = str(Path(sys.executable).parent / "feedback-server")
STARTUP_TIMEOUT = 60
FREE_TEXT = "the garden is lovely but the lift is broken"
"""Written into every test payload so tests can check the server never logs it."""


def feedback_server(*args: str, db: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run one `feedback-server` command (the installed console script) on database ``db``."""
    return subprocess.run([FEEDBACK_SERVER, *args, "--db", db], capture_output=True, text=True, timeout=timeout)


def enrol(db: str, name: str = "lounge-1", site: str = "Mile End") -> str:
    """Enrol a kiosk and return its token (the last line `add-kiosk` prints)."""
    result = feedback_server("add-kiosk", name, "--site", site, db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


class ServerProcess:
    """`feedback-server serve` running until stopped or killed; ``log`` collects everything it printed. ``umask``
    is the one it starts with (-1: this process's)."""

    def __init__(self, db: str, *extra: str, umask: int = -1):
        self.db = db
        self.log: list[str] = []
        self.process = subprocess.Popen([FEEDBACK_SERVER, "serve", "--db", db, "--port", "0", *extra], text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, umask=umask)
        self._port: int | None = None
        self._scheme = "http"
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(STARTUP_TIMEOUT) or self._port is None:
            self.kill()
            raise RuntimeError("the server did not start:\n" + "".join(self.log))
        self.url = f"{self._scheme}://127.0.0.1:{self._port}"
        self.session = requests.Session()
        if "--workers" in extra:
            self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        """A worker prints "startup complete" just before it listens on the shared port: wait for that."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                self.session.get(self.url + HEALTH_PATH, timeout=5, verify=False)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _read(self) -> None:
        assert self.process.stdout is not None
        serving = False  # with --workers the port is printed before any worker listens on it
        for line in self.process.stdout:
            self.log.append(line)
            started = re.search(r"Uvicorn running on (https?)://127\.0\.0\.1:(\d+)", line)
            if started:
                self._scheme, self._port = started.group(1), int(started.group(2))
            serving = serving or "Application startup complete" in line
            if serving and self._port is not None:
                self._ready.set()
        self._ready.set()  # ended before it started: let the waiter see it

    def post_batch(self, token: str | None, body: dict[str, Any] | bytes, **headers: str) -> requests.Response:
        """POST a batch (a dict is sent as JSON, bytes as they are) with the kiosk's token."""
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, dict):
            return self.session.post(self.url + BATCHES_PATH, json=body, headers=headers, timeout=60)
        return self.session.post(self.url + BATCHES_PATH, data=body, headers=headers, timeout=60)

    def output(self) -> str:
        """Everything the server printed; complete only once it has stopped."""
        return "".join(self.log)

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)
        self._reader.join(60)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(60)
        self._reader.join(60)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def make_record(seq: int, payload: dict[str, Any] | None = None, record_id: str | None = None) -> dict[str, Any]:
    """One record as a kiosk sends it, with a correct sha256."""
    payload = payload if payload is not None else {
        "question_set": "default", "question_set_version": 1, "language": "en", "complete": True,
        "answers": [{"question": "what-is-working", "status": "answered", "text": FREE_TEXT}], "n": seq}
    return {"id": record_id or str(uuid.uuid4()), "seq": seq, "created_at_device": iso_z(utc_now()), "payload": payload,
            "sha256": payload_hash(payload)}


def nested(depth: int) -> dict[str, Any]:
    """A payload whose objects nest ``depth`` deep (the payload alone is 1)."""
    payload: dict[str, Any] = {}
    for _ in range(depth - 1):
        payload = {"inner": payload}
    return payload


def make_batch(records: list[dict[str, Any]], *, device_id: str, pending: int = 0,
               sent_at_device: str | None = None) -> dict[str, Any]:
    return {"batch_id": str(uuid.uuid4()), "kiosk_id": device_id, "schema_version": SCHEMA_VERSION,
            "sent_at_device": sent_at_device or iso_z(utc_now()), "pending": pending, "records": records}


def cut_mid_body(url: str, token: str, body: bytes) -> bool:
    """POST the headers of a batch and half its ``body``, then reset the connection: a kiosk's Wi-Fi gone
    mid-upload. False when nothing listened at ``url`` (a server that is down)."""
    where = urlsplit(url)
    head = (f"POST {BATCHES_PATH} HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    try:
        with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
            sock.sendall(head + body[:len(body) // 2])
            time.sleep(0.05)  # let the server start reading the body
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
    except OSError:
        return False
    return True
