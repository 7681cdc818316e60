"""The real app killed mid-session and started on a damaged database: it comes back on its own, nothing
committed is lost, and a repair is reported."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.device.backup import backups, make_backup
from tests.test_backup import overwrite_page, responses_table_leaf_pages
from tests.test_gui import FULL_SESSION, run_kiosk, screens

pytestmark = [pytest.mark.gui, pytest.mark.slow]
BACK_TO_START = {"advance": 9}
"""Past the thank-you screen's 8 s, and the 4 s before a new session may start."""


def rows(data: Path) -> list[tuple[object, ...]]:
    """Like tests.test_gui.rows, but closing its connection: an open one would make the app refuse to move a
    damaged file (kiosk.device.recovery), and Python 3.11 closes an unclosed one only when the garbage collector
    runs."""
    with closing(sqlite3.connect(data / "kiosk.db")) as db:
        return db.execute("SELECT seq, id, complete, payload FROM responses ORDER BY seq").fetchall()


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def wait_until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def committed(data: Path) -> int:
    try:
        return len(rows(data))
    except sqlite3.Error:  # not created yet
        return 0


def test_sigkill_mid_session_comes_back_to_the_start_with_every_committed_answer(tmp_path, kiosk_env):
    data, marker = tmp_path / "data", tmp_path / "third-session.png"
    steps = [*FULL_SESSION, BACK_TO_START, *FULL_SESSION, BACK_TO_START,
             {"tap": "start"}, {"tap": "answer:poor"}, {"screenshot": str(marker)},  # the third, under way
             {"wait_for": "never", "seconds": 120}]
    script = tmp_path / "steps.json"
    script.write_text(json.dumps(steps))
    app = subprocess.Popen([sys.executable, "-m", "kiosk.ui.autopilot", "--script", str(script),
                            "--out", str(tmp_path / "killed.json"), "--data", str(data)],
                           env=kiosk_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: committed(data) == 2 and marker.exists(), 90, "two sessions and a third begun")
        wait_until(lambda: backups(data), 30, "the app's first backup")
        before = rows(data)
    finally:
        app.kill()  # SIGKILL: no clean-up of any kind, as in a crash or a power cut
        app.wait()
    assert app.returncode == -9

    result = run_kiosk(tmp_path, kiosk_env, [{"advance": 0}], data=data)
    assert screens(result) == ["attract"]
    assert rows(data) == before and len(before) == 2
    assert [json.loads(payload)["answers"][0]["choice"] for *_rest, payload in before] == ["very-good"] * 2
    assert integrity(data / "kiosk.db") == "ok"
    assert not (data / "damaged").exists()  # a crash is not damage: nothing was replaced
    assert integrity(backups(data)[0].path) == "ok"  # made by the app, on its own thread


def test_a_damaged_database_is_repaired_at_start_and_the_loss_reported(tmp_path, kiosk_env):
    data = tmp_path / "data"
    simulate = [sys.executable, "-m", "kiosk", "simulate", "--data", str(data), "--seed"]
    subprocess.run([*simulate, "1", "60"], env=kiosk_env, check=True, capture_output=True, timeout=120)
    backed_up = rows(data)
    three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
    made = make_backup(data, keep=48, max_age_days=90, keep_free_mb=1, now=lambda: three_hours_ago)
    os.utime(made, (three_hours_ago.timestamp(), three_hours_ago.timestamp()))
    subprocess.run([*simulate, "2", "5"], env=kiosk_env, check=True, capture_output=True, timeout=60)
    path = data / "kiosk.db"
    overwrite_page(path, responses_table_leaf_pages(path)[len(responses_table_leaf_pages(path)) // 3])

    result = run_kiosk(tmp_path, kiosk_env, [{"advance": 0}, *FULL_SESSION], data=data)
    assert screens(result)[0] == "attract" and screens(result)[-1] == "thank_you"  # and answers are saved again
    after = rows(data)
    assert set(backed_up) <= set(after)  # every answer in the backup, with the same id, seq and payload
    assert len(after) == len(backed_up) + 5 + 1  # here the newer five were rescued too; plus the new session
    assert integrity(path) == "ok"
    assert len(list((data / "damaged").glob("kiosk-*.db"))) == 1

    status = subprocess.run([sys.executable, "-m", "kiosk", "status", "--data", str(data)], env=kiosk_env,
                            capture_output=True, text=True, check=True).stdout
    assert "Last repair:" in status
    assert "replaced by the backup as it was 3 hours before, holding 60 answers. 5 newer answers were rescued" in status
