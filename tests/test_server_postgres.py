"""The scale path: the same server on PostgreSQL. Needs FEEDBACK_TEST_POSTGRES_URL, e.g.
``postgresql+psycopg://feedback:feedback@127.0.0.1/feedback_test``, naming a throwaway database: each
test drops the server's tables first. Without it these tests are skipped, except on CI (CI=true),
where PostgreSQL must be there."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sync.core.clock import utc_now
from sync.server.storage.db import responses
from tests.server_process import ServerProcess, enrol, feedback_server, make_batch, make_record

LOCK_WAIT_TIMEOUT = 60


@pytest.fixture
def engine(postgres) -> Iterator[sa.Engine]:
    opened = sa.create_engine(postgres)
    yield opened
    opened.dispose()


def post(server: ServerProcess, token: str, batch: dict[str, Any]) -> dict[str, Any]:
    response = server.post_batch(token, batch)
    assert response.status_code == 200, response.text
    return response.json()


def test_batches_duplicates_conflicts_and_stats_on_postgres(postgres):
    token = enrol(postgres)
    device = str(uuid.uuid4())
    records = [make_record(seq) for seq in (1, 2, 3)]
    with ServerProcess(postgres) as server:
        password = sa.make_url(postgres).password
        if password:  # the password is never printed
            assert ":***@" in server.output() and f":{password}@" not in server.output()
        first = post(server, token, make_batch(records, device_id=device))
        assert (first["accepted"], first["duplicate"], first["high_water_seq"]) == (3, 0, 0)
        assert post(server, token, make_batch(records, device_id=device))["duplicate"] == 3
        changed = make_record(2, payload={"other": True}, record_id=records[1]["id"])
        assert post(server, token, make_batch([changed], device_id=device, pending=5))["conflict"] == 1
        headers = {"Authorization": f"Bearer {token}"}
        etag = server.session.get(server.url + "/v1/updates", headers=headers, timeout=60).headers["ETag"]
        again = server.session.get(server.url + "/v1/updates", headers={**headers, "If-None-Match": etag}, timeout=60)
        assert again.status_code == 304
    report = json.loads(feedback_server("stats", "--json", db=postgres).stdout)
    assert (report["responses"], report["conflicts"]) == (3, 1)
    assert report["kiosks"][0]["pending"] == 5  # an updates call without ?pending= leaves the last batch's


def test_two_identical_batches_sent_at_once_on_postgres(postgres, engine):
    token, device = enrol(postgres), str(uuid.uuid4())
    batch = make_batch([make_record(seq) for seq in range(1, 301)], device_id=device)
    start = threading.Barrier(4)
    answers: list[dict[str, Any]] = []
    with ServerProcess(postgres) as server:

        def send() -> None:
            with requests.Session() as own:
                start.wait()
                answers.append(own.post(server.url + "/v1/batches", json=batch, timeout=60,
                                        headers={"Authorization": f"Bearer {token}"}).json())

        senders = [threading.Thread(target=send) for _ in range(4)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
    assert sum(a["accepted"] for a in answers) == 300 and sum(a["duplicate"] for a in answers) == 900
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 300


def wait_until_blocked_on_a_lock(engine: sa.Engine) -> None:
    """Wait (on a condition, not a time) until some session of this database waits for a row lock."""
    deadline = time.monotonic() + LOCK_WAIT_TIMEOUT
    with engine.connect() as connection:
        while connection.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one() == 0:
            assert time.monotonic() < deadline, "the server never waited for the other transaction"
            connection.commit()  # a fresh snapshot of pg_stat_activity
            time.sleep(0.05)


@pytest.mark.parametrize("other_transaction_ends_with", ["commit", "rollback"])
def test_a_batch_waits_for_another_transaction_holding_the_same_id(postgres, engine, other_transaction_ends_with):
    """ON CONFLICT DO NOTHING waits for the other insert's outcome: a duplicate once it commits, stored if it
    rolls back. Never an error, never two rows."""
    token, device = enrol(postgres), str(uuid.uuid4())
    contested, other = make_record(1), make_record(2)
    answers: list[dict[str, Any]] = []
    with ServerProcess(postgres) as server, engine.connect() as elsewhere:
        elsewhere.execute(responses.insert().values(
            id=contested["id"], kiosk="lounge-1", site="Mile End", device_id=device, seq=1,
            created_at_device=contested["created_at_device"], received_at=utc_now(), sha256=contested["sha256"],
            payload=json.dumps(contested["payload"])))  # inserted, not yet committed
        sender = threading.Thread(target=lambda: answers.append(
            post(server, token, make_batch([contested, other], device_id=device))))
        sender.start()
        wait_until_blocked_on_a_lock(engine)
        assert answers == []  # the server is still waiting for us
        getattr(elsewhere, other_transaction_ends_with)()
        sender.join(60)
    expected = (1, 1) if other_transaction_ends_with == "commit" else (2, 0)
    assert [(a["accepted"], a["duplicate"], a["conflict"]) for a in answers] == [(*expected, 0)]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 2


def test_a_database_outage_is_503_with_retry_after_and_the_server_recovers(postgres, engine):
    """The kiosk retries 5xx with backoff, so an outage must be a plain 503, never a traceback; the role
    in FEEDBACK_TEST_POSTGRES_URL owns its database, so it can shut its own server out for a moment."""
    token, device = enrol(postgres), str(uuid.uuid4())
    with ServerProcess(postgres) as server, engine.connect() as admin:
        database = admin.execute(sa.text("SELECT current_database()")).scalar_one()
        admin.execute(sa.text(f'ALTER DATABASE "{database}" CONNECTION LIMIT 0'))
        admin.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        admin.commit()
        try:
            for response in (server.session.get(server.url + "/v1/health", timeout=60),
                             server.post_batch(token, make_batch([make_record(1)], device_id=device))):
                assert response.status_code == 503
                assert response.headers["Retry-After"] == "5"
                assert response.json() == {"detail": "The server's database is busy or unreachable; try again "
                                                     "shortly."}
        finally:
            admin.execute(sa.text(f'ALTER DATABASE "{database}" CONNECTION LIMIT -1'))
            admin.commit()
        assert post(server, token, make_batch([make_record(1)], device_id=device))["accepted"] == 1
    assert "database unavailable: OperationalError" in server.output()


def test_batches_holding_the_same_ids_in_opposite_orders_never_deadlock(postgres):
    """Rows are locked in one global order (sorted ids), so crossing batches wait instead of deadlocking."""
    token, device = enrol(postgres), str(uuid.uuid4())
    statuses: list[int] = []

    def send(url: str, batch: dict[str, Any], start: threading.Barrier) -> None:
        with requests.Session() as own:
            start.wait()
            statuses.append(own.post(url + "/v1/batches", json=batch, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"}).status_code)

    with ServerProcess(postgres) as server:
        for round_number in range(5):
            records = [make_record(round_number * 1000 + seq) for seq in range(1, 301)]
            start = threading.Barrier(2)
            senders = [threading.Thread(target=send, args=(server.url, make_batch(order, device_id=device), start))
                       for order in (records, records[::-1])]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
    assert statuses == [200] * 10


def test_awkward_text_in_payloads_is_stored_exactly_on_postgres(postgres, engine):
    """Quotes, backslashes, JSON-looking text, emoji, Bengali, Korean and NUL: the batch travels to
    PostgreSQL as one JSON array (sync/server/storage/db.py), so escaping must round-trip exactly."""
    token = enrol(postgres)
    texts = ['He said "no" \\ then \\"yes\\"', '{"answers": []}', "🙂 ক্ষ 직원", "tab\there\nnew line", "nul\x00here"]
    records = [make_record(seq, payload={"question_set": "set\x00one", "text": text, "n": seq})
               for seq, text in enumerate(texts, start=1)]
    with ServerProcess(postgres) as server:
        assert post(server, token, make_batch(records, device_id=str(uuid.uuid4())))["accepted"] == len(texts)
    with engine.connect() as connection:
        held = dict(connection.execute(sa.select(responses.c.id, responses.c.payload)).all())
        question_sets = set(connection.execute(sa.select(responses.c.question_set)).scalars())
    assert {rid: json.loads(payload)["text"] for rid, payload in held.items()} == {
        record["id"]: record["payload"]["text"] for record in records}
    assert question_sets == {"setone"}


def test_serve_with_two_worker_processes_on_postgres(postgres, engine):
    token = enrol(postgres)
    device = str(uuid.uuid4())
    records = [make_record(seq) for seq in range(1, 41)]
    with ServerProcess(postgres, "--workers", "2") as server:
        receipts = [post(server, token, make_batch(records[i:i + 10], device_id=device)) for i in range(0, 40, 10)]
        receipts.append(post(server, token, make_batch(records, device_id=device)))  # all again: duplicates
    assert [r["accepted"] for r in receipts] == [10, 10, 10, 10, 0] and receipts[-1]["duplicate"] == 40
    assert server.output().count("Application startup complete") == 2
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 40
