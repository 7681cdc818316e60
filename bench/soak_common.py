"""What the soak benchmarks share: reading a process's memory, descriptors and threads from /proc, writing the
samples to a CSV file, and comparing the second half of a run with the first (a leak shows as growth that does
not stop, a cache as growth that does)."""

from __future__ import annotations

import csv
import os
import tracemalloc
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


TRACE_VARIABLE = "SOAK_TRACEMALLOC"
"""``FOLDER:SECONDS``: the traced command writes a tracemalloc snapshot to FOLDER every SECONDS."""
_HOOK = '''"""Written by bench/soak_common.py: traces one command's allocations during a soak, to find what grows."""
import os
import sys
import threading
import time
import tracemalloc

if os.environ.get("{variable}") and sys.argv[1:2] == [{command!r}]:
    _folder, _every = os.environ["{variable}"].rsplit(":", 1)

    def _snapshots() -> None:
        for number in range(1, 1_000_000):
            time.sleep(float(_every))
            tracemalloc.take_snapshot().dump(f"{{_folder}}/{{os.getpid()}}-{{number:06d}}.snapshot")

    tracemalloc.start(8)
    threading.Thread(target=_snapshots, name="soak-tracemalloc", daemon=True).start()
'''


def trace_allocations(folder: Path, command: str, every: float) -> None:
    """Make ``command`` (the first argument of a Python program started from here from now on, e.g. ``serve``)
    write a tracemalloc snapshot into ``folder`` every ``every`` seconds: a ``sitecustomize`` module on
    PYTHONPATH, for investigating growth only (tracing slows the process and its memory counts the traces)."""
    hook = folder / "hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(_HOOK.format(variable=TRACE_VARIABLE, command=command))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    os.environ[TRACE_VARIABLE] = f"{folder}:{every:g}"


def allocations_grown(folder: Path, top: int = 15) -> list[str]:
    """Where the last traced process's memory grew from its middle snapshot to its last, largest first: code
    locations and sizes only, never what the memory holds."""
    snapshots = sorted(folder.glob("*.snapshot"), key=lambda path: path.stat().st_mtime)
    if not snapshots:
        return []
    pid = snapshots[-1].name.split("-")[0]
    own = [path for path in snapshots if path.name.startswith(f"{pid}-")]
    if len(own) < 2:
        return []
    ignored = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib*")]
    middle, last = (tracemalloc.Snapshot.load(str(path)).filter_traces(ignored) for path in (own[len(own) // 2],
                                                                                              own[-1]))
    lines = [f"allocations between snapshots {len(own) // 2 + 1} and {len(own)} of process {pid}: "
             f"{sum(stat.size for stat in middle.statistics('filename')) / 2**20:.1f} MB traced, then "
             f"{sum(stat.size for stat in last.statistics('filename')) / 2**20:.1f} MB"]
    for stat in last.compare_to(middle, "traceback")[:top]:
        frames = " <- ".join(f"{_short(frame.filename)}:{frame.lineno}" for frame in reversed(stat.traceback[-4:]))
        lines.append(f"{stat.size_diff / 1024:+.0f} KiB ({stat.count_diff:+d} blocks): {frames}")
    return lines


def _short(filename: str) -> str:
    """A source file as a reader finds it: below site-packages, or its folder and name."""
    if "site-packages/" in filename:
        return filename.split("site-packages/")[-1]
    return "/".join(Path(filename).parts[-2:])
