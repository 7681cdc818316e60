"""Dashboard overview time with a large database: ``GET /staff/`` on a real server, against raw SQL.

The database is filled the honest way: every invented response goes through the server's own
``store_batch`` (sync/server/domain/demo.py), so it is scrubbed and counted as a kiosk's would be; that rate is
printed. The figure that matters is the server's own time for the page (its ``Server-Timing`` header: the
queries, the charts and the template), for a year of answers at every site, as an admin sees it.

Baselines, both raw SQL through sqlite3 on the same file:
- the same counts from the pre-aggregated table the page reads (``response_counts``);
- the naive way, counting the responses table itself by site and day: what the page would cost without
  the counts kept at ingest.

    .venv/bin/python bench/bench_dashboard.py                       # 1,000,000 responses (a few minutes to fill)
    .venv/bin/python bench/bench_dashboard.py --responses 100000 --db /tmp/dash.db
"""

from __future__ import annotations

import argparse
import logging
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import requests
from tqdm import tqdm

from sync.server.domain.demo import generate
from sync.server.domain.staff import add_staff
from sync.server.storage.db import open_database

TARGET_MS = 500
PASSWORD = "bench password long enough"
SITES = ["Mile End", "Bow", "Poplar", "Stepney", "Limehouse", "Wapping", "Shadwell", "Bethnal Green",
         "Bromley-by-Bow", "Whitechapel"]
FEEDBACK_SERVER = str(Path(sys.executable).parent / "feedback-server")


def fill(db: Path, responses: int, sites: int) -> None:
    logging.getLogger("sync.server.domain.batches").setLevel(logging.ERROR)  # not a line per invented concern
    engine = open_database(str(db))
    started = time.perf_counter()
    with tqdm(total=responses, unit=" responses", leave=False) as bar:
        generate(engine, SITES[:sites], responses, days=365, seed=1, progress=bar.update)
    took = time.perf_counter() - started
    print(f"filled through store_batch: {responses} responses at {sites} sites in {took:.0f} s "
          f"({responses / took:,.0f}/s)")
    add_staff(engine, "bench", PASSWORD, "admin", [])
    engine.dispose()


def serve(db: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([FEEDBACK_SERVER, "serve", "--db", str(db), "--port", "0"], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, found.group(1)
    raise RuntimeError("the server did not start")


def timed_sql(db: Path, sql: str, repeat: int) -> float:
    with sqlite3.connect(db) as connection:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            connection.execute(sql).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page_times(url: str, path: str, repeat: int) -> tuple[list[float], list[float]]:
    """Server time (Server-Timing) and time seen by the client, in ms, for ``repeat`` loads of ``path``."""
    session = requests.Session()
    sign_in = session.get(url + "/staff/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in.text).group(1)  # type: ignore[union-attr]
    session.post(url + "/staff/sign-in", data={"csrf_token": token, "name": "bench", "password": PASSWORD})
    server, client = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = session.get(url + path)
        client.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    return server, client


def describe(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10, choices=range(1, len(SITES) + 1), metavar="1-10")
    parser.add_argument("--db", type=Path, help="Keep the database here and reuse it when it exists.")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "central.db"
    if not db.exists():
        fill(db, args.responses, args.sites)
    with sqlite3.connect(db) as connection:
        held = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    print(f"responses held: {held:,}; database {db.stat().st_size / 1e6:.0f} MB")
    year_ago = (date.today() - timedelta(days=364)).isoformat()
    process, url = serve(db)
    try:
        page_times(url, "/staff/", 1)  # the first load opens the database and compiles the templates
        results: dict[str, Callable[[], tuple[list[float], list[float]]]] = {
            "overview, all sites, a year": lambda: page_times(url, f"/staff/?start={year_ago}", args.repeat),
            "overview, one site, a year": lambda: page_times(url, f"/staff/?start={year_ago}&site=Bow",
                                                             args.repeat),
            "overview, all sites, 12 weeks (the default)": lambda: page_times(url, "/staff/", args.repeat),
        }
        for name, measure in results.items():
            server, client = measure()
            seen = statistics.median(client)
            print(describe(f"{name}: server time", server) + f"  (client sees median {seen:.0f} ms)")
        year = statistics.median(page_times(url, f"/staff/?start={year_ago}", args.repeat)[0])
    finally:
        process.terminate()
        process.wait(30)
    aggregated = timed_sql(db, "SELECT site, day, sum(responses) FROM response_counts "
                               f"WHERE day >= '{year_ago}' GROUP BY site, day", 5)
    naive = timed_sql(db, "SELECT site, substr(created_at_device, 1, 10) AS day, count(*) FROM responses "
                          f"WHERE created_at_device >= '{year_ago}' GROUP BY site, day", 3)
    print(f"raw SQL, counts per site and day from response_counts: {aggregated:.1f} ms")
    print(f"raw SQL, the same counted from the responses table itself: {naive:.0f} ms")
    print(f"ratio, whole overview page / naive count alone: {year / naive:.2f}")
    verdict = "met" if year <= TARGET_MS else "NOT met"
    print(f"target: server time <= {TARGET_MS} ms for a year at every site: {verdict}")


if __name__ == "__main__":
    main()
