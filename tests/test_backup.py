"""Backups and recovery on real SQLite files: rotation, skipping, copies under load, damage of every kind."""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.device.backup import BackupFailed, BackupSchedule, backups, forget_damaged, make_backup
from kiosk.device.recovery import open_store
from kiosk.session.store import Store, StoreUnavailable
from sync.core.record import AnswerRecord, SessionRecord

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "my keyworker Sam is lovely"
"""Answer text that must never reach a log."""


def record(text: str = SECRET) -> SessionRecord:
    answer = AnswerRecord("working", "What is working?", "text", status="answered", text=text)
    return SessionRecord("default", 1, "en-GB", [answer], complete=True)


def fill(store: Store, count: int) -> None:
    for number in range(count):
        store.save(record(f"{SECRET} {number} " + "and the garden " * 20))  # a few rows per page


def contents(path: Path) -> dict[str, str]:
    """id -> payload of every response in a database file."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT id, payload FROM responses"))


def backup_at(data: Path, when: datetime, keep: int = 48) -> Path | None:
    return make_backup(data, keep=keep, max_age_days=90, keep_free_mb=1, now=lambda: when)


def store_with_backup(data: Path, before: int, after: int) -> tuple[dict[str, str], dict[str, str]]:
    """A closed store of ``before`` responses, backed up, then ``after`` more; returns (backed up, all)."""
    store = Store(data)
    fill(store, before)
    backed_up = contents(store.path)
    made = backup_at(data, datetime.now(UTC) - timedelta(hours=2))
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).timestamp()
    os.utime(made, (two_hours_ago, two_hours_ago))
    fill(store, after)
    everything = contents(store.path)
    store.close()  # the last connection folds the WAL into the file, as at a clean shutdown
    return backed_up, everything


def responses_table_leaf_pages(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'responses' AND pagetype = 'leaf' ORDER BY pageno")]


def overwrite_page(path: Path, page: int) -> None:
    with path.open("r+b") as file:
        file.seek((page - 1) * 4096)
        file.write(random.Random(page).randbytes(4096))


def test_backups_rotate_keeping_the_newest(tmp_path):
    data = tmp_path / "data"
    store = Store(data)
    made = []
    for hour in range(5):
        store.save(record())
        made.append(backup_at(data, START + timedelta(hours=hour), keep=3))
    store.close()
    assert [b.path for b in backups(data)] == made[:1:-1]  # the newest three, newest first
    assert [len(contents(b.path)) for b in backups(data)] == [5, 4, 3]
    assert sorted(p.name for p in (data / "backups").iterdir()) == sorted(p.name for p in made[2:])  # no leftovers
    with closing(sqlite3.connect(made[-1])) as copy:  # one self-contained file, not a WAL database
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backups_older_than_keep_sent_days_go_but_the_newest_stays(tmp_path):
    data = tmp_path / "data"
    store = Store(data)
    store.save(record())
    old = backup_at(data, START - timedelta(days=200))
    assert backup_at(data, START) is None  # nothing changed: the old copy is still the newest, and kept
    store.save(record())
    new = backup_at(data, START)
    store.close()
    assert [b.path for b in backups(data)] == [new] and not old.exists()


def test_no_copy_is_made_when_nothing_changed(tmp_path):
    data = tmp_path / "data"
    store = Store(data)
    saved = store.save(record())
    assert backup_at(data, START) is not None
    os.utime(backups(data)[0].path, (0, 0))
    assert backup_at(data, START + timedelta(hours=1)) is None
    assert time.time() - backups(data)[0].path.stat().st_mtime < 60  # found unchanged: up to date as of now
    store.record_delivery([saved.id], [], "2026-03-02T10:00:00Z")  # a sync mark is a change
    assert backup_at(data, START + timedelta(hours=2)) is not None
    assert backup_at(data, START + timedelta(hours=3)) is None
    store.save(record())  # so is a new answer
    assert backup_at(data, START + timedelta(hours=4)) is not None
    store.close()
    assert len(backups(data)) == 3


def test_a_backup_taken_while_another_connection_writes_is_a_whole_snapshot(tmp_path):
    data = tmp_path / "data"
    Store(data).close()
    errors: list[Exception] = []
    done = threading.Event()

    def write() -> None:
        writer = Store(data)
        try:
            while not done.is_set():
                writer.save(record())
        except Exception as exc:  # reported below: the writer must never fail because of a backup
            errors.append(exc)
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        taken = []
        for minute in range(10):
            time.sleep(0.05)
            taken.append(backup_at(data, START + timedelta(minutes=minute)))
    finally:
        done.set()
        thread.join()
    assert errors == []
    for copy in filter(None, taken):
        with closing(sqlite3.connect(copy)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            seqs = [row[0] for row in db.execute("SELECT seq FROM responses ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))  # every save up to some moment, none half-made
    assert len({len(contents(c)) for c in filter(None, taken)}) > 1  # the writer really wrote in between


def test_a_damaged_database_makes_no_backup_and_keeps_the_good_ones(tmp_path):
    data = tmp_path / "data"
    store = Store(data)
    fill(store, 60)
    good = backup_at(data, START)
    store.save(record())
    store.close()
    overwrite_page(data / "kiosk.db", responses_table_leaf_pages(data / "kiosk.db")[3])
    with pytest.raises((BackupFailed, sqlite3.DatabaseError)):
        backup_at(data, START + timedelta(hours=1), keep=1)
    assert [b.path for b in backups(data)] == [good]
    assert list((data / "backups").glob(".*")) == []


@pytest.mark.parametrize("damage", ["truncated", "empty", "missing", "not a database"])
def test_a_lost_or_broken_file_is_replaced_by_the_backup(tmp_path, damage):
    data = tmp_path / "data"
    backed_up, _everything = store_with_backup(data, 50, 5)
    path = data / "kiosk.db"
    before = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(before[: len(before) * 6 // 10])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"this is not a database" * 100)
    damaged_bytes = path.read_bytes() if path.exists() else None
    store = open_store(data)
    assert contents(store.path) == backed_up | contents(store.path)  # every backed-up answer, unchanged
    assert store.integrity_ok()
    recovery = store.last_recovery()
    assert recovery is not None and recovery.restored == 50
    store.close()
    kept = list((data / "damaged").glob("kiosk-*.db"))
    if damaged_bytes is None:
        assert kept == [] and recovery.damaged_copy == ""
    else:
        assert [p.read_bytes() for p in kept] == [damaged_bytes] and recovery.damaged_copy == str(kept[0])


def test_a_garbage_page_among_old_answers_loses_nothing(tmp_path):
    data = tmp_path / "data"
    _backed_up, everything = store_with_backup(data, 300, 40)
    path = data / "kiosk.db"
    overwrite_page(path, responses_table_leaf_pages(path)[10])  # among the backed-up answers
    store = open_store(data)
    assert contents(store.path) == everything  # the backup's, plus the newer ones read from the damaged file
    recovery = store.last_recovery()
    assert (recovery.restored, recovery.salvaged) == (300, 40)
    assert [seq for (seq,) in store.db.execute("SELECT seq FROM responses ORDER BY seq")] == list(range(1, 341))
    assert store.save(record()).seq == 341  # seqs are never reused, even across a repair
    store.close()


def test_a_garbage_page_among_newer_answers_loses_only_that_page(tmp_path):
    data = tmp_path / "data"
    backed_up, everything = store_with_backup(data, 100, 100)
    path = data / "kiosk.db"
    overwrite_page(path, responses_table_leaf_pages(path)[-8])  # among the answers given after the backup
    store = open_store(data)
    now_held = contents(store.path)
    recovery = store.last_recovery()
    store.close()
    assert backed_up.items() <= now_held.items() <= everything.items()  # nothing invented, nothing changed
    assert 80 < recovery.salvaged < 100 and len(now_held) == 100 + recovery.salvaged  # lost: one page's rows


@pytest.mark.parametrize("backup", ["none", "damaged"])
def test_without_a_good_backup_the_damaged_file_is_left_untouched(tmp_path, backup):
    data = tmp_path / "data"
    data.mkdir()
    if backup == "damaged":
        store_with_backup(data, 5, 0)
        overwrite_page(backups(data)[0].path, 2)
    (data / "kiosk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="no good backup"):
        open_store(data)
    assert (data / "kiosk.db").read_bytes() == b"this is not a database" * 100
    assert not (data / "damaged").exists()


def test_a_damaged_database_another_process_has_open_is_not_moved(tmp_path, kiosk_env):
    data = tmp_path / "data"
    store_with_backup(data, 100, 0)
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
                               "db.execute('SELECT count(*) FROM meta').fetchone(); print('open', flush=True); "
                               "sys.stdin.read()", str(data / "kiosk.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=kiosk_env)
    try:
        assert holder.stdout.readline() == "open\n"
        overwrite_page(data / "kiosk.db", responses_table_leaf_pages(data / "kiosk.db")[5])
        damaged = (data / "kiosk.db").read_bytes()
        with pytest.raises(StoreUnavailable, match="another program"):
            open_store(data)
        assert (data / "kiosk.db").read_bytes() == damaged
    finally:
        holder.communicate("")
    store = open_store(data)  # once it has let go, the repair goes ahead
    assert store.last_recovery() is not None
    store.close()


def test_the_recovery_is_recorded_logged_without_answers_and_shown_by_kiosk_status(tmp_path, kiosk_env, caplog):
    data = tmp_path / "data"
    store_with_backup(data, 30, 4)
    path = data / "kiosk.db"
    overwrite_page(path, responses_table_leaf_pages(path)[2])
    with caplog.at_level(logging.DEBUG):
        open_store(data).close()
    assert [r.levelname for r in caplog.records if r.name == "kiosk.device.recovery"] == ["WARNING"]
    assert all(SECRET not in r.getMessage() for r in caplog.records)

    shown = subprocess.run([sys.executable, "-m", "kiosk", "status", "--json", "--data", str(data)], env=kiosk_env,
                           capture_output=True, text=True, check=True)
    report = json.loads(shown.stdout)["last_recovery"]
    assert (report["restored"], report["salvaged"]) == (30, 4)
    assert report["problem"] == "database disk image is malformed"
    assert report["backup"] == backups(data)[-1].path.name
    assert Path(report["damaged_copy"]).parent == data / "damaged"
    assert "as it was 2 hours before, holding 30 answers. 4 newer answers were rescued" in report["description"]
    plain = subprocess.run([sys.executable, "-m", "kiosk", "status", "--data", str(data)], env=kiosk_env,
                           capture_output=True, text=True, check=True).stdout
    assert "Last repair:" in plain and "the answers file was found damaged" in plain
    assert "Database check:                OK" in plain


def test_a_sound_database_is_opened_as_it_is(tmp_path):
    data = tmp_path / "data"
    _backed_up, everything = store_with_backup(data, 10, 3)
    store = open_store(data)
    assert contents(store.path) == everything and store.last_recovery() is None
    store.close()
    assert not (data / "damaged").exists()


def test_damaged_copies_are_deleted_after_keep_sent_days(tmp_path):
    data = tmp_path / "data"
    store_with_backup(data, 5, 0)
    (data / "kiosk.db").write_bytes(b"this is not a database" * 100)
    open_store(data).close()
    [kept] = (data / "damaged").iterdir()
    assert forget_damaged(data, 90, now=lambda: datetime.now(UTC) + timedelta(days=89)) == 0
    assert forget_damaged(data, 90, now=lambda: datetime.now(UTC) + timedelta(days=91)) == 1
    assert not kept.exists()


def test_the_schedule_backs_up_on_a_thread_of_its_own(tmp_path, config):
    data = tmp_path / "data"
    store = Store(data)
    store.save(record())
    schedule = BackupSchedule(data, config.settings.storage, 90, first_after=0.1)
    schedule.start()
    deadline = time.monotonic() + 10
    while not backups(data) and time.monotonic() < deadline:
        time.sleep(0.05)
    schedule.stop()
    store.close()
    assert len(backups(data)) == 1 and len(contents(backups(data)[0].path)) == 1
