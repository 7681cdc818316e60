"""The server soak's smoke run (bench/soak_server.py): three kiosks for about twenty seconds, with every fault,
one kill and restart of the server, retention passes and a report beside them, so the benchmark cannot rot.
Only its own verdict is asserted, never a timing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow

SMOKE = ["--minutes", "0.35", "--kiosks", "3", "--interval", "2", "--records", "5", "--fault-share", "0.5",
         "--restarts", "1", "--sample-seconds", "1", "--probe-every", "2", "--forget-every", "5",
         "--report-every", "0", "--backfill", "300", "--payloads", "60"]


def test_the_server_soak_loses_nothing_through_faults_a_restart_retention_and_reports(tmp_path):
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / "soak_server.py"), *SMOKE, "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=PROJECT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "PASS nothing lost:" in result.stdout, result.stdout[-4000:]
    assert "FAIL" not in result.stdout, result.stdout[-4000:]
    for line in ("last server process, rss_mb: first half max", "last server process, open_files: first half max",
                 "last server process, threads: first half max"):
        assert line in result.stdout
