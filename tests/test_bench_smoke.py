"""Every benchmark in bench/ runs at a tiny size and prints its figures, so a change that breaks one fails here
rather than on the day someone wants the numbers. No timing is asserted: the figures are for people to read.

Benchmarks with a smoke run elsewhere: bench_concerns.py (tests/test_concerns.py), bench_english.py
(tests/test_voice_english.py), bench_fft.py (tests/test_fft_return.py), bench_piper.py (tests/test_voice_piper.py),
soak_kiosk.py (tests/test_soak.py), soak_server.py (tests/test_soak_server.py), train_concerns.py
(tests/test_concerns_learned.py). NOT_RUN says why the rest of bench/ has none.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

TINY: dict[str, list[str]] = {
    "bench_backup": ["-n", "200"],
    "bench_dashboard": ["--responses", "2000", "--sites", "2", "--repeat", "1"],
    "bench_export": ["--responses", "2000", "--simulated", "100", "--repeat", "1"],
    "bench_recogniser": ["-n", "1", "--loops", "2"],
    "bench_report": ["--responses", "2000", "--repeat", "1"],
    "bench_scrub": ["-n", "50"],
    "bench_speech": ["-n", "2"],
    "bench_store": ["-n", "50"],
    "bench_sync": ["--responses", "2000", "--simulated", "100", "--batch-sizes", "500", "--repeat", "1"],
    "bench_sync_kiosks": ["--kiosks", "2", "--batches", "2", "--records", "10", "--processes", "2",
                          "--payloads", "50"],
    "bench_themes": ["-n", "200"],
    "compare_encoders": ["speed", "static"],
}
"""Each benchmark's arguments for a run of seconds, not minutes."""

IN_A_WINDOW = {"bench_ui": ["--sessions", "1", "--starts", "1"]}
"""Benchmarks that start the real app in a window (the gui marker: they need the kiosk's environment)."""

ELSEWHERE = {"bench_concerns", "bench_english", "bench_fft", "bench_piper", "soak_kiosk", "soak_server",
             "train_concerns"}
NOT_RUN = {"soak_common": "shared code of the two soak benchmarks, not a script",
           "distill_encoder": "makes sync/core/privacy/encoder/ once, with model2vec's distill extra, which is not "
                              "installed (tests/test_concerns_learned.py checks the model was trained on its output)"}


def run(name: str, args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> str:
    if name == "bench_report":
        args = [*args, "--db", str(tmp_path / "report.db")]
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / f"{name}.py"), *args], capture_output=True,
                            text=True, timeout=600, cwd=PROJECT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"\d", result.stdout), result.stdout[-3000:]
    return result.stdout


def test_every_benchmark_has_a_smoke_run():
    scripts = {path.stem for path in (PROJECT / "bench").glob("*.py")}
    assert scripts == set(TINY) | set(IN_A_WINDOW) | ELSEWHERE | set(NOT_RUN)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size_and_prints_figures(name, tmp_path):
    run(name, TINY[name], tmp_path)


@pytest.mark.gui
@pytest.mark.parametrize("name", sorted(IN_A_WINDOW))
def test_the_app_benchmark_runs_at_a_tiny_size_and_prints_figures(name, tmp_path, kiosk_env):
    run(name, IN_A_WINDOW[name], tmp_path, kiosk_env)
