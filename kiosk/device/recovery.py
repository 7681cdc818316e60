"""Open the kiosk's database; when it is found damaged, put the newest good backup in its place.

A power cut or a failing SD card can leave ``kiosk.db`` truncated, with a page of garbage, or not a
database at all. :func:`open_store` checks the file before anything else opens it. If it is damaged and
a backup (kiosk.device.backup) passes its own check, the damaged file and its WAL are moved to ``<data>/damaged/``
(kept for IT, deleted after ``privacy.keep_sent_days``), the backup is copied into place, and the answers
the damaged file still gives up that came after the backup are copied back, so at most what came after the
backup and cannot be read any more is lost. What happened is recorded in the restored database
(:meth:`kiosk.session.store.Store.last_recovery`, shown by ``kiosk status`` and the staff screen) and logged in one
line. Without a good backup the file is left exactly as it is and StoreUnavailable is raised, as before:
the app shows "out of order", and IT has the file to look at.

The rows are rescued by reading the damaged file with SQLite itself, forwards and backwards, so one bad
page stops neither direction. The sqlite3 shell's ``.recover`` was tried first and set aside: it needs the
``sqlite_dbpage`` table, which Debian 12's sqlite3 3.40.1 lacks (it fails with "SQL logic error" even on a
sound file), so it would be a path no kiosk built from Debian could take.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from kiosk.device.backup import (
    BACKUPS_DIR,
    DAMAGED_DIR,
    DAMAGED_SUFFIXES,
    NAME_FORMAT,
    Backup,
    backups,
    database_problem,
    read_only,
)
from kiosk.session.store import DB_FILENAME, Recovery, Store, StoreUnavailable
from sync.core.clock import utc_now
from sync.core.files import fsync_path
from sync.core.private_files import tighten
from sync.core.record import payload_sha256

SALVAGED_COLUMNS = ("id", "seq", "created_at_device", "question_set", "question_set_version", "complete",
                    "misuse_suspected", "concern", "payload", "sha256")
"""A rescued response keeps its id and seq (the server may already hold it) and is sent again: the server
recognises one it has as a duplicate."""
SHM_DEAD_MAN_SWITCH = 128
"""Every SQLite connection to a WAL database holds a read lock on this byte of its -shm file while open
(https://sqlite.org/walformat.html): if another process holds it, that process has the database open."""
STAMP = "%Y-%m-%dT%H:%M:%SZ"
log = logging.getLogger(__name__)


def open_store(data_dir: Path) -> Store:
    """The kiosk's store, repaired from the newest good backup if the file is damaged; raises
    StoreUnavailable when it cannot be opened and no backup can stand in for it. A data folder an older version
    left open to other users is made private first (sync.core.private_files)."""
    path = data_dir / DB_FILENAME
    tighten(path, folder_too=True)
    problem = _damage(data_dir)
    if problem is None:
        return Store(data_dir)
    sound = next(((backup, count) for backup in backups(data_dir) if (count := _sound_count(backup.path)) is not None),
                 None)
    if sound is None:
        reason = f"there is no good backup in {data_dir / BACKUPS_DIR}"
    elif _in_use_elsewhere(path):
        reason = "another program (kiosk-sync?) has it open: stop it, then start the kiosk again"
    else:
        return _restore(data_dir, problem, *sound)
    log.error("the database is damaged (%s) and was left as it is: %s", problem, reason)
    raise StoreUnavailable(f"{path} is damaged ({problem}) and {reason}")


def _damage(data_dir: Path) -> str | None:
    """What is wrong with the database file, or None: also None when it cannot be read for a reason a
    backup cannot mend (permissions, a lock), so that Store reports it as it always has."""
    path = data_dir / DB_FILENAME
    if not path.exists() or path.stat().st_size == 0:
        # A new kiosk has neither file nor backups. A missing or empty file beside backups was lost (a power
        # cut can leave a file empty): starting afresh would lose every answer and the kiosk's identity.
        if not backups(data_dir):
            return None
        return "the database file is missing" if not path.exists() else "the database file is empty"
    try:
        return database_problem(path)
    except sqlite3.Error:
        return None


def _sound_count(path: Path) -> int | None:
    """How many responses a backup holds, or None when it is not sound itself."""
    try:
        if database_problem(path, "integrity_check") is not None:
            return None
        with closing(read_only(path)) as db:
            return int(db.execute("SELECT count(*) FROM responses").fetchone()[0])
    except sqlite3.Error:
        return None


def _in_use_elsewhere(path: Path) -> bool:
    """Whether another process has the database open. Moving it then would be harmful: when that process
    closes it, SQLite deletes the WAL by name, which by then would be the restored database's.
    This process must not have the database open itself (closing our descriptor would drop its locks)."""
    try:
        fd = os.open(f"{path}-shm", os.O_RDWR)
    except FileNotFoundError:  # SQLite deletes it when the last connection closes
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DEAD_MAN_SWITCH)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases our lock
    return False


