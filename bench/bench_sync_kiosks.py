"""Many kiosks at once against one central server: aggregate responses/s and batch latency.

One server takes a whole organisation's kiosks, and they all reconnect together after a network or
server outage. This starts a real ``feedback-server serve`` (SQLite file, or PostgreSQL with
--postgres), enrols ``--kiosks`` kiosks (each its own token and device id), and has every kiosk send
``--batches`` batches of ``--records`` real responses back to back (each the moment the previous
receipt arrives: the worst case, a backlog draining, not a normal day), or with ``--interval`` one batch
every so many seconds (a steady load of a known size). Payloads are real sessions from the real flow and
store; records and batches are built with tests/server_process.py's helpers.

The load comes from separate processes (``--processes``, by default one per kiosk, each kiosk its own
``requests.Session``) so that the client side does not queue on one Python GIL. They still share this
machine's cores with the server: the CPU time of both sides is printed, so the reader can see how much
of the machine the clients took.

Afterwards the server must hold every id sent, exactly once, and no request may have failed.

    .venv/bin/python bench/bench_sync_kiosks.py                # 50 kiosks x 20 batches x 100 records
    .venv/bin/python bench/bench_sync_kiosks.py --interval 1   # the same, one batch per kiosk per second
    .venv/bin/python bench/bench_sync_kiosks.py --postgres postgresql+psycopg://feedback:feedback@127.0.0.1/feedback_bench
    .venv/bin/python bench/bench_sync_kiosks.py --no-sqlite --workers 2 --postgres postgresql+psycopg://…/feedback_bench

--postgres DROPS the server's tables in the database it names: give a throwaway one, and not the test
suite's feedback_test while tests may run (they drop the same tables). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ and bench/ are not installed

from bench.bench_export import fill
from bench.bench_store import percentiles_ms
from bench.bench_sync import exactly_once, fresh_database, process_cpu_seconds
from kiosk.session.store import DB_FILENAME, Store
from sync.core.protocol import BATCHES_PATH
from sync.server.storage.db import open_database
from tests.server_process import ServerProcess, enrol, make_batch, make_record

TARGET_PER_SECOND = 2_000
TARGET_P99_MS = 500.0
REQUEST_TIMEOUT = 60.0
WAIT_TIMEOUT = 600.0
"""Seconds the load processes may take to get ready, and then to send everything: bounded, never hangs."""


@dataclass(frozen=True)
class KioskPlan:
    """One enrolled kiosk: what it sends with and as."""

    name: str
    token: str
    device_id: str
    offset: int
    """Where in the list of real payloads this kiosk starts, so kiosks do not all send the same answers."""


@dataclass
class LoadResult:
    """What one load process saw."""

    latencies: list[int] = field(default_factory=list)
    """Nanoseconds from sending each batch to its verified receipt."""
    failures: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    started: float = float("inf")
    ended: float = 0.0
    cpu: float = 0.0
    """CPU time of the process while sending (its start-up and preparing the bodies left out)."""


def build_bodies(plan: KioskPlan, payloads: list[str], batches: int, records: int) -> tuple[list[bytes], list[str]]:
    """The kiosk's whole backlog as ready request bodies (built before the clock starts), and its ids."""
    bodies, ids = [], []
    total = batches * records
    for number in range(batches):
        first = number * records + 1
        batch = [make_record(seq, payload=json.loads(payloads[(plan.offset + seq) % len(payloads)]))
                 for seq in range(first, first + records)]
        ids += [record["id"] for record in batch]
        body = make_batch(batch, device_id=plan.device_id, pending=total - first + 1)
        bodies.append(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    return bodies, ids


def send_backlog(url: str, plan: KioskPlan, bodies: list[bytes], records: int, interval: float,
                 result: LoadResult, lock: threading.Lock) -> None:
    """One kiosk: every batch in turn over its own session, timing each from send to verified receipt.
    With an ``interval`` the kiosk sends one batch every ``interval`` seconds (from a random start within
    the first interval) instead of back to back."""
    latencies: list[int] = []
    failures: list[str] = []
    with requests.Session() as session:
        session.headers.update({"Authorization": f"Bearer {plan.token}", "Content-Type": "application/json"})
        started = time.monotonic()
        due = time.perf_counter() + random.uniform(0, interval)
        for body in bodies:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += interval
            sent = time.perf_counter_ns()
            try:
                response = session.post(url + BATCHES_PATH, data=body, timeout=REQUEST_TIMEOUT)
            except requests.RequestException as exc:
                failures.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter_ns() - sent)
            if response.status_code != 200:
                failures.append(f"HTTP {response.status_code}")
            elif response.json().get("accepted") != records:
                failures.append("receipt does not accept the whole batch")
        ended = time.monotonic()
    with lock:
        result.latencies += latencies
        result.failures += failures
        result.started, result.ended = min(result.started, started), max(result.ended, ended)


