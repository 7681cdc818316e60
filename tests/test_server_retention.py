"""The server's retention period (`feedback-server forget`, `serve --keep-days`) on SQLite and PostgreSQL:
old responses go, recent and flagged ones stay, and nothing else notices they were there."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from sync.core.clock import utc_now
from sync.server.domain import retention
from sync.server.domain.safeguarding import take_step
from sync.server.domain.staff import add_staff, load_member
from sync.server.storage.db import (
    comment_vectors,
    concern_events,
    concern_queue,
    forgotten,
    insert_responses,
    kiosks,
    open_database,
    responses,
)
from tests.server_process import ServerProcess, enrol, feedback_server, make_batch, make_record
from tests.test_server_concerns import flagged

OLD = timedelta(days=40)


def held(db: str) -> dict[int, str]:
    """seq -> id of every response the server holds."""
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.select(responses.c.seq, responses.c.id)).all())
    finally:
        engine.dispose()


def age(db: str, ids: list[str], by: timedelta = OLD) -> None:
    """Make the server have received these responses ``by`` ago."""
    engine = open_database(db, create=False)
    try:
        with engine.begin() as connection:
            connection.execute(sa.update(responses).where(responses.c.id.in_(ids)).values(received_at=utc_now() - by))
    finally:
        engine.dispose()


def stats(db: str) -> dict[str, Any]:
    result = feedback_server("stats", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_forget_deletes_old_responses_but_keeps_recent_and_flagged_ones_and_everything_else(server_database):
    db = server_database
    token = enrol(db)
    records = [make_record(1), make_record(2), flagged(3, ["self-harm"]), make_record(4), make_record(5),
               make_record(6)]
    with ServerProcess(db) as server:
        assert server.post_batch(token, make_batch(records, device_id=str(uuid.uuid4()))).json()["accepted"] == 6
    age(db, [r["id"] for r in records[:4]])  # 1, 2, 3 (flagged) and 4 are old
    assert stats(db)["kiosks"][0]["sequence_gaps"] == 0

    rehearsal = feedback_server("forget", "--older-than", "30", "--dry-run", db=db)
    assert rehearsal.returncode == 0, rehearsal.stderr
    assert rehearsal.stdout.strip() == ("Would forget 3 responses received more than 30 days ago, and keep 1 as old "
                                        "that are waiting in the safeguarding queue. Nothing was deleted.")
    assert sorted(held(db)) == [1, 2, 3, 4, 5, 6]

    result = feedback_server("forget", "--older-than", "30", db=db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("Forgot 3 responses received more than 30 days ago. Kept 1 as old that are "
                                     "waiting in the safeguarding queue.")
    assert held(db) == {r["seq"]: r["id"] for r in records if r["seq"] in (3, 5, 6)}
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.select(concern_queue.c.response_id)).scalars().all() == [records[2]["id"]]
            assert connection.execute(sa.select(kiosks.c.name)).scalars().all() == ["lounge-1"]
    finally:
        engine.dispose()
    kiosk = stats(db)["kiosks"][0]
    assert kiosk["sequence_gaps"] == 0 and kiosk["health"] == "green"  # 1, 2 and 4 went on purpose

    again = feedback_server("forget", "--older-than", "30", db=db)
    assert again.stdout.startswith("Forgot 0 responses")


def test_a_resolved_concern_is_forgotten_like_any_answer_but_its_history_stays(server_database):
    db = server_database
    token = enrol(db)
    records = [flagged(1, ["self-harm"]), flagged(2, ["neglect"]), make_record(3)]
    with ServerProcess(db) as server:
        assert server.post_batch(token, make_batch(records, device_id=str(uuid.uuid4()))).json()["accepted"] == 3
    engine = open_database(db, create=False)
    try:
        add_staff(engine, "manny", "a long staff password", "manager", ["Mile End"])
        with engine.connect() as connection:
            manny = load_member(connection, "manny")
        assert manny is not None
        take_step(engine, manny, records[0]["id"], "resolve", note="Referred to the safeguarding lead.")
        with engine.begin() as connection:
            connection.execute(sa.insert(comment_vectors), [{"response_id": r["id"], "question": "what-is-working",
                                                             "vector": b"\0" * 768} for r in records])
        age(db, [r["id"] for r in records])
        done = retention.forget_older_than(engine, 30)
        assert (done.forgotten, done.kept_flagged) == (2, 1)  # the resolved one went; the open one stays
        assert list(held(db).values()) == [records[1]["id"]]
        with engine.connect() as connection:
            assert connection.execute(sa.select(comment_vectors.c.response_id)).scalars().all() == [records[1]["id"]]
            history = connection.execute(sa.select(concern_events.c.action, concern_events.c.note)
                                         .where(concern_events.c.response_id == records[0]["id"])).all()
            assert ("resolve", "Referred to the safeguarding lead.") in [tuple(row) for row in history]
            assert len(connection.execute(sa.select(concern_queue)).all()) == 2
    finally:
        engine.dispose()


def test_a_kiosk_whose_answers_were_all_forgotten_is_not_asked_to_send_them_again(server_database):
    """The receipt's high_water_seq still counts forgotten answers: below what the kiosk saw acknowledged,
    the kiosk would take the server for one restored from a backup and send them all again."""
    db = server_database
    token, device = enrol(db), str(uuid.uuid4())
    with ServerProcess(db) as server:
        first = [make_record(seq) for seq in (1, 2, 3)]
        assert server.post_batch(token, make_batch(first, device_id=device)).json()["accepted"] == 3
        age(db, [r["id"] for r in first])
        assert feedback_server("forget", "--older-than", "30", db=db).stdout.startswith("Forgot 3 responses")
        receipt = server.post_batch(token, make_batch([make_record(4)], device_id=device)).json()
    assert (receipt["accepted"], receipt["high_water_seq"]) == (1, 3)
    assert sorted(held(db)) == [4]
    assert stats(db)["kiosks"][0]["sequence_gaps"] == 0
    # a gap after what was forgotten is still a gap
    with ServerProcess(db) as server:
        server.post_batch(token, make_batch([make_record(7)], device_id=device))
    assert stats(db)["kiosks"][0]["sequence_gaps"] == 2


def test_serve_keep_days_forgets_at_start_without_holding_up_kiosks(server_database):
    db = server_database
    token, device = enrol(db), str(uuid.uuid4())
    old = [make_record(seq) for seq in (1, 2)]
    with ServerProcess(db) as server:
        server.post_batch(token, make_batch(old, device_id=device))
    age(db, [r["id"] for r in old])
    with ServerProcess(db) as server:  # no --keep-days: kept for ever, as before
        assert server.post_batch(token, make_batch([make_record(3)], device_id=device)).status_code == 200
    assert sorted(held(db)) == [1, 2, 3]

    with ServerProcess(db, "--keep-days", "30") as server:
        assert server.post_batch(token, make_batch([make_record(4)], device_id=device)).status_code == 200
        deadline = time.monotonic() + 30
        while sorted(held(db)) != [3, 4]:
            assert time.monotonic() < deadline, f"still held: {sorted(held(db))}"
            time.sleep(0.1)
    assert server.process.returncode == 0, server.output()  # stopped cleanly, the forgetting thread with it
    assert stats(db)["kiosks"][0]["sequence_gaps"] == 0


def test_servers_forgetting_at_the_same_time_delete_each_response_once(server_database, monkeypatch):
    """Several `serve --keep-days` processes share one PostgreSQL database; each forgets at start."""
    monkeypatch.setattr(retention, "CHUNK", 100)
    engine = open_database(server_database)
    devices = [str(uuid.uuid4()) for _ in range(3)]
    long_ago = utc_now() - OLD
    try:
        with engine.begin() as connection:  # one batch received long ago and one now, from each kiosk
            for device, (seqs, received_at) in itertools.product(devices, [(range(1, 401), long_ago),
                                                                          (range(401, 451), utc_now())]):
                insert_responses(connection, [
                    {"id": str(uuid.uuid4()), "kiosk": "lounge-1", "site": "Bow", "device_id": device, "seq": seq,
                     "created_at_device": "2026-01-01T00:00:00Z", "received_at": received_at, "sha256": "0" * 64,
                     "payload": "{}", "question_set": "default", "question_set_version": 1} for seq in seqs])
        results: list[retention.Forgetting] = []
        servers = [threading.Thread(target=lambda: results.append(retention.forget_older_than(engine, 30)))
                   for _ in range(4)]
        for server in servers:
            server.start()
        for server in servers:
            server.join(60)
        assert len(results) == 4 and sum(r.forgotten for r in results) == 3 * 400
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 3 * 50
            assert dict(connection.execute(sa.select(forgotten)).all()) == dict.fromkeys(devices, 400)
    finally:
        engine.dispose()
