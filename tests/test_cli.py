"""The command line as care workers and scripts meet it: help with examples, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kiosk.cli.main import cli
from tests.conftest import PROJECT

COMMANDS = sorted(cli.commands)


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(command):
    result = kiosk(command, "--help")
    assert result.returncode == 0
    assert "Example: kiosk " + command in result.stdout
    assert f"`kiosk {command}" in (PROJECT / "README.md").read_text()


@pytest.mark.parametrize("args", [
    ["nonesuch"],
    ["simulate", "many"],
    ["export", "--format", "csv"],
    ["run", "--size", "huge", "--windowed"],
    ["status", "--data", "/proc/version"],
    ["status", "--data", "{tmp}/missing"],
    ["export", "--format", "csv", "--out", "{tmp}/out.csv", "--data", "{tmp}/missing"],
])
def test_bad_arguments_give_one_line_and_a_non_zero_exit(args, tmp_path):
    result = kiosk(*(arg.format(tmp=tmp_path) for arg in args))
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []  # nothing created: no empty database, no half export
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


def test_simulate_then_status_agree(tmp_path, kiosk_env):
    data = tmp_path / "data"
    simulated = kiosk("simulate", "7", "--data", str(data), "--seed", "1", env=kiosk_env)
    assert simulated.returncode == 0, simulated.stderr
    committed = [line.split() for line in simulated.stdout.splitlines()]
    assert [c[0] for c in committed] == ["committed"] * 7 and [int(c[2]) for c in committed] == list(range(1, 8))
    status = json.loads(kiosk("status", "--json", "--data", str(data)).stdout)
    assert (status["stored"], status["pending"], status["dead"], status["last_sync"]) == (7, 7, 0, None)
    assert status["database_ok"] is True
    human = kiosk("status", env={**kiosk_env, "KIOSK_DATA_DIR": str(data)}).stdout
    assert "Answers stored here:           7" in human and "Last confirmed sync:           never" in human


def test_simulate_is_repeatable_with_a_seed(tmp_path, kiosk_env):
    payloads = []
    for run in ("a", "b"):
        kiosk("simulate", "5", "--data", str(tmp_path / run), "--seed", "42", env=kiosk_env)
        out = tmp_path / f"{run}.jsonl"
        kiosk("export", "--format", "jsonl", "--out", str(out), "--data", str(tmp_path / run), env=kiosk_env)
        # exports list rows by day, then random id (a new uuid4 each run): compare the sessions, not the order
        payloads.append(sorted(json.dumps(json.loads(line)["answers"], sort_keys=True)
                               for line in out.read_text().splitlines()))
    assert payloads[0] == payloads[1] and len(payloads[0]) == 5


def test_an_export_to_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, kiosk_env):
    data = tmp_path / "data"
    kiosk("simulate", "3", "--data", str(data), env=kiosk_env)
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "feedback.csv.partial").symlink_to("/dev/full")  # writes there fail with ENOSPC, like a full stick
    result = kiosk("export", "--format", "csv", "--out", str(usb / "feedback.csv"), "--data", str(data), env=kiosk_env)
    assert result.returncode == 1
    target = usb / "feedback.csv"
    assert result.stderr.strip().splitlines() == [f"Error: could not write {target}: No space left on device"]
    assert list(usb.iterdir()) == []


def test_kiosk_sync_has_help_with_an_example_and_is_in_the_readme():
    result = subprocess.run([sys.executable, "-m", "sync", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Example: kiosk-sync --once" in result.stdout
    assert "`kiosk-sync [--once]" in (PROJECT / "README.md").read_text()
