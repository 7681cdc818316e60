"""Backups and repair at start, against SQLite doing the bare job.

- a backup (``kiosk.device.backup.make_backup``: copy, full integrity check of the copy, fsync, atomic rename,
  rotation) against SQLite's backup API alone into a file that is then fsynced;
- the check at start (``kiosk.device.recovery.open_store`` on a sound file) against a bare ``PRAGMA quick_check``;
- the repair of a file with a garbage page (set aside, newest backup put back, newer rows rescued).

    .venv/bin/python bench/bench_backup.py             # 10,000 responses in a temporary folder
    .venv/bin/python bench/bench_backup.py -n 100000 --dir /media/usb/bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from kiosk.device.backup import make_backup
from kiosk.device.recovery import open_store
from kiosk.session.settings import load_config
from kiosk.session.simulate import simulate
from kiosk.session.store import DB_FILENAME, Store
from sync.core.files import fsync_path

RUNS = 5


def fill(data: Path, responses: int) -> None:
    """``responses`` real sessions: a few through the real flow, then copied in SQL (fast, same sizes)."""
    with closing(Store(data)) as store:
        simulate(20, config=load_config(), store=store, seed=1, on_saved=lambda _saved: None)
        while (count := store.count_since()) < responses:
            store.db.execute(
                "INSERT INTO responses (id, created_at_device, question_set, question_set_version, complete, "
                "misuse_suspected, concern, payload, sha256) SELECT lower(hex(randomblob(16))), created_at_device, "
                "question_set, question_set_version, complete, misuse_suspected, concern, payload, sha256 "
                f"FROM responses LIMIT {min(count, responses - count)}")
            store.db.conn.commit()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_backup(data: Path, target: Path) -> None:
    with closing(sqlite3.connect(data / DB_FILENAME)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    fsync_path(target)
    target.unlink()


def bare_quick_check(data: Path) -> None:
    with closing(sqlite3.connect(data / DB_FILENAME)) as db:
        db.execute("PRAGMA quick_check").fetchall()


def one_more_answer(data: Path) -> None:
    """A change, so the next backup is not skipped as unchanged."""
    with closing(Store(data)) as store:
        simulate(1, config=load_config(), store=store, seed=2, on_saved=lambda _saved: None)


def damage(path: Path) -> None:
    """Garbage over a page in the middle of the file, as a failing SD card leaves it."""
    page = 4096
    with path.open("r+b") as file:
        file.seek((path.stat().st_size // page // 2) * page)
        file.write(os.urandom(page))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="responses in the database")
    parser.add_argument("--dir", type=Path, help="where to work (the kiosk's own disk; default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        data = Path(folder, "data")
        fill(data, args.n)
        size_mb = (data / DB_FILENAME).stat().st_size / 1e6
        ours, bare = [], []
        for _ in range(RUNS):
            one_more_answer(data)
            ours.append(timed(lambda: make_backup(data, keep=3, max_age_days=90, keep_free_mb=1)))
            bare.append(timed(lambda: bare_backup(data, Path(folder, "bare.db"))))
        start, check = [], []
        for _ in range(RUNS):
            start.append(timed(lambda: open_store(data).close()))
            check.append(timed(lambda: bare_quick_check(data)))
        one_more_answer(data)  # after the newest backup: the repair has a row to rescue
        shutil.rmtree(data / "damaged", ignore_errors=True)
        damage(data / DB_FILENAME)
        repair = timed(lambda: open_store(data).close())
        with closing(Store(data)) as store:
            recovery = store.last_recovery()
    print(f"{args.n} responses, {size_mb:.1f} MB")
    print(f"backup:          median {median_ms(ours):.0f} ms (max {max(ours) * 1000:.0f}); SQLite's backup API alone "
          f"{median_ms(bare):.0f} ms; ratio {statistics.median(ours) / statistics.median(bare):.1f}x")
    print(f"check at start:  median {median_ms(start):.1f} ms; bare quick_check {median_ms(check):.1f} ms; "
          f"ratio {statistics.median(start) / statistics.median(check):.1f}x")
    assert recovery is not None, "the damaged database was not repaired"
    print(f"repair:          {repair * 1000:.0f} ms ({recovery.restored} restored from the backup, "
          f"{recovery.salvaged} rescued from the damaged file)")


if __name__ == "__main__":
    main()
