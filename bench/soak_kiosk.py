"""Weeks unattended, compressed: the real kiosk app in a window, driven through session after session, with its
sync job running against a real server that is stopped and started. Does anything grow that should level off?

    .venv/bin/python bench/soak_kiosk.py --sessions 3000 [--sample-seconds 20] [--csv soak.csv]
    .venv/bin/python bench/soak_kiosk.py --sessions 12 --sample-seconds 2        # the suite's smoke run

The app (kiosk.ui.autopilot, offscreen SDL2, speech synthesised for real by espeak-ng and played 50 times faster
than life) goes round six kinds of session: all by touch with words typed on the on-screen keyboard; the first
answer said aloud and confirmed by voice (English, WAVs from espeak-ng through the microphone stand-in); by
keyboard alone (tab and enter, as a switch user); walked away from (the "Are you still there?" countdown runs
out); words of concern typed, so the help screen and its phone page show; and in Bengali, chosen on the
language screen. Meanwhile ``kiosk-sync`` runs every ``--sync-seconds`` as its systemd timer would, against a
real ``feedback-server`` that is stopped for one sync in three and started again (on another port, as after a
restart), so sends fail and are retried.

Every ``--sample-seconds`` it reads, from /proc, the app's resident memory, open file descriptors and threads,
and the sizes of its database (with its WAL), backups and speech cache. It prints the samples and compares the
second half of the run with the first: a leak shows as growth that does not stop. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.soak_common import (  # noqa: E402  (after the path is set)
    allocations_grown,
    compare_halves,
    process_sample,
    trace_allocations,
    write_csv,
)
from tests.server_process import ServerProcess, enrol  # noqa: E402

KIOSK_SYNC = str(Path(sys.executable).parent / "kiosk-sync")
FINISH = [{"tap": "answer:no"}, {"quiet": 30}, {"tap": "finish"}]
"""The last question (About you: "No, finish") and the thank-you screen."""


KINDS = ("touch", "voice", "keyboard", "walked_away", "concern", "bengali")


def sessions(said: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    """One of each kind of session (KINDS), on the Easy Read set; ``said``: WAVs of spoken answers."""
    rest = [{"tap": "answer:yes"}, {"tap": "answer:sometimes"}, {"tap": "control:skip"}, {"tap": "control:skip"},
            *FINISH]
    return dict(zip(KINDS, [
        [{"tap": "start"}, {"tap": "answer:very-good"}, {"type": "kind staff"}, {"tap": "control:done"}, *rest],
        [{"tap": "start"}, {"quiet": 30}, {"microphone": said["good"]}, {"microphone": said["yes"]},
         {"tap": "control:listen"}, {"wait_for": "text", "seconds": 60}, {"tap": "control:skip"}, *rest],
        [{"key": "tab", "until": "start"}, {"key": "enter"}, {"key": "tab", "until": "answer:good"},
         {"key": "enter"}, {"key": "tab", "until": "control:skip"}, {"key": "enter"}, *rest],
        [{"tap": "start"}, {"tap": "answer:good"}, {"advance": 70}, {"wait_for": "still_there", "seconds": 30},
         {"advance": 60}, {"wait_for": "attract", "seconds": 30}],
        [{"tap": "start"}, {"tap": "answer:very-poor"}, {"type": "a worker hit me"}, {"tap": "control:done"},
         {"wait_for": "help", "seconds": 30}, {"tap": "help:phone"}, {"tap": "control:back"},
         {"tap": "help:carry_on"}, *rest],
        [{"tap": "setting:language"}, {"tap": "language:bn"}, {"tap": "start"}, {"tap": "answer:good"},
         {"tap": "control:skip"}, *rest],
    ], strict=True))


def script(count: int, said: dict[str, str], kinds: list[str]) -> list[dict[str, object]]:
    """``count`` sessions, the ``kinds`` in turn."""
    every = sessions(said)
    steps: list[dict[str, object]] = []
    for number in range(count):
        steps += [*every[kinds[number % len(kinds)]], {"advance": 5}, {"wait_for": "attract", "seconds": 30}]
    return steps


def sample(pid: int, data: Path, cache: Path) -> dict[str, float] | None:
    """What the app holds now: memory, descriptors, threads, and what it keeps on disk; None once it has ended."""
    held = process_sample(pid)
    if held is None:
        return None
    return {**held, "db_kb": sum(_size(data / name) for name in ("kiosk.db", "kiosk.db-wal")) / 1024,
            "backups_kb": _size(data / "backups") / 1024, "speech_cache_kb": _size(cache) / 1024,
            "sessions": _sessions(data / "kiosk.db")}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) if path.is_dir() else 0


def _sessions(db: Path) -> int:
    """Sessions stored so far (the highest sequence number: sent ones may already be deleted)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return int(connection.execute("SELECT COALESCE(MAX(seq), 0) FROM responses").fetchone()[0])
    except sqlite3.Error:
        return 0


