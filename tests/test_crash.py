"""Power cuts and crashes: `kiosk simulate` killed with SIGKILL at random moments loses nothing it reported."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.slow
KILLS = 20


def run_and_kill(data, env, seed: int, after: float) -> list[str]:  # type: ignore[no-untyped-def]
    """Start a long simulation, SIGKILL it ``after`` seconds into committing, return the ids it reported."""
    process = subprocess.Popen([sys.executable, "-m", "kiosk", "simulate", "1000000", "--data", str(data),
                                "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=env, text=True)
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            first.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert first.wait(60), "the simulation never committed anything"
    time.sleep(after)
    process.kill()
    process.wait()
    reader.join()
    # only whole lines count: a line cut off by the kill was not reported
    return [line.split()[1] for line in lines if line.endswith("\n") and line.startswith("committed ")]


def test_sigkill_at_random_moments_loses_no_committed_session(tmp_path, kiosk_env):
    data = tmp_path / "data"
    rng = random.Random(2026)
    reported: list[str] = []
    for kill in range(KILLS):
        # a session commits every few ms, so half a second still lands each kill anywhere in the commit cycle
        reported += run_and_kill(data, kiosk_env, seed=kill, after=rng.uniform(0.0, 0.5))
        with sqlite3.connect(data / "kiosk.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = {row[0] for row in db.execute("SELECT id FROM responses")}
        missing = set(reported) - stored
        assert not missing, f"after kill {kill + 1}: {len(missing)} reported sessions are gone"
    with sqlite3.connect(data / "kiosk.db") as db:
        seqs = [row[0] for row in db.execute("SELECT seq FROM responses ORDER BY seq")]
    assert len(reported) > KILLS  # the runs really committed work before being killed
    assert len(set(reported)) == len(reported)
    # at most one session per kill can be committed but not yet reported
    assert len(reported) <= len(seqs) <= len(reported) + KILLS
    assert seqs == sorted(set(seqs))
