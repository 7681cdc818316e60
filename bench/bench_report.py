"""Time to build one monthly team report (sync/server/reports/) from a database of 1,000,000 responses,
against the raw SQL its queries come down to.

The database is filled the honest way, once, to a file that later runs reuse: every invented response goes
through the server's own ``store_batch`` (sync/server/domain/demo.py), so it is scrubbed and counted as a kiosk's
would be. The sentence encoder is loaded first and timed on its own (once per process, about 10 s: a
scheduled job or the server pays it once). Then the report is built several times for one site and month:

- the first time with no comment vectors kept (the bench deletes them), so the month's comments are encoded;
- then again with the vectors kept, as after the dashboard's Themes page or an earlier report.

Each build is: gather (counts, answers, concerns, kiosks, themes), HTML, PDF. The baseline is the same reads as
raw SQL through sqlite3 on the same file: the counts it reads from ``response_counts``/``answer_counts``, the
concerns, each kiosk's days in use and the month's comments (both read the responses table itself).

    .venv/bin/python bench/bench_report.py                       # fills /tmp/report-bench-1m.db first if missing
    .venv/bin/python bench/bench_report.py --responses 100000 --db /tmp/report-100k.db
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import statistics
import time
from itertools import pairwise
from pathlib import Path

import sqlalchemy as sa
from tqdm import tqdm

from sync.server.domain.demo import generate
from sync.server.domain.themes import minilm_encode
from sync.server.reports.monthly import gather_monthly
from sync.server.reports.period import Month
from sync.server.reports.render import monthly_html, pdf_bytes
from sync.server.storage.db import comment_vectors, open_database

TARGET_S = 5.0
SITES = ["Mile End", "Bow", "Poplar", "Stepney", "Limehouse", "Wapping", "Shadwell", "Bethnal Green",
         "Bromley-by-Bow", "Whitechapel"]


def fill(db: Path, responses: int) -> None:
    logging.getLogger("sync.server.domain.batches").setLevel(logging.ERROR)  # not a line per invented concern
    engine = open_database(str(db))
    started = time.perf_counter()
    with tqdm(total=responses, unit=" responses", leave=False) as bar:
        generate(engine, SITES, responses, days=365, seed=1, progress=bar.update)
    took = time.perf_counter() - started
    print(f"filled through store_batch: {responses:,} responses at {len(SITES)} sites in {took:.0f} s "
          f"({responses / took:,.0f}/s)")
    engine.dispose()


def raw_sql(db: Path, site: str, month: Month) -> dict[str, float]:
    """The report's reads as plain SQL, in ms (the month's rows are in the page cache after the first build)."""
    first, last, after = month.first.isoformat(), month.last.isoformat(), month.following().first.isoformat()
    six = month.back(6)[0].first.isoformat()
    queries = {
        "counts (6 months, weeks)": ("SELECT day, sum(responses) FROM response_counts WHERE site = ? AND day >= ? "
                                     "AND day <= ? GROUP BY day", (site, six, last)),
        "answers": ("SELECT question_set, question, answer, sum(count) FROM answer_counts WHERE site = ? AND day >= ? "
                    "AND day <= ? GROUP BY 1, 2, 3", (site, first, last)),
        "concerns": ("SELECT q.categories, q.status, r.created_at_device FROM concern_queue q LEFT JOIN responses r "
                     "ON r.id = q.response_id WHERE q.site = ?", (site,)),
        "kiosk days (responses table)": (
            "SELECT kiosk, substr(created_at_device, 1, 10), count(*) FROM responses WHERE site = ? AND "
            "created_at_device >= ? AND created_at_device < ? GROUP BY 1, 2", (site, first, after)),
        "comments, 2 sides (responses table)": (
            "SELECT id, payload FROM responses WHERE site = ? AND created_at_device >= ? AND created_at_device < ? "
            "AND payload LIKE '%\"text\":%' AND NOT EXISTS (SELECT 1 FROM concern_queue q WHERE q.response_id = "
            "responses.id) ORDER BY created_at_device, id", (site, first, after)),
    }
    timings = {}
    with sqlite3.connect(db) as connection:
        for name, (sql, parameters) in queries.items():
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                connection.execute(sql, parameters).fetchall()
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = statistics.median(runs) * (2 if name.startswith("comments") else 1)
        naive = time.perf_counter()
        count = connection.execute("SELECT count(*) FROM responses WHERE site = ? AND created_at_device >= ? AND "
                                   "created_at_device < ?", (site, first, after)).fetchone()[0]
        timings[f"(naive count of the month, {count:,} responses)"] = (time.perf_counter() - naive) * 1000
    return timings


def build(engine: sa.Engine, site: str, month: Month) -> dict[str, float]:
    """One report, timed by step (s)."""
    marks: list[tuple[str, float]] = [("start", time.perf_counter())]
    report = gather_monthly(engine, site, month, progress=lambda step: marks.append((step, time.perf_counter())))
    html = monthly_html(report, 5)
    marks.append(("html", time.perf_counter()))
    pages = pdf_bytes(html)
    marks.append(("pdf", time.perf_counter()))
    steps = {name: end - start for (_, start), (name, end) in pairwise(marks)}
    steps["total"] = marks[-1][1] - marks[0][1]
    steps["pdf kB"] = len(pages) / 1000
    print(f"  {report.responses:,} responses, {sum(side.comments for side in report.themes.values()):,} comments")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/report-bench-1m.db"))
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--site", default="Mile End")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    if not options.db.exists():
        fill(options.db, options.responses)
    month = Month(*map(int, options.period.split("-")))
    engine = open_database(str(options.db), create=False)
    with engine.begin() as connection:
        connection.execute(comment_vectors.delete())  # the first build encodes the month's comments
    started = time.perf_counter()
    minilm_encode(["warm up"])
    print(f"sentence encoder loaded in {time.perf_counter() - started:.1f} s (once per process)")
    builds = []
    for number in range(options.repeat):
        print(f"build {number + 1} ({'no comment vectors kept' if number == 0 else 'vectors kept'}):")
        builds.append(build(engine, options.site, month))
        print("  " + ", ".join(f"{name} {value:.2f}" for name, value in builds[-1].items()))
    raw = raw_sql(options.db, options.site, month)
    raw_total = sum(value for name, value in raw.items() if not name.startswith("("))
    print("raw SQL through sqlite3 (ms): " + ", ".join(f"{name} {value:.0f}" for name, value in raw.items()))
    warm = statistics.median(steps["total"] for steps in builds[1:]) if len(builds) > 1 else builds[0]["total"]
    print(f"report, first build: {builds[0]['total']:.2f} s; with vectors kept (median): {warm:.2f} s "
          f"(target {TARGET_S:.0f} s); raw SQL of its reads: {raw_total / 1000:.2f} s; "
          f"ratio {warm / (raw_total / 1000):.1f}x")


if __name__ == "__main__":
    main()