def spoken(folder: Path) -> dict[str, str]:
    """ "Good" and "Yes" said by espeak-ng."""
    made = {}
    for name, words in (("good", "Good"), ("yes", "Yes")):
        path = folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "140", "-w", str(path), words], check=True)
        made[name] = str(path)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--sample-seconds", type=float, default=20.0)
    parser.add_argument("--sync-seconds", type=float, default=30.0)
    parser.add_argument("--csv", type=Path, help="also write the samples here")
    parser.add_argument("--kinds", default=",".join(KINDS), type=lambda text: text.split(","),
                        help=f"the kinds of session to go round, comma-separated (default: all, {','.join(KINDS)}); "
                             "one kind alone shows which holds on to memory")
    parser.add_argument("--tracemalloc", type=float, metavar="SECONDS",
                        help="to find what grows: trace the app's allocations, a snapshot every SECONDS, and print "
                             "where it grew in its second half (slower; its memory counts the traces)")
    args = parser.parse_args()
    if unknown := set(args.kinds) - set(KINDS):
        parser.error(f"no kind of session named {', '.join(sorted(unknown))}; the kinds: {', '.join(KINDS)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data, cache, db = root / "data", root / "cache", str(root / "central.db")
        token_file = root / "token"
        token_file.write_text(enrol(db, name="soak-1", site="Soak House") + "\n")
        token_file.chmod(0o600)
        if args.tracemalloc:
            trace_allocations(root / "tracemalloc", "--script", args.tracemalloc)  # the app's first argument
        steps = root / "steps.json"
        steps.write_text(json.dumps(script(args.sessions, spoken(root), args.kinds)))
        env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_HOME=str(root / "kivy"), KIVY_NO_FILELOG="1",
                   KIVY_NO_CONSOLELOG="1", XDG_CACHE_HOME=str(cache),
                   SDL_VIDEODRIVER=os.environ.get("SDL_VIDEODRIVER", "offscreen"))
        app = subprocess.Popen([sys.executable, "-m", "kiosk.ui.autopilot", "--script", str(steps), "--out",
                                str(root / "result.json"), "--data", str(data), "--size", "1280x800",
                                "--speech-log", str(root / "spoken.jsonl"), "--speech-speed", "50"], env=env)
        rows = run(app, args, data, cache, db, token_file, env)
        result = json.loads((root / "result.json").read_text()) if (root / "result.json").exists() else {}
        grown = allocations_grown(root / "tracemalloc") if args.tracemalloc else []
    report(rows, result.get("error"), args.csv)
    print("\n".join(grown))


def run(app: subprocess.Popen[bytes], args: argparse.Namespace, data: Path, cache: Path, db: str, token_file: Path,
        env: dict[str, str]) -> list[dict[str, float]]:
    """Sample the app and run the sync job until the app has gone through its script."""
    rows: list[dict[str, float]] = []
    started = last_sync = time.monotonic()
    syncs = sent = failed = 0
    server: ServerProcess | None = ServerProcess(db)
    try:
        while app.poll() is None:
            time.sleep(args.sample_seconds)
            if app.poll() is not None:
                break
            now = time.monotonic()
            if now - last_sync >= args.sync_seconds:
                last_sync, syncs = now, syncs + 1
                if syncs % 3 == 0 and server is not None:  # the server goes down for one sync in three
                    server.stop()
                    server = None
                elif server is None:
                    server = ServerProcess(db)
                url = server.url if server else "http://127.0.0.1:9"  # nothing listens there
                done = subprocess.run([KIOSK_SYNC, "--once", "--data", str(data), "--server", url, "--token-file",
                                       str(token_file)], env=env, capture_output=True, text=True, timeout=300)
                sent, failed = sent + (done.returncode == 0), failed + (done.returncode != 0)
            held = sample(app.pid, data, cache)
            if held is None:
                break
            rows.append({"minutes": (now - started) / 60, **held, "syncs_ok": sent, "syncs_failed": failed})
            print(", ".join(f"{key} {value:.1f}" for key, value in rows[-1].items()), flush=True)
    finally:
        if server is not None:
            server.stop()
        app.wait()
    return rows


def report(rows: list[dict[str, float]], error: str | None, out: Path | None) -> None:
    write_csv(rows, out)
    print(f"script error: {error}" if error else "script: every step done")
    halves = compare_halves(rows, ("rss_mb", "open_files", "threads", "db_kb", "backups_kb", "speech_cache_kb"))
    if not halves:
        print(f"samples: {len(rows)} (too few to compare halves)")
        return
    last = rows[-1]
    print(f"samples: {len(rows)} over {last['minutes']:.1f} min; sessions stored: {last['sessions']:.0f}; "
          f"syncs: {last['syncs_ok']:.0f} sent, {last['syncs_failed']:.0f} failed (server down)")
    print("\n".join(halves))


if __name__ == "__main__":
    main()
