"""The local store: durable settings, versioned schema, stable kiosk identity, honest failures."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.session.flow import SaveFailed
from kiosk.session.store import Store, StoreUnavailable, migrations
from sync.core.export import period_order
from sync.core.record import AnswerRecord, SessionRecord, payload_sha256


def record(text: str = "Lovely staff") -> SessionRecord:
    answer = AnswerRecord("working", "What is working?", "text", status="answered", text=text)
    return SessionRecord("default", 1, "en-GB", [answer], complete=True)


def test_wal_and_full_sync_are_on(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_each_save_gets_a_uuid_a_rising_seq_and_a_hash_of_its_payload(store):
    first, second = store.save(record("one")), store.save(record("two"))
    assert (first.seq, second.seq) == (1, 2) and first.id != second.id
    rows = store.db.execute("SELECT id, payload, sha256, sync_state FROM responses ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [first.id, second.id]
    for _id, payload, sha, state in rows:
        assert sha == payload_sha256(payload) and state == "pending"
    assert json.loads(rows[1][1])["answers"][0]["text"] == "two"


def test_reopening_keeps_data_identity_and_applies_no_migration_twice(tmp_path):
    first = Store(tmp_path)
    saved = first.save(record())
    kiosk_id = first.kiosk_id
    first.close()
    again = Store(tmp_path)
    assert again.kiosk_id == kiosk_id and len(kiosk_id) == 36
    assert again.counts()["stored"] == 1
    assert [m.name for m in migrations.applied(again.db)] == [
        "m001_responses", "m002_question_set_version", "m003_concern", "m004_export_order"]
    assert again.save(record()).seq == saved.seq + 1
    again.close()


def test_sequence_numbers_are_never_reused_even_after_deletion(store):
    store.save(record())
    last = store.save(record())
    store.db.execute("DELETE FROM responses WHERE seq = ?", [last.seq])
    store.db.conn.commit()
    assert store.save(record()).seq == last.seq + 1


def test_counts_report_states_for_status(store):
    store.save(record())
    incomplete = record()
    incomplete.complete = False
    store.save(incomplete)
    counts = store.counts()
    assert counts == {"stored": 2, "pending": 2, "acknowledged": 0, "dead": 0, "incomplete": 1,
                      "misuse_suspected": 0, "last_sync": None, "sync_status": None}


def test_a_write_that_cannot_happen_raises_save_failed_and_keeps_earlier_rows(store):
    store.save(record())
    locker = sqlite3.connect(store.path, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # another process holding the database, e.g. a stuck backup
    store.db.execute("PRAGMA busy_timeout = 100")
    with pytest.raises(SaveFailed):
        store.save(record("lost?"))
    locker.rollback()
    locker.close()
    assert store.counts()["stored"] == 1 and store.integrity_ok()


def test_a_file_that_is_not_a_database_is_reported_not_overwritten(tmp_path):
    (tmp_path / "kiosk.db").write_bytes(b"not a database" * 512)
    with pytest.raises(StoreUnavailable, match=r"kiosk\.db"):
        Store(tmp_path)
    assert (tmp_path / "kiosk.db").read_bytes() == b"not a database" * 512


def test_migration_2_fills_the_version_column_from_existing_payloads(tmp_path):
    from sqlite_utils import Database

    old = Database(tmp_path / "kiosk.db")
    migrations.apply(old, stop_before="m002_question_set_version")
    payload = json.dumps({"question_set": "default", "question_set_version": 3, "answers": []})
    old.execute("INSERT INTO responses (id, created_at_device, question_set, complete, misuse_suspected, payload, "
                "sha256) VALUES ('a', '2026-01-01T00:00:00Z', 'default', 1, 0, ?, 'x')", [payload])
    old.conn.commit()
    old.close()
    upgraded = Store(tmp_path)
    assert upgraded.db.execute("SELECT question_set_version FROM responses").fetchone()[0] == 3
    upgraded.close()


def test_migration_3_marks_existing_flagged_responses_to_be_sent_first(tmp_path):
    from sqlite_utils import Database

    old = Database(tmp_path / "kiosk.db")
    migrations.apply(old, stop_before="m003_concern")
    for rid, payload in (("a", {"answers": []}), ("b", {"answers": [], "concerns": ["neglect"]})):
        old.execute("INSERT INTO responses (id, created_at_device, question_set, complete, misuse_suspected, "
                    "payload, sha256) VALUES (?, '2026-01-01T00:00:00Z', 'default', 1, 0, ?, 'x')",
                    [rid, json.dumps(payload)])
    old.conn.commit()
    old.close()
    upgraded = Store(tmp_path)
    assert [row[0] for row in upgraded.pending(10)] == ["b", "a"]
    upgraded.close()


def test_an_export_by_day_walks_the_index_instead_of_sorting_every_payload(store):
    """The index's expression must be the one period_order writes, or SQLite sorts 100,000 payloads again."""
    order = f"{period_order('created_at_device', 'day')}, id"
    plan = store.db.execute(f"EXPLAIN QUERY PLAN SELECT payload FROM responses ORDER BY {order}").fetchall()
    assert [row[-1] for row in plan] == ["SCAN responses USING INDEX responses_export_order"]


def test_sent_responses_are_forgotten_after_the_kept_days_and_unsent_ones_never(tmp_path):
    store = Store(tmp_path)
    saved = [store.save(record()) for _ in range(4)]
    with store.db.atomic():
        store.db.execute("UPDATE responses SET created_at_device = '2020-01-01T00:00:00Z' WHERE seq IN (1, 2, 3)")
    store.record_delivery([saved[0].id, saved[1].id, saved[3].id], [], "2026-11-23T00:00:00Z")
    assert store.forget_sent(keep_days=90) == 2  # old and sent: seq 1 and 2
    remaining = [seq for (seq,) in store.db.execute("SELECT seq FROM responses ORDER BY seq").fetchall()]
    assert remaining == [3, 4]  # 3: old but never sent; 4: sent but recent
    store.close()
