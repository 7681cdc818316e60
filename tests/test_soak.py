"""The soak benchmark's smoke run (bench/soak_kiosk.py): a dozen sessions of every kind, the sync job against a
server that goes away and comes back, and the samples it prints, so the benchmark cannot rot."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.gui


def test_the_soak_benchmark_runs_every_kind_of_session_and_reports_what_it_sampled(kiosk_env):
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / "soak_kiosk.py"), "--sessions", "12",
                             "--sample-seconds", "2", "--sync-seconds", "4"], capture_output=True, text=True,
                            timeout=600, cwd=PROJECT, env=kiosk_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "script: every step done" in result.stdout, result.stdout[-3000:]
    for line in ("rss_mb: first half max", "open_files: first half max", "threads: first half max",
                 "db_kb: first half max", "speech_cache_kb: first half max"):
        assert line in result.stdout
    sessions = int(result.stdout.split("sessions stored: ")[1].split(";")[0])
    assert sessions >= 10  # every kind stores its session (walking away keeps what was answered)
