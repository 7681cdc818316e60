"""What the soak benchmarks share: reading a process's memory, descriptors and threads from /proc, writing the
samples to a CSV file, and comparing the second half of a run with the first (a leak shows as growth that does
not stop, a cache as growth that does)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

Sample = dict[str, float]


def process_sample(pid: int) -> Sample | None:
    """Resident memory (MB), open file descriptors and threads of a running process; None once it has ended (a
    process that has exited but not been waited for has no memory left to show)."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        if "VmRSS" not in fields:
            return None
        open_files = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "open_files": open_files,
            "threads": int(fields["Threads"])}


def write_csv(rows: Sequence[Sample], out: Path | None) -> None:
    """The samples as a spreadsheet, one row each, when ``out`` is given."""
    if not out or not rows:
        return
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def compare_halves(rows: Sequence[Sample], keys: Iterable[str]) -> list[str]:
    """For each key, its highest value in the first and in the second half of ``rows`` and its last value: what
    keeps rising from one half to the next has not levelled off. Empty with fewer than four rows."""
    if len(rows) < 4:
        return []
    half = len(rows) // 2
    first, second, last = rows[:half], rows[half:], rows[-1]
    lines = []
    for key in keys:
        early, late = max(row[key] for row in first), max(row[key] for row in second)
        lines.append(f"{key}: first half max {early:.1f}, second half max {late:.1f} ({late - early:+.1f}); "
                     f"end {last[key]:.1f}")
    return lines
