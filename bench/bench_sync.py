"""Sync throughput over loopback: the real ``kiosk-sync --once`` against a real ``feedback-server serve``,
compared with a raw ``executemany`` of the same rows into the same server tables.

A kiosk that was offline for weeks, or a server restored from a backup, has to move a large backlog in
one pass; this measures how fast the whole path does it (kiosk store → HTTP → server validation →
INSERT … ON CONFLICT → receipt → marking rows acknowledged). The floor is what the server's database
alone costs: the same 100,000 rows inserted by ``executemany``, one transaction per 500 rows, through a
connection opened by ``sync.server.storage.db.open_database`` (so with the server's SQLite pragmas: WAL,
``synchronous=FULL``, ``BEGIN IMMEDIATE``). The ratio is what everything else adds.

The kiosk database is made as in bench/bench_export.py: ``--simulated`` sessions through the real flow
and store, then copies of their payloads with fresh UUIDs and seqs (the sha256 column stays the hash of
the payload). Every run starts from a fresh copy of that folder and a fresh server database, and checks
afterwards that the server holds exactly the kiosk's ids, once each.

    .venv/bin/python bench/bench_sync.py                             # SQLite, batch sizes 500 1000 2000
    .venv/bin/python bench/bench_sync.py --postgres postgresql+psycopg://feedback:feedback@127.0.0.1/feedback_bench

--postgres DROPS the server's tables in the database it names: give a throwaway one, and not the test
suite's feedback_test while tests may run (they drop the same tables). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ and bench/ are not installed

from bench.bench_export import fill
from kiosk.session.store import DB_FILENAME, Store
from sync.core.clock import utc_now
from sync.core.protocol import BATCHES_PATH
from sync.server.storage.db import metadata, open_database, responses
from tests.server_process import ServerProcess, enrol
from tests.test_sync_e2e import Kiosk

TARGET_PER_SECOND = 3_000
RAW_ROWS_PER_TRANSACTION = 500
RAW_COLUMNS = ("id", "kiosk", "site", "device_id", "seq", "created_at_device", "received_at", "sha256", "payload",
               "question_set", "question_set_version")
"""Every column the server fills in for a response (sync/server/domain/batches.py)."""


def fresh_database(postgres: str | None, folder: Path, name: str) -> str:
    """A new, empty server database: a new SQLite file in ``folder``, or ``postgres`` with its tables dropped."""
    if postgres is None:
        return str(folder / f"{name}.db")
    engine = sa.create_engine(postgres)
    try:
        metadata.drop_all(engine)
        with engine.begin() as connection:  # else the emptied database would still claim to be migrated
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
    return postgres


def server_ids(db: str) -> list[str]:
    """Every response id the server holds, repeats included (so a duplicate would show)."""
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.select(responses.c.id)).scalars())
    finally:
        engine.dispose()


def exactly_once(db: str, expected: set[str]) -> str:
    """"yes" when the server holds every expected id exactly once and nothing else, else what it holds."""
    held = server_ids(db)
    if len(held) == len(expected) and set(held) == expected:
        return "yes"
    return (f"NO: {len(held)} rows, {len(set(held))} distinct ids, {len(set(held) & expected)} of the "
            f"{len(expected)} expected")


def check_exactly_once(db: str, expected: set[str]) -> None:
    """Stop the benchmark unless the server holds exactly the ids sent: a fast wrong answer is not a result."""
    answer = exactly_once(db, expected)
    if answer != "yes":
        raise SystemExit(f"Error: the server does not hold each response exactly once ({answer})")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process and its running children (Linux /proc; the workers
    of `serve --workers`), to show who was busy."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu_seconds(int(child)) for child in children)


def children_cpu_seconds() -> float:
    """CPU time of this process's finished children (the commands it ran and waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class SyncRun:
    """One `kiosk-sync --once` pass over the whole backlog, as measured."""

    seconds: float
    """Wall time of the whole `kiosk-sync --once` command, start-up included."""
    idle_seconds: float
    """Wall time of a second `kiosk-sync --once` with nothing left to send: the fixed cost of a pass."""
    kiosk_cpu: float
    server_cpu: float
    posts: int
    too_large: int


@contextmanager
def kiosk_copy(template: Path, scratch: Path, token: str, batch_size: int) -> Iterator[Kiosk]:
    """A fresh copy of the kiosk data folder, set up as the end-to-end tests set up a kiosk (token file,
    --config folder with ``batch_size``)."""
    root = Path(tempfile.mkdtemp(dir=scratch))
    try:
        kiosk = Kiosk(root, dict(os.environ), token, batch_size)
        shutil.copytree(template, kiosk.data)
        yield kiosk
    finally:
        shutil.rmtree(root)


def kiosk_sync_once(kiosk: Kiosk, server_url: str) -> float:
    """Run the installed `kiosk-sync --once`; its wall time in seconds."""
    start = time.perf_counter()
    result = kiosk.sync_once(server_url)
    took = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"Error: kiosk-sync exited with {result.returncode}:\n{result.stderr}")
    return took


