"""The central server as kiosks meet it: the real server process, real HTTP, a real SQLite file."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.core.protocol import (
    MAX_BODY_BYTES,
    MAX_RECORD_BYTES,
    MAX_RECORD_DEPTH,
    TIMESTAMP_PATTERN,
    UPDATES_PATH,
    Receipt,
    Updates,
)
from tests.conftest import PROJECT
from tests.server_process import (
    FREE_TEXT,
    ServerProcess,
    cut_mid_body,
    enrol,
    feedback_server,
    make_batch,
    make_record,
    nested,
)


def query(db: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql, params).fetchall()


def count(db: str, table: str) -> int:
    return query(db, f"SELECT count(*) FROM {table}")[0][0]


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "server.db")


@pytest.fixture
def token(db) -> str:
    return enrol(db)


@pytest.fixture
def server(db, token):  # type: ignore[no-untyped-def]
    with ServerProcess(db) as running:
        yield running


@pytest.fixture
def device() -> str:
    """The kiosk store's own id, as the sync job sends it in kiosk_id."""
    return str(uuid.uuid4())


def receipt(response: requests.Response) -> Receipt:
    assert response.status_code == 200, response.text
    return Receipt.model_validate(response.json())


def updates(server: ServerProcess, token: str, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if "etag" in params:
        headers["If-None-Match"] = params.pop("etag")
    return server.session.get(server.url + UPDATES_PATH, params=params, headers=headers, timeout=60)


def stats(db: str) -> dict[str, Any]:
    result = feedback_server("stats", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_batch_is_stored_and_the_receipt_counts_it(server, token, db, device):
    records = [make_record(seq) for seq in (1, 2, 3)]
    batch = make_batch(records, device_id=device, pending=3)
    got = receipt(server.post_batch(token, batch))
    assert (got.batch_id, got.accepted, got.duplicate, got.conflict, got.rejected) == (batch["batch_id"], 3, 0, 0, [])
    assert got.high_water_seq == 0  # what the server held from this kiosk before the batch
    assert re.match(TIMESTAMP_PATTERN, got.server_time)
    stored = query(db, "SELECT id, kiosk, site, device_id, seq, sha256 FROM responses ORDER BY seq")
    assert stored == [(r["id"], "lounge-1", "Mile End", device, r["seq"], r["sha256"]) for r in records]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]


def test_a_kiosk_cannot_write_into_another_kiosks_numbering(server, token, db, device):
    """Security review, finding 7: a second kiosk's token naming the first kiosk's device id, with seq 2**40,
    gave the first kiosk 1,099,511,627,275 "gaps". A device id belongs to the kiosk that sent from it first."""
    receipt(server.post_batch(token, make_batch([make_record(seq) for seq in (1, 2)], device_id=device)))
    other = enrol(db, name="hall-2", site="Bow")
    response = server.post_batch(other, make_batch([make_record(2 ** 40)], device_id=device))
    assert response.status_code == 403 and "device id of another kiosk" in response.json()["detail"]
    assert "lounge-1" not in response.text  # nor does it say whose
    assert query(db, "SELECT kiosk, MAX(seq) FROM responses GROUP BY kiosk") == [("lounge-1", 2)]
    [first] = [row for row in stats(db)["kiosks"] if row["name"] == "lounge-1"]
    assert first["sequence_gaps"] == 0
    receipt(server.post_batch(token, make_batch([make_record(3)], device_id=device)))  # its own kiosk goes on
    revoked = feedback_server("revoke-kiosk", "lounge-1", db=db)
    assert revoked.returncode == 0, revoked.stderr
    moved = server.post_batch(other, make_batch([make_record(4)], device_id=device))  # its store, a new token
    assert moved.status_code == 200, moved.text


def test_the_same_batch_again_is_all_duplicate_and_adds_nothing(server, token, db, device):
    batch = make_batch([make_record(seq) for seq in (1, 2, 3)], device_id=device)
    receipt(server.post_batch(token, batch))
    again = receipt(server.post_batch(token, batch))
    assert (again.accepted, again.duplicate, again.conflict, again.rejected) == (0, 3, 0, [])
    assert again.high_water_seq == 3
    assert count(db, "responses") == 3


def test_the_same_id_with_other_content_is_a_conflict_kept_aside(server, token, db, device):
    original = make_record(1)
    receipt(server.post_batch(token, make_batch([original], device_id=device)))
    changed = make_record(1, payload={"question_set": "default", "complete": False}, record_id=original["id"])
    for _ in range(2):  # the kiosk may send it again if a receipt is lost: still one conflict row
        got = receipt(server.post_batch(token, make_batch([changed], device_id=device)))
        assert (got.accepted, got.duplicate, got.conflict, got.rejected) == (0, 0, 1, [])
    assert query(db, "SELECT sha256 FROM responses") == [(original["sha256"],)]
    assert query(db, "SELECT response_id, sha256, kiosk FROM conflicts") == [(original["id"], changed["sha256"],
                                                                             "lounge-1")]
    assert stats(db)["conflicts"] == 1


def test_wrong_records_are_rejected_with_reasons_and_the_others_stored(server, token, db, device):
    good = [make_record(1), make_record(2)]
    bad_hash = {**make_record(3), "sha256": "0" * 64}
    too_big = make_record(4, payload={"text": "x" * MAX_RECORD_BYTES})
    twice = make_record(5)
    got = receipt(server.post_batch(token, make_batch([good[0], bad_hash, too_big, twice, good[1], twice],
                                                      device_id=device)))
    assert (got.accepted, got.duplicate, got.conflict) == (2, 0, 0)
    reasons = [(r.id, r.reason) for r in got.rejected]
    assert reasons == [(bad_hash["id"], "sha256 does not match the payload"),
                       (too_big["id"], f"the payload is {MAX_RECORD_BYTES + 11} bytes, more than the "
                                       f"{MAX_RECORD_BYTES} allowed for one record"),
                       (twice["id"], "this id appears more than once in the batch"),
                       (twice["id"], "this id appears more than once in the batch")]
    assert sorted(query(db, "SELECT id FROM responses")) == sorted((r["id"],) for r in good)


@pytest.mark.parametrize("token_sent, reason", [
    (None, "This request needs a kiosk token: send it as Authorization: Bearer <token>."),
    ("made-up-token", "This kiosk token is not recognised; check the kiosk's token file."),
])
def test_a_missing_or_unknown_token_is_refused_with_a_reason(server, db, device, token_sent, reason):
    response = server.post_batch(token_sent, make_batch([make_record(1)], device_id=device))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": reason}
    assert count(db, "responses") == 0


def test_a_revoked_token_stops_working(server, token, db, device):
    receipt(server.post_batch(token, make_batch([make_record(1)], device_id=device)))
    revoked = feedback_server("revoke-kiosk", "lounge-1", db=db)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    for response in (server.post_batch(token, make_batch([make_record(2)], device_id=device)),
                     updates(server, token)):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json() == {"detail": "This kiosk's token has been revoked; enrol the kiosk again to get "
                                             "a new one."}
    assert count(db, "responses") == 1
    assert stats(db)["kiosks"][0]["revoked"] is True
    assert "already revoked" in feedback_server("revoke-kiosk", "lounge-1", db=db).stdout


def _valid() -> dict[str, Any]:
    return make_batch([make_record(1)], device_id=str(uuid.uuid4()))


BAD_BODIES = {
    "not UTF-8": (b'{"batch_id": "\xff"}', 400, "The request body is not UTF-8 text."),
    "cut-off JSON": (b'{"batch_id": ', 400, "The request body is not valid JSON."),
    "NaN is not JSON": (b'{"pending": NaN}', 400, "The request body is not valid JSON."),
    "nested too deep": (b"[" * 200_000 + b"]" * 200_000, 400, "The request body is not valid JSON."),
    "empty body": (b"", 400, "The request body is not valid JSON."),
    "a list, not an object": (b"[]", 422, "The batch does not match the protocol: Input should be a valid "
                                          "dictionary or instance of Batch."),
    "missing field": ({k: v for k, v in _valid().items() if k != "pending"}, 422,
                      "The batch does not match the protocol: pending: Field required."),
    "unknown field": ({**_valid(), "kiosk_name": "x"}, 422,
                      "The batch does not match the protocol: kiosk_name: Extra inputs are not permitted."),
    "no records": ({**_valid(), "records": []}, 422, "The batch does not match the protocol: records: List should "
                                                     "have at least 1 item after validation, not 0."),
    "bad record id": ({**_valid(), "records": [make_record(1, record_id="1")]}, 422,
                      "The batch does not match the protocol: records.0.id: String should match pattern "
                      "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'."),
    "other schema version": ({**_valid(), "schema_version": 2}, 422,
                             "This server speaks schema_version 1, not 2; update the kiosk's software."),
    "seq too large for the database": ({**_valid(), "records": [make_record(2**63)]}, 422,
                                       "The batch does not match the protocol: records.0.seq: Input should be less "
                                       "than or equal to 9223372036854775807."),
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_a_broken_batch_is_refused_with_one_plain_reason_and_nothing_stored(server, token, db, name):
    body, status, detail = BAD_BODIES[name]
    response = server.post_batch(token, body, **{"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert count(db, "responses") == 0


def _peak_memory_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def test_a_body_over_the_cap_gets_413_without_the_server_holding_it(server, token, db, device):
    ten_mb = b'{"records": [' + b" " * 10_000_000 + b"]}"
    before = _peak_memory_kib(server.process.pid)
    declared = server.post_batch(token, ten_mb)  # Content-Length says it is too big: refused before reading
    chunks = (ten_mb[i:i + 65536] for i in range(0, len(ten_mb), 65536))
    streamed = server.post_batch(token, chunks)  # type: ignore[arg-type]  # chunked: refused once past the cap
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"detail": f"The request body is larger than {MAX_BODY_BYTES} bytes; send fewer "
                                             "records in each batch."}
    assert _peak_memory_kib(server.process.pid) - before < 5_000  # the 10 MB were never held
    # the same connection still works, and so does the server
    assert receipt(server.post_batch(token, make_batch([make_record(1)], device_id=device))).accepted == 1
    assert server.session.get(server.url + "/v1/health", timeout=60).json() == {"status": "ok"}
    assert count(db, "responses") == 1


def test_a_batch_cut_off_mid_body_stores_nothing_and_logs_no_error(server, token, db, device):
    """A kiosk's network gone mid-upload is an everyday event: nothing is stored, the batch sent whole then
    lands, and the log has no error or traceback to alarm whoever reads it (bench/soak_server.py found one for
    every upload cut off)."""
    batch = make_batch([make_record(1)], device_id=device)
    assert cut_mid_body(server.url, token, json.dumps(batch).encode())
    assert count(db, "responses") == 0
    assert receipt(server.post_batch(token, batch)).accepted == 1
    server.stop()
    assert "Traceback" not in server.output() and "ERROR" not in server.output(), server.output()


def test_a_record_nested_too_deeply_or_holding_infinity_is_rejected_alone(server, token, db, device):
    records = [make_record(1, nested(MAX_RECORD_DEPTH)), make_record(2, nested(MAX_RECORD_DEPTH + 1)),
               make_record(3, {"answers": [], "score": -math.inf})]
    # json.dumps writes -inf as -Infinity, which is not JSON; -1e400 is a JSON number Python reads as -inf
    body = json.dumps(make_batch(records, device_id=device)).replace("-Infinity", "-1e400").encode()
    got = receipt(server.post_batch(token, body, **{"Content-Type": "application/json"}))
    assert got.accepted == 1
    assert [(r.id, r.reason) for r in got.rejected] == [
        (records[1]["id"], f"the payload nests objects and lists more than {MAX_RECORD_DEPTH} deep"),
        (records[2]["id"], "the payload has a number too large to store")]
    assert query(db, "SELECT id FROM responses") == [(records[0]["id"],)]


def test_two_identical_batches_sent_at_once_store_each_record_once(server, token, db, device):
    batch = make_batch([make_record(seq) for seq in range(1, 201)], device_id=device)
    start = threading.Barrier(2)
    answers: list[requests.Response] = []

    def send() -> None:
        with requests.Session() as own:
            start.wait()
            answers.append(own.post(server.url + "/v1/batches", json=batch, timeout=60,
                                    headers={"Authorization": f"Bearer {token}"}))

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    receipts = [receipt(answer) for answer in answers]
    assert sorted((r.accepted, r.duplicate) for r in receipts) == [(0, 200), (200, 0)]
    assert count(db, "responses") == 200


def test_updates_carry_the_sites_content_with_an_etag(server, token, db, tmp_path):
    empty = updates(server, token)
    assert empty.status_code == 200
    first = Updates.model_validate(empty.json())
    assert (first.site, first.question_set, first.you_said_we_did) == ("Mile End", None, [])
    assert empty.headers["ETag"] == first.version
    unchanged = updates(server, token, etag=first.version)
    assert (unchanged.status_code, unchanged.content) == (304, b"")

    questions = tmp_path / "questions.toml"
    questions.write_text((PROJECT / "config/questions/default.toml").read_text(encoding="utf-8"))
    assert feedback_server("questions", "set", "--site", "Mile End", str(questions), db=db).returncode == 0
    for said, when in [("It is cold", "2026-01-10"), ("More music", "2026-03-01"), ("Late lunch", "2026-02-01")]:
        added = feedback_server("you-said-we-did", "add", "--site", "Mile End", "--said", said, "--did", "Done",
                                "--date", when, "--picture", "thumbs-up", db=db)
        assert added.returncode == 0, added.stderr
    feedback_server("you-said-we-did", "add", "--site", "Bow", "--said", "Other site", "--did", "x", db=db)

    changed = updates(server, token, etag=first.version)
    assert changed.status_code == 200
    second = Updates.model_validate(changed.json())
    assert second.version != first.version and changed.headers["ETag"] == second.version
    assert second.question_set is not None
    assert (second.question_set.id, second.question_set.version) == ("default", 1)
    assert second.question_set.toml == questions.read_text()
    assert [(i.said, i.date, i.picture) for i in second.you_said_we_did] == [
        ("More music", "2026-03-01", "thumbs-up"), ("Late lunch", "2026-02-01", "thumbs-up"),
        ("It is cold", "2026-01-10", "thumbs-up")]
    # items with no translations are sent without the field, which kiosks from before translations refuse
    assert not any("translations" in item for item in changed.json()["you_said_we_did"])
    assert updates(server, token, etag=second.version).status_code == 304


def test_updates_send_at_most_20_items_newest_first(server, token, db):
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.executemany(
            "INSERT INTO you_said_we_did (site, said, did, picture, date, created_at) VALUES (?, ?, ?, '', ?, ?)",
            [("Mile End", f"said {n}", "did", f"2026-01-{n:02d}", "2026-01-01 00:00:00") for n in range(1, 26)])
    items = Updates.model_validate(updates(server, token).json()).you_said_we_did
    assert [item.said for item in items] == [f"said {n}" for n in range(25, 5, -1)]


def test_updates_report_the_kiosks_health(server, token, db):
    response = updates(server, token, pending=4, device_time="2026-01-01T00:00:00Z")
    assert response.status_code == 200
    kiosk = stats(db)["kiosks"][0]
    assert kiosk["pending"] == 4 and kiosk["clock_skew_seconds"] > 300 and kiosk["health"] == "amber"
    for params, detail in [({"pending": -1}, "The query parameter pending is not valid: Input should be greater than "
                                             "or equal to 0."),
                           ({"device_time": "yesterday"}, "The query parameter device_time is not valid: String "
                                                          f"should match pattern '{TIMESTAMP_PATTERN}'.")]:
        refused = updates(server, token, **params)
        assert (refused.status_code, refused.json()) == (422, {"detail": detail})


def test_stats_report_each_kiosks_health(server, token, db):
    tokens = {"lounge-1": token, **{name: enrol(db, name, "Bow") for name in ("behind", "gappy", "skewed", "silent",
                                                                            "never", "revoked")}}
    for name, seqs, pending, sent_at in [("lounge-1", [1, 2], 0, None), ("behind", [1], 7, None),
                                         ("gappy", [1, 2, 5, 9], 0, None), ("skewed", [1], 0, "2020-01-01T00:00:00Z"),
                                         ("silent", [1], 0, None), ("revoked", [1], 0, None)]:
        batch = make_batch([make_record(seq) for seq in seqs], device_id=str(uuid.uuid4()), pending=pending,
                           sent_at_device=sent_at)
        receipt(server.post_batch(tokens[name], batch))
    feedback_server("revoke-kiosk", "revoked", db=db)
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE kiosks SET last_seen_at = datetime('now', '-49 hours') WHERE name = 'silent'")

    report = stats(db)
    assert report["responses"] == 10 and report["conflicts"] == 0
    kiosks = {k["name"]: k for k in report["kiosks"]}
    assert {name: k["health"] for name, k in kiosks.items()} == {
        "lounge-1": "green", "behind": "amber", "gappy": "amber", "skewed": "amber", "never": "amber",
        "silent": "red", "revoked": "red"}
    assert kiosks["behind"]["pending"] == 7 and kiosks["gappy"]["sequence_gaps"] == 5
    assert kiosks["skewed"]["clock_skew_seconds"] > 300 and abs(kiosks["lounge-1"]["clock_skew_seconds"]) < 300
    assert kiosks["never"]["last_seen"] is None and kiosks["revoked"]["revoked"] is True
    assert re.match(TIMESTAMP_PATTERN, kiosks["lounge-1"]["last_seen"])
    table = feedback_server("stats", db=db).stdout
    assert "Answers held: 10" in table and re.search(r"silent\s+Bow\s+red", table)


def test_add_kiosk_prints_the_token_alone_on_the_last_line_and_keeps_only_its_hash(db):
    result = feedback_server("add-kiosk", "reception", "--site", "Bow", db=db)
    assert result.returncode == 0
    *explanation, token = result.stdout.splitlines()
    assert explanation and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, URL-safe
    assert query(db, "SELECT token_hash FROM kiosks") == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert token.encode() not in Path(db).read_bytes()
    assert token != enrol(db, "reception-2", "Bow")


def test_the_server_log_holds_no_payload_text_and_no_token(db, token, device):
    with ServerProcess(db) as server:
        original = make_record(1)
        receipt(server.post_batch(token, make_batch([original], device_id=device)))
        changed = make_record(1, payload={"text": FREE_TEXT + " changed"}, record_id=original["id"])
        receipt(server.post_batch(token, make_batch([changed], device_id=device)))
        server.post_batch(token, {**make_batch([original], device_id=device), "note": FREE_TEXT})
    log = server.output()
    assert f"conflict: response {original['id']} arrived again" in log  # the one alert, by id
    assert FREE_TEXT not in log and token not in log


def test_high_water_seq_shows_a_server_restored_from_backup(db, token, device, tmp_path):
    """Counted before the batch: the records of the batch itself must not hide the ones the server lost."""
    with ServerProcess(db) as server:
        receipt(server.post_batch(token, make_batch([make_record(seq) for seq in (1, 2, 3)], device_id=device)))
    backup = tmp_path / "backup.db"
    backup.write_bytes(Path(db).read_bytes())  # the server stopped cleanly: everything is in the main file
    with ServerProcess(db) as server:
        got = receipt(server.post_batch(token, make_batch([make_record(seq) for seq in (4, 5)], device_id=device)))
        assert got.high_water_seq == 3
    Path(db).write_bytes(backup.read_bytes())  # the disk died; last night's backup is put back
    with ServerProcess(db) as server:
        after_restore = receipt(server.post_batch(token, make_batch([make_record(6)], device_id=device)))
    assert after_restore.high_water_seq == 3  # lower than the 5 the kiosk saw acknowledged: it resends 4 and 5


def test_a_batch_body_built_from_stored_rows_is_the_batch_the_protocol_describes():
    from sync.core.protocol import Batch, encode_batch, payload_hash
    from sync.core.record import canonical_json

    payload = {"answers": {"why": "Staff were kind — 직원들이 친절했어요 \"quoted\" \\ ক্ষ"}, "n": 1}
    rows = [(str(uuid.uuid4()), seq, "2026-11-23T10:00:00Z", canonical_json(payload), payload_hash(payload))
            for seq in (1, 2)]
    body = encode_batch(batch_id=str(uuid.uuid4()), kiosk_id=str(uuid.uuid4()),
                        sent_at_device="2026-11-23T10:00:01Z", pending=7, rows=rows)
    batch = Batch.model_validate_json(body)
    assert batch.pending == 7 and batch.schema_version == 1
    assert [(r.id, r.seq, r.payload, r.sha256) for r in batch.records] == [
        (rid, seq, payload, sha) for rid, seq, _, _, sha in rows]
    assert all(payload_hash(r.payload) == r.sha256 for r in batch.records)


def test_free_text_is_scrubbed_again_at_ingest_and_a_resend_is_still_a_duplicate(server, token, db, device):
    """A kiosk running an older scrub sends a phone number: the server stores it scrubbed."""
    payload = {"question_set": "default", "answers": [{"question": "why", "text": "ring me on 07700 900123"}]}
    record = make_record(1, payload)
    assert server.post_batch(token, make_batch([record], device_id=device)).json()["accepted"] == 1
    assert server.post_batch(token, make_batch([record], device_id=device)).json()["duplicate"] == 1
    with closing(sqlite3.connect(db)) as connection:
        [(stored, sha)] = connection.execute("SELECT payload, sha256 FROM responses").fetchall()
    assert json.loads(stored)["answers"][0]["text"] == "ring me on [phone]"
    assert sha == record["sha256"]  # the kiosk's hash, so the kiosk's copy is still recognised
