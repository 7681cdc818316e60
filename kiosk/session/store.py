"""Is it saved: the kiosk's local SQLite database (WAL, synchronous=FULL, versioned schema).

Each session becomes one row, committed in one transaction together with its UUID and its per-kiosk
sequence number (``seq``, never reused thanks to AUTOINCREMENT). :meth:`Store.save` returns only after
the commit, so the caller may then say "thank you"; any failure raises :class:`SaveFailed` and leaves
what was stored before untouched.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from kiosk.session.flow import SaveFailed
from sync.core.clock import device_stamp, utc_now
from sync.core.plain_words import plain_duration
from sync.core.private_files import FOLDER_MODE
from sync.core.record import SessionRecord, canonical_json, payload_sha256

DB_FILENAME = "kiosk.db"
RECOVERY_KEY = "last_recovery"
log = logging.getLogger(__name__)

migrations = Migrations("kiosk-store")


@migrations()
def m001_responses(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE responses (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            created_at_device TEXT NOT NULL,
            question_set TEXT NOT NULL,
            complete INTEGER NOT NULL,
            misuse_suspected INTEGER NOT NULL,
            payload TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'acked', 'dead')),
            sync_note TEXT
        )"""
    )
    db.execute("CREATE INDEX responses_sync_state ON responses (sync_state, seq)")
    db.execute("CREATE INDEX responses_created ON responses (created_at_device)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('kiosk_id', ?)", [str(uuid.uuid4())])


@migrations()
def m002_question_set_version(db: Database) -> None:
    """A real column, so exports find each question set version without reading every payload."""
    db.execute("ALTER TABLE responses ADD COLUMN question_set_version INTEGER NOT NULL DEFAULT 1")
    db.execute("UPDATE responses SET question_set_version = json_extract(payload, '$.question_set_version')")


@migrations()
def m003_concern(db: Database) -> None:
    """Responses that raise a safeguarding concern are sent to the server before all others."""
    db.execute("ALTER TABLE responses ADD COLUMN concern INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE responses SET concern = json_extract(payload, '$.concerns') IS NOT NULL")
    db.execute("CREATE INDEX responses_sync_order ON responses (sync_state, concern DESC, seq)")


@migrations()
def m004_export_order(db: Database) -> None:
    """Exports list rows by day given, then random id (sync.core.export.period_order): walking this index
    instead of sorting every payload took a 100,000-row export's reading from 0.71 s to 0.43 s. The expression
    must stay exactly the one period_order writes for "day", the default."""
    db.execute("CREATE INDEX responses_export_order ON responses (substr(created_at_device, 1, 10), id)")


class StoreUnavailable(SaveFailed):
    """The database cannot be opened or prepared at all."""


@dataclass(frozen=True)
class Saved:
    id: str
    seq: int


@dataclass(frozen=True)
class Recovery:
    """A damaged database replaced by a backup at start (kiosk.device.recovery), kept in the restored database's
    meta table so `kiosk status` and the staff screen can say what happened long after the log is gone."""

    at: str
    """When the damage was found and repaired (UTC, like every time the store records)."""
    problem: str
    backup: str
    """The backup's file name."""
    backup_as_of: str
    """When the backup was last known to hold everything the database did (made, or found unchanged)."""
    restored: int
    """Responses the backup held."""
    salvaged: int
    """Responses newer than the backup rescued from the damaged file."""
    damaged_copy: str
    """Where the damaged file was kept for IT ("" when it was missing)."""

    def backup_age(self) -> timedelta:
        return _parse_utc(self.at) - _parse_utc(self.backup_as_of)

    def describe(self) -> str:
        """What happened, for a care worker."""
        age = plain_duration(self.backup_age().total_seconds())
        rescued = f" {self.salvaged} newer answers were rescued from the damaged file." if self.salvaged else ""
        kept = f" The damaged file is kept for IT in {self.damaged_copy}." if self.damaged_copy else ""
        return (f"On {_parse_utc(self.at):%d %b %Y at %H:%M} UTC the answers file was found damaged. It was replaced "
                f"by the backup as it was {age} before, holding {self.restored} answers.{rescued} Answers given in "
                f"those {age} that could not be rescued are lost.{kept}")