def time_kiosk_sync(template: Path, expected: set[str], scratch: Path, db: str, batch_size: int) -> SyncRun:
    """One full pass of the real kiosk-sync against a real server on a fresh database."""
    token = enrol(db)
    # no allowance of batches: this measures how fast a backlog can go, not the server's limit on it
    with kiosk_copy(template, scratch, token, batch_size) as kiosk, \
            ServerProcess(db, "--batches-per-minute", "0") as server:
        server_cpu = process_cpu_seconds(server.process.pid)
        kiosk_cpu = children_cpu_seconds()
        seconds = kiosk_sync_once(kiosk, server.url)
        kiosk_cpu = children_cpu_seconds() - kiosk_cpu
        server_cpu = process_cpu_seconds(server.process.pid) - server_cpu
        idle_seconds = kiosk_sync_once(kiosk, server.url)
    posts = [line for line in server.log if f"POST {BATCHES_PATH}" in line]  # complete once it has stopped
    check_exactly_once(db, expected)
    return SyncRun(seconds, idle_seconds, kiosk_cpu, server_cpu, len(posts), sum(" 413 " in line for line in posts))


def raw_rows(template: Path) -> list[tuple[object, ...]]:
    """The kiosk's rows as the server stores them (one kiosk, one device, one receive time)."""
    with sqlite3.connect(template / DB_FILENAME) as kiosk_db:
        device_id = kiosk_db.execute("SELECT value FROM meta WHERE key = 'kiosk_id'").fetchone()[0]
        received_at = utc_now().isoformat(sep=" ")
        return [(rid, "lounge-1", "Mile End", device_id, seq, created, received_at, sha, payload, question_set, version)
                for rid, seq, created, payload, sha, question_set, version in kiosk_db.execute(
                    "SELECT id, seq, created_at_device, payload, sha256, question_set, question_set_version "
                    "FROM responses ORDER BY seq")]


def time_raw_insert(rows: list[tuple[object, ...]], db: str) -> float:
    """``executemany`` of ``rows`` into the server's own tables, one transaction per 500 rows."""
    engine = open_database(db)  # the server's tables, and its connect/begin settings on SQLite
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    insert = f"INSERT INTO responses ({', '.join(RAW_COLUMNS)}) VALUES ({', '.join([marker] * len(RAW_COLUMNS))})"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        start = time.perf_counter()
        for first in range(0, len(rows), RAW_ROWS_PER_TRANSACTION):
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")  # as the server's begin hook does; psycopg begins by itself
            cursor.executemany(insert, rows[first:first + RAW_ROWS_PER_TRANSACTION])
            connection.commit()
        took = time.perf_counter() - start
    finally:
        connection.close()
        engine.dispose()
    check_exactly_once(db, {str(row[0]) for row in rows})
    return took


def median_run(runs: list[SyncRun]) -> SyncRun:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def verdict(per_second: float) -> str:
    return f"target >= {TARGET_PER_SECOND} responses/s: {'met' if per_second >= TARGET_PER_SECOND else 'MISSED'}"


def bench_backend(label: str, postgres: str | None, template: Path, scratch: Path, args: argparse.Namespace) -> None:
    """Raw floor first, then kiosk-sync at each batch size; the median of ``--repeat`` runs each."""
    rows = raw_rows(template)
    expected = {str(row[0]) for row in rows}
    count = len(rows)
    raw = statistics.median(
        time_raw_insert(rows, fresh_database(postgres, scratch, f"raw-{i}")) for i in range(args.repeat))
    print(f"{label} raw executemany, {RAW_ROWS_PER_TRANSACTION} rows per transaction: {raw:.2f} s, "
          f"{count / raw:.0f} responses/s")
    for size in args.batch_sizes:
        run = median_run([time_kiosk_sync(template, expected, scratch,
                                          fresh_database(postgres, scratch, f"batch{size}-{i}"), size)
                          for i in range(args.repeat)])
        rate = count / run.seconds
        prefix = f"{label} kiosk-sync --once batch_size {size}"
        print(f"{prefix}: {run.seconds:.2f} s, {rate:.0f} responses/s ({verdict(rate)})")
        print(f"{prefix}: {run.seconds / raw:.1f}x the time of the raw executemany")
        print(f"{prefix}: batches posted {run.posts}, of which refused as too large (413) {run.too_large}")
        print(f"{prefix}: CPU kiosk-sync {run.kiosk_cpu:.1f} s, server {run.server_cpu:.1f} s")
        print(f"{prefix}: fixed cost of a pass with nothing to send {run.idle_seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000, help="responses on the kiosk (default 100000)")
    parser.add_argument("--simulated", type=int, default=3_000,
                        help="of which simulated through the real flow and store (default 3000)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[500, 1000, 2000], metavar="N",
                        help="kiosk batch sizes to try (default 500 1000 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median is shown")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulated sessions")
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure on this PostgreSQL database (its server tables are DROPPED)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite measurements")
    parser.add_argument("--dir", type=Path, help="folder for the databases (default: temporary)")
    args = parser.parse_args()
    if args.responses < 1 or args.repeat < 1 or args.simulated < 1:
        parser.error("--responses, --simulated and --repeat must be at least 1")

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        scratch = Path(folder)
        template = scratch / "kiosk-template"
        store = Store(template)
        fill(store, args.responses, min(args.simulated, args.responses), args.seed)
        print(f"responses on the kiosk: {store.count_pending()}")
        store.close()
        print(f"kiosk database size: {(template / DB_FILENAME).stat().st_size / 1e6:.1f} MB")
        if not args.no_sqlite:
            bench_backend("sqlite", None, template, scratch, args)
        if args.postgres:
            bench_backend("postgres", args.postgres, template, scratch, args)


if __name__ == "__main__":
    main()
