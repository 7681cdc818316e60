"""Time to make one month's Friends and Family Test return (sync/server/fft/) from a database of 1,000,000 responses,
against the raw SQL count it comes down to.

The database is the one bench/bench_report.py fills (the same invented responses, through the server's own
``store_batch``), reused when it exists. The return is made for every site and one month: count the month's
FFT answers by kiosk (reading each response's payload once), find the wrong-clock answers received in the month,
build the ward, site and trust rows, suppress them as NHS England publishes, and write the XLSX.

The baseline is one statement through sqlite3 on the same file: the month's answers to the FFT question counted
by kiosk and answer, with SQLite's own JSON functions (``json_each`` over each payload's answers).

    .venv/bin/python bench/bench_fft.py                        # fills /tmp/report-bench-1m.db first if missing
    .venv/bin/python bench/bench_fft.py --responses 2000 --db /tmp/fft-small.db --repeat 1
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is not installed

from bench.bench_report import fill
from sync.server.fft.files import write_return
from sync.server.fft.tables import month_return
from sync.server.reports.period import Month
from sync.server.storage.db import open_database

RAW_SQL = ("SELECT r.kiosk, json_extract(a.value, '$.choice'), count(*) FROM responses r, "
           "json_each(r.payload, '$.answers') a WHERE r.created_at_device >= ? AND r.created_at_device < ? "
           "AND json_extract(a.value, '$.question') = 'overall' AND json_extract(a.value, '$.status') = 'answered' "
           "GROUP BY 1, 2")


def raw_sql(db: Path, month: Month) -> tuple[float, int]:
    """The raw count, in seconds, and the answers it counted."""
    with sqlite3.connect(db) as connection:
        started = time.perf_counter()
        rows = connection.execute(RAW_SQL, (month.first.isoformat(), month.following().first.isoformat())).fetchall()
        return time.perf_counter() - started, sum(count for _, _, count in rows)


def one_return(db: Path, month: Month) -> tuple[dict[str, float], int]:
    """One return, timed by step (s), and the answers it counted."""
    engine = open_database(str(db), create=False)
    started = time.perf_counter()
    made = month_return(engine, month)
    counted = time.perf_counter()
    made.sheets(published=True)
    suppressed = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_return(made, "xlsx", Path(folder) / "fft.xlsx", published=False, now=datetime.now(UTC))
    written = time.perf_counter()
    engine.dispose()
    return {"count and build": counted - started, "suppress": suppressed - counted, "xlsx": written - suppressed,
            "total": written - started}, made.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/report-bench-1m.db"))
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--period", default=None, help="YYYY-MM (default: the month before last)")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    if not options.db.exists():
        fill(options.db, options.responses)
    today = datetime.now(UTC).date()
    month = (Month(*map(int, options.period.split("-"))) if options.period
             else Month(today.year, today.month).previous().previous())
    runs, raws = [], []
    for number in range(options.repeat):
        steps, answers = one_return(options.db, month)
        took, counted = raw_sql(options.db, month)
        assert counted == answers, f"the return counted {answers}, raw SQL {counted}"
        runs.append(steps)
        raws.append(took)
        print(f"run {number + 1}: " + ", ".join(f"{name} {value:.3f} s" for name, value in steps.items())
              + f"; raw SQL {took:.3f} s")
    total, raw = statistics.median(run["total"] for run in runs), statistics.median(raws)
    print(f"{month.label}: {answers:,} answers. Return (median of {len(runs)}): {total:.2f} s; raw SQL count: "
          f"{raw:.2f} s; ratio {total / raw:.2f}x")


if __name__ == "__main__":
    main()