def _parse_utc(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class Store:
    """The local store of one kiosk, in ``<data dir>/kiosk.db``."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / DB_FILENAME
        try:
            data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)  # see sync.core.private_files
            self.db = Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 5000")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = FULL")
            migrations.apply(self.db)
            self.kiosk_id: str = self._meta("kiosk_id") or ""
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def save(self, record: SessionRecord) -> Saved:
        """Commit one session durably; raises SaveFailed (nothing half-written) if that is impossible."""
        payload = canonical_json(record.payload())
        row = {
            "id": str(uuid.uuid4()),
            "created_at_device": device_stamp(utc_now()),
            "question_set": record.question_set,
            "question_set_version": record.question_set_version,
            "complete": int(record.complete),
            "misuse_suspected": int(record.misuse_suspected),
            "concern": int(bool(record.concerns)),
            "payload": payload,
            "sha256": payload_sha256(payload),
        }
        try:
            with self.db.atomic():
                seq = self.db["responses"].insert(row).last_pk
        except (sqlite3.Error, OSError) as exc:
            log.error("could not store a response: %s", exc)  # the SQLite error, never the answers
            raise SaveFailed(str(exc)) from exc
        return Saved(row["id"], int(seq))

    def counts(self) -> dict[str, Any]:
        """How many responses this kiosk holds, by sync state, and when the server last confirmed a sync."""
        by_state = dict(self.db.execute("SELECT sync_state, count(*) FROM responses GROUP BY sync_state").fetchall())
        total, incomplete, misuse = self.db.execute(
            "SELECT count(*), total(complete = 0), total(misuse_suspected) FROM responses"
        ).fetchone()
        return {
            "stored": total,
            "pending": by_state.get("pending", 0),
            "acknowledged": by_state.get("acked", 0),
            "dead": by_state.get("dead", 0),
            "incomplete": int(incomplete),
            "misuse_suspected": int(misuse),
            "last_sync": self._meta("last_sync_server_time"),
            "sync_status": self._meta("sync_status"),
        }

    def count_since(self, since: str | None = None) -> int:
        if since:
            return self.db.execute("SELECT count(*) FROM responses WHERE created_at_device >= ?", [since]).fetchone()[0]
        return self.db.execute("SELECT count(*) FROM responses").fetchone()[0]

    # -- used by the sync job ---------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self.db.atomic():
            self._put_meta(key, value)

    def _put_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                        "excluded.value", [key, value])

    def get_meta(self, key: str) -> str | None:
        return self._meta(key)

    def pending(self, limit: int) -> list[tuple[str, int, str, str, str]]:
        """The next ``limit`` unsent responses, ``(id, seq, created_at_device, payload_json, sha256)``: those
        raising a safeguarding concern first, then the oldest."""
        return self.db.execute(
            "SELECT id, seq, created_at_device, payload, sha256 FROM responses WHERE sync_state = 'pending' "
            "ORDER BY concern DESC, seq LIMIT ?", [limit]).fetchall()

    def count_pending(self) -> int:
        return self.db.execute("SELECT count(*) FROM responses WHERE sync_state = 'pending'").fetchone()[0]

    def record_delivery(self, acknowledged: list[str], dead: list[tuple[str, str]], server_time: str) -> None:
        """After a verified receipt: mark what the server holds, dead-letter what it refused, remember when."""
        with self.db.atomic():
            self.db.conn.executemany("UPDATE responses SET sync_state = 'acked', sync_note = NULL WHERE id = ?",
                                     [(rid,) for rid in acknowledged])
            self.db.conn.executemany("UPDATE responses SET sync_state = 'dead', sync_note = ? WHERE id = ?",
                                     [(reason, rid) for rid, reason in dead])
            self._put_meta("last_sync_server_time", server_time)

    def forget_sent(self, keep_days: int) -> int:
        """Delete responses the server confirmed holding that are older than ``keep_days`` days; returns
        how many. Kept that long so they can be sent again if the server is restored from a backup, and
        exported from the kiosk; after that the kiosk holds only what it still has to send."""
        cutoff = device_stamp(utc_now() - timedelta(days=keep_days))
        with self.db.atomic():
            cursor = self.db.execute("DELETE FROM responses WHERE sync_state = 'acked' AND created_at_device < ?",
                                     [cutoff])
        return cursor.rowcount

    def max_acknowledged_seq(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM responses WHERE sync_state = 'acked'").fetchone()[0]

    def resend_after(self, high_water_seq: int) -> int:
        """The server holds nothing past ``high_water_seq`` (restored from a backup?): send those again."""
        with self.db.atomic():
            cursor = self.db.execute("UPDATE responses SET sync_state = 'pending' WHERE sync_state = 'acked' "
                                     "AND seq > ?", [high_water_seq])
        return cursor.rowcount

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def record_recovery(self, recovery: Recovery) -> None:
        self.set_meta(RECOVERY_KEY, json.dumps(asdict(recovery)))

    def last_recovery(self) -> Recovery | None:
        """The last time this kiosk's database was found damaged and replaced by a backup, if ever."""
        stored = self._meta(RECOVERY_KEY)
        return Recovery(**json.loads(stored)) if stored else None