def _restore(data_dir: Path, problem: str, backup: Backup, restored: int) -> Store:
    path, now = data_dir / DB_FILENAME, utc_now()
    as_of = datetime.fromtimestamp(backup.path.stat().st_mtime, UTC)  # kiosk.device.backup: made, or found unchanged
    restoring = data_dir / f".{DB_FILENAME}.restoring"
    shutil.copyfile(backup.path, restoring)  # before anything moves: the kiosk.db name is missing only briefly
    fsync_path(restoring)
    damaged = _set_aside(data_dir, now)
    restoring.rename(path)
    fsync_path(data_dir)
    store = Store(data_dir)
    salvaged = salvage(damaged, store) if damaged.exists() else 0
    recovery = Recovery(at=now.strftime(STAMP), problem=problem, backup=backup.path.name,
                        backup_as_of=as_of.strftime(STAMP), restored=restored, salvaged=salvaged,
                        damaged_copy=str(damaged) if damaged.exists() else "")
    store.record_recovery(recovery)
    log.warning("database damaged (%s): restored %d responses from backup %s (%s old), rescued %d newer; "
                "damaged file kept as %s", problem, restored, backup.path.name, recovery.backup_age(), salvaged,
                damaged)
    return store


def _set_aside(data_dir: Path, now: datetime) -> Path:
    """Move the damaged database, its WAL and shared memory to ``damaged/``, named alike so that SQLite
    still reads the WAL with the file; returns the database's new path."""
    folder = data_dir / DAMAGED_DIR
    folder.mkdir(exist_ok=True)
    target = folder / now.strftime(NAME_FORMAT)
    for suffix in DAMAGED_SUFFIXES:
        source = data_dir / f"{DB_FILENAME}{suffix}"
        if source.exists():
            source.rename(f"{target}{suffix}")
    fsync_path(folder)
    return target


def salvage(damaged: Path, store: Store) -> int:
    """Copy into ``store`` the responses the damaged file still gives up that came after the backup (seq
    is never reused, so they are those past the backup's highest seq); returns how many. Read forwards
    and then backwards, so rows on both sides of a damaged page are found. A row counts only if its
    payload still matches its SHA-256: a page of garbage never becomes an answer."""
    after = store.db.execute("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'responses'").fetchone()[0]
    columns = ", ".join(SALVAGED_COLUMNS)
    found: dict[int, tuple[object, ...]] = {}
    with closing(read_only(damaged)) as db:
        for order in ("ASC", "DESC"):
            try:
                for row in db.execute(f"SELECT {columns} FROM responses WHERE seq > ? ORDER BY seq {order}", [after]):
                    if row[1] in found:  # reading backwards, reached what was read forwards
                        break
                    found[row[1]] = row
            except sqlite3.DatabaseError:
                continue
    sound = [row for row in found.values() if isinstance(row[8], str) and payload_sha256(row[8]) == row[9]]
    before = store.db.conn.total_changes
    with store.db.atomic():
        store.db.conn.executemany(f"INSERT OR IGNORE INTO responses ({columns}) VALUES "
                                  f"({', '.join('?' * len(SALVAGED_COLUMNS))})", sound)
    return store.db.conn.total_changes - before
