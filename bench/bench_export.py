"""CSV export time for a large kiosk database: ``kiosk.session.store_export.export`` against the ``sqlite3`` tool.

The database is made the honest way first: ``--simulated`` sessions go through the real flow and the
real store (``kiosk.session.simulate.simulate``), and that rate is printed. Simulating 100,000 sessions that way
takes 40-80 s of fsyncs, so the rest are copies of those real payloads, inserted in one
transaction with fresh ids. Give ``--simulated`` equal to ``--responses`` to simulate them all.

The baseline is ``sqlite3 -csv kiosk.db "SELECT * FROM responses"``: the raw rows, with no JSON
unpacked, so the ratio is what turning payloads into one column per question costs.

    .venv/bin/python bench/bench_export.py
    .venv/bin/python bench/bench_export.py --responses 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kiosk.session.settings import load_config
from kiosk.session.simulate import simulate
from kiosk.session.store import Store
from kiosk.session.store_export import export

TARGET_SECONDS = 3.0
TARGET_RATIO = 3.0


def fill(store: Store, responses: int, simulated: int, seed: int) -> None:
    """Simulate ``simulated`` sessions for real, then copy their rows until there are ``responses``."""
    start = time.perf_counter()
    simulate(simulated, config=load_config(), store=store, seed=seed, on_saved=lambda saved: None)
    took = time.perf_counter() - start
    print(f"simulated sessions (real flow and store): {simulated}")
    print(f"simulate time: {took:.2f} s ({simulated / took:.0f} sessions/s)")
    print(f"simulate time for {responses} sessions, estimated: {took * responses / simulated:.0f} s")
    copies = responses - simulated
    if copies <= 0:
        return
    start = time.perf_counter()
    originals = store.db.execute(
        "SELECT created_at_device, question_set, question_set_version, complete, misuse_suspected, payload, sha256 "
        "FROM responses ORDER BY seq").fetchall()
    with store.db.atomic():
        store.db.conn.executemany(
            "INSERT INTO responses (id, created_at_device, question_set, question_set_version, complete, "
            "misuse_suspected, payload, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((str(uuid.uuid4()), *originals[i % len(originals)]) for i in range(copies)))
    print(f"copied rows: {copies} in {time.perf_counter() - start:.2f} s")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def timed(actions: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median wall time of ``repeat`` runs of each action, taken in turns (so that a busy spell on the machine
    falls on both sides of the ratio, not on one)."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, taken in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000, help="rows in the database (default 100000)")
    parser.add_argument("--simulated", type=int, default=5_000,
                        help="of which simulated through the real flow and store (default 5000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the median is shown (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulated sessions")
    parser.add_argument("--dir", type=Path, help="folder for the database and exports (default: temporary)")
    args = parser.parse_args()
    sqlite3_tool = shutil.which("sqlite3")
    if sqlite3_tool is None:
        parser.error("the sqlite3 command-line tool is not installed (apt-get install sqlite3)")

    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        folder = Path(scratch)
        store = Store(folder / "data")
        fill(store, args.responses, min(args.simulated, args.responses), args.seed)
        print(f"responses: {store.count_since()}")
        print(f"database size: {store.path.stat().st_size / 1e6:.1f} MB")

        def sqlite3_csv() -> None:
            with (folder / "sqlite3.csv").open("wb") as out:
                subprocess.run([sqlite3_tool, "-csv", str(store.path), "SELECT * FROM responses"],
                               stdout=out, check=True)

        ours, raw = timed([lambda: export(store, "csv", folder / "export.csv", progress=False), sqlite3_csv],
                          args.repeat)
        print(f"export.csv size: {(folder / 'export.csv').stat().st_size / 1e6:.1f} MB")
        print(f"sqlite3 -csv output size: {(folder / 'sqlite3.csv').stat().st_size / 1e6:.1f} MB")
        store.close()

    print(f"kiosk export csv: {ours:.3f} s (target <= {TARGET_SECONDS:g} s: "
          f"{'met' if ours <= TARGET_SECONDS else 'MISSED'})")
    print(f"sqlite3 -csv: {raw:.3f} s")
    ratio = ours / raw
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio export/sqlite3: {ratio:.2f}x (target <= {TARGET_RATIO:g}x: {verdict})")


if __name__ == "__main__":
    main()
