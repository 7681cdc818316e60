"""Power cuts on the central server: SIGKILL it mid-way through streams of batches, restart it on the
same SQLite file, and nothing it gave a receipt for is missing; a batch cut off in flight is all there
or not there at all. Several kiosks send at once, so the kill finds requests at every stage."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import closing
from itertools import count
from typing import Any

import pytest
import requests

from tests.server_process import ServerProcess, enrol, make_batch, make_record

pytestmark = pytest.mark.slow
RECORDS_PER_BATCH = 100
KIOSKS = 3


class StreamingKiosk:
    """Sends batch after batch, remembering which got a receipt and which were cut off."""

    def __init__(self, db: str, name: str):
        self.token, self.device, self.seqs = enrol(db, name), str(uuid.uuid4()), count(1)
        self.receipted: list[dict[str, Any]] = []
        self.in_flight: list[dict[str, Any]] = []

    def stream(self, server: ServerProcess, answered: threading.Semaphore) -> None:
        with requests.Session() as session:
            while True:
                batch = make_batch([make_record(next(self.seqs)) for _ in range(RECORDS_PER_BATCH)],
                                   device_id=self.device)
                self.in_flight.append(batch)
                try:
                    response = session.post(server.url + "/v1/batches", json=batch, timeout=60,
                                            headers={"Authorization": f"Bearer {self.token}"})
                except requests.RequestException:
                    return  # the server is dead: stop, as a kiosk would until it comes back
                assert response.status_code == 200, response.text
                assert response.json()["accepted"] == RECORDS_PER_BATCH
                self.in_flight.remove(batch)
                self.receipted.append(batch)
                answered.release()


def test_a_killed_server_keeps_every_batch_it_gave_a_receipt_for(tmp_path):
    db = str(tmp_path / "server.db")
    kiosks = [StreamingKiosk(db, f"kiosk-{n}") for n in range(KIOSKS)]
    for receipts_before_kill in (3, 11, 7, 19):
        server = ServerProcess(db)
        answered = threading.Semaphore(0)
        senders = [threading.Thread(target=kiosk.stream, args=(server, answered)) for kiosk in kiosks]
        for sender in senders:
            sender.start()
        for _ in range(receipts_before_kill):
            assert answered.acquire(timeout=120), "the server stopped answering"
        server.kill()  # the kiosks are still sending
        for sender in senders:
            sender.join(120)
            assert not sender.is_alive()

    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        held = {row[0] for row in connection.execute("SELECT id FROM responses")}
    assert sum(len(kiosk.receipted) for kiosk in kiosks) >= 3 + 11 + 7 + 19
    for kiosk in kiosks:
        assert all(record["id"] in held for batch in kiosk.receipted for record in batch["records"])
        for batch in kiosk.in_flight:  # one transaction: all of a cut-off batch, or none of it
            assert len({record["id"] for record in batch["records"]} & held) in (0, RECORDS_PER_BATCH)

    with ServerProcess(db) as restarted:  # each kiosk resends what it holds no receipt for
        for kiosk in kiosks:
            for batch in kiosk.in_flight + kiosk.receipted:
                got = restarted.post_batch(kiosk.token, batch).json()
                assert got["accepted"] + got["duplicate"] == RECORDS_PER_BATCH and got["rejected"] == []
                assert got["accepted"] == 0 or batch in kiosk.in_flight
            assert got["high_water_seq"] == next(kiosk.seqs) - 1