def load_process(url: str, plans: list[KioskPlan], payload_db: str, batches: int, records: int, interval: float,
                 ready: Any, results: Any) -> None:
    """A load process: prepare its kiosks' bodies, wait for every other process, send from one thread per
    kiosk, and wait for every other process again before reporting and exiting."""
    payloads = read_payloads(payload_db)
    result = LoadResult()
    prepared = []
    for plan in plans:
        bodies, ids = build_bodies(plan, payloads, batches, records)
        prepared.append((plan, bodies))
        result.ids += ids
    lock = threading.Lock()
    threads = [threading.Thread(target=send_backlog, args=(url, plan, bodies, records, interval, result, lock))
               for plan, bodies in prepared]
    ready.wait()
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.cpu = time.process_time() - cpu
    # wait until every kiosk has sent everything: a process that finishes early and exits would take CPU
    # from the others' last batches (measured: p99 1.1 s instead of 70 ms with 50 processes, paced)
    ready.wait()
    results.put(result)


def payload_database(folder: Path, count: int) -> Path:
    """A kiosk store holding ``count`` real sessions, simulated through the flow and store: the payloads the
    load sends, so the server scrubs, counts and flags real answers rather than a made-up shape."""
    store = Store(folder / "payloads")
    fill(store, count, count, seed=1)
    store.close()
    return folder / "payloads" / DB_FILENAME


def read_payloads(payload_db: Path | str) -> list[str]:
    """The payloads of :func:`payload_database`, as JSON text, in the order they were given."""
    with sqlite3.connect(payload_db) as db:
        return [row[0] for row in db.execute("SELECT payload FROM responses ORDER BY seq")]


def enrol_all(db: str, kiosks: int) -> list[KioskPlan]:
    """Enrol every kiosk with the real `feedback-server add-kiosk`, two at a time."""
    open_database(db).dispose()  # create the tables once, before the enrolments run side by side

    def one(number: int) -> KioskPlan:
        name = f"kiosk-{number:03d}"
        token = enrol(db, name=name, site=f"Site {number % 10}")
        return KioskPlan(name=name, token=token, device_id=str(uuid.uuid4()), offset=number * 37)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(kiosks)))


def run_load(label: str, db: str, payload_db: Path, args: argparse.Namespace) -> None:
    """Enrol the kiosks, start the server, let every load process loose at once, then print the figures."""
    plans = enrol_all(db, args.kiosks)
    context = multiprocessing.get_context("spawn")
    processes = min(args.processes, args.kiosks)
    ready = context.Barrier(processes + 1, timeout=WAIT_TIMEOUT)
    results = context.Queue()
    workers = ("--workers", str(args.workers)) if args.workers > 1 and label == "postgres" else ()
    with ServerProcess(db, *workers) as server:
        loads = [context.Process(target=load_process, args=(server.url, plans[number::processes], str(payload_db),
                                                              args.batches, args.records, args.interval,
                                                              ready, results))
                   for number in range(processes)]
        for load in loads:
            load.start()
        ready.wait()  # all prepared: sending starts
        server_cpu = process_cpu_seconds(server.process.pid)
        ready.wait()  # all sent
        server_cpu = process_cpu_seconds(server.process.pid) - server_cpu
        collected: list[LoadResult] = [results.get(timeout=WAIT_TIMEOUT) for _ in loads]
        for load in loads:
            load.join(WAIT_TIMEOUT)
    server_errors = sum(" 500 " in line or "Traceback" in line for line in server.log)
    latencies = [value for result in collected for value in result.latencies]
    failures = [failure for result in collected for failure in result.failures]
    ids = [rid for result in collected for rid in result.ids]
    wall = max(result.ended for result in collected) - min(result.started for result in collected)
    rate = len(ids) / wall
    cuts = percentiles_ms(latencies)
    pace = f"one every {args.interval:g} s" if args.interval else "back to back"
    server_processes = f", server with {args.workers} worker processes" if workers else ""
    print(f"{label}: {args.kiosks} kiosks from {processes} processes{server_processes}, {args.batches} batches "
          f"of {args.records} records each ({pace}), {len(ids)} responses")
    print(f"{label} wall time: {wall:.2f} s")
    if args.interval:
        offered = args.kiosks * args.records / args.interval
        print(f"{label} aggregate: {rate:.0f} responses/s (paced: {offered:.0f} responses/s offered)")
    else:
        print(f"{label} aggregate: {rate:.0f} responses/s (target >= {TARGET_PER_SECOND}: "
              f"{'met' if rate >= TARGET_PER_SECOND else 'MISSED'})")
    print(f"{label} batch latency p50: {cuts['p50']:.0f} ms")
    print(f"{label} batch latency p95: {cuts['p95']:.0f} ms")
    print(f"{label} batch latency p99: {cuts['p99']:.0f} ms (target <= {TARGET_P99_MS:g} ms: "
          f"{'met' if cuts['p99'] <= TARGET_P99_MS else 'MISSED'})")
    print(f"{label} batch latency max: {max(latencies) / 1e6:.0f} ms, mean {statistics.mean(latencies) / 1e6:.0f} ms")
    print(f"{label} failed requests: {len(failures)} {sorted(set(failures)) if failures else ''}".rstrip())
    print(f"{label} server errors in its log: {server_errors}")
    print(f"{label} every response held exactly once: {exactly_once(db, set(ids))}")
    clients_cpu = sum(result.cpu for result in collected)
    print(f"{label} CPU: server {server_cpu:.1f} s, load processes {clients_cpu:.1f} s "
          f"(of {wall * multiprocessing.cpu_count():.1f} s on {multiprocessing.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiosks", type=int, default=50, help="kiosks sending at once (default 50)")
    parser.add_argument("--batches", type=int, default=20, help="batches each kiosk sends (default 20)")
    parser.add_argument("--records", type=int, default=100, help="responses in each batch (default 100)")
    parser.add_argument("--processes", type=int, default=50,
                        help="load processes the kiosks are spread over, one thread per kiosk (default 50)")
    parser.add_argument("--interval", type=float, default=0.0, metavar="SECONDS",
                        help="each kiosk sends one batch every SECONDS instead of back to back (default 0): "
                             "offers kiosks x records / SECONDS responses/s")
    parser.add_argument("--payloads", type=int, default=2_000,
                        help="real sessions simulated through the flow and store to take payloads from")
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure on this PostgreSQL database (its server tables are DROPPED)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server worker processes for the PostgreSQL run (serve --workers; default 1)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite measurement")
    parser.add_argument("--dir", type=Path, help="folder for the databases (default: temporary)")
    args = parser.parse_args()
    if min(args.kiosks, args.batches, args.records, args.processes, args.payloads) < 1 or args.interval < 0:
        parser.error("every count must be at least 1, and --interval at least 0")
    if args.kiosks * args.batches < 2:
        parser.error("percentiles need at least two batches in all")

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        scratch = Path(folder)
        payload_db = payload_database(scratch, args.payloads)
        if not args.no_sqlite:
            run_load("sqlite", fresh_database(None, scratch, "central"), payload_db, args)
        if args.postgres:
            run_load("postgres", fresh_database(args.postgres, scratch, "central"), payload_db, args)


if __name__ == "__main__":
    main()
