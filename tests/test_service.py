"""The kiosk under systemd: unit files systemd accepts, the real app's notify heartbeat (which stops when
its main loop hangs), and logs that stay within their caps or go to the journal."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from kiosk.device.heartbeat import notify, watchdog_interval
from kiosk.device.logs import LOG_BACKUPS, LOG_BYTES
from tests.conftest import PROJECT

UNITS = PROJECT / "config" / "systemd"
INSTALLED_VENV = "/opt/feedback-kiosk/.venv"
"""Where docs/install.md puts the kiosk's virtual environment, and so where the units look for it."""


def systemd_verify(units: list[Path], tmp_path: Path) -> None:
    """``systemd-analyze verify`` accepts ``units`` without a warning (the kiosk's here, the server's reports
    in tests/test_reports_schedule.py)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: install the systemd package")
        pytest.skip("systemd-analyze is not installed")
    copies = []
    for unit in units:  # systemd checks that ExecStart exists: point it at this checkout's commands
        text = unit.read_text()
        assert unit.suffix != ".service" or f"ExecStart={INSTALLED_VENV}/bin/" in text
        copy = tmp_path / unit.name
        copy.write_text(text.replace(INSTALLED_VENV, sys.prefix))
        copies.append(copy)
    done = subprocess.run([analyze, "verify", *map(str, copies)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).strip() == ""  # unknown keys and bad values are only warnings


def test_systemd_accepts_the_unit_files(tmp_path):
    units = sorted(UNITS.glob("feedback-kiosk*.service"))
    assert [unit.name for unit in units] == ["feedback-kiosk-sync.service", "feedback-kiosk.service"]
    systemd_verify(units, tmp_path)


def test_notify_sends_one_datagram_to_a_socket_path_and_nothing_outside_systemd(tmp_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(tmp_path / "notify"))
        assert notify("STATUS=Running", {"NOTIFY_SOCKET": str(tmp_path / "notify")})
        assert listener.recv(4096) == b"STATUS=Running"
    assert not notify("READY=1", {})
    assert not notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")})  # a warning, never a crash


def test_the_watchdog_interval_is_half_of_systemds_and_only_for_the_watched_process():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # meant for another
    assert watchdog_interval({}) is None


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing in for systemd's, in the abstract namespace as systemd's own is."""
    name = f"feedback-kiosk-test-{os.getpid()}-{secrets.token_hex(4)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind("\0" + name)
        yield listener, "@" + name


def received(listener: socket.socket, seconds: float) -> list[tuple[float, str]]:
    """Every message that arrives within ``seconds``, with when it arrived."""
    messages: list[tuple[float, str]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        listener.settimeout(left)
        try:
            messages.append((time.monotonic(), listener.recv(4096).decode()))
        except TimeoutError:
            break
    return messages


def journal_free(env: dict[str, str]) -> dict[str, str]:
    """The test's environment without what systemd may have given pytest itself."""
    return {key: value for key, value in env.items()
            if key not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM")}


@pytest.mark.gui
def test_the_running_kiosk_says_ready_pings_the_watchdog_and_logs_to_capped_files(tmp_path, kiosk_env, notify_socket):
    """``kiosk run`` exactly as the unit starts it (kiosk mode), with Kivy's file and console logs allowed."""
    listener, address = notify_socket
    env = {key: value for key, value in journal_free(kiosk_env).items()
           if key not in ("KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG")}
    env.update(NOTIFY_SOCKET=address, WATCHDOG_USEC="2000000")
    data = tmp_path / "data"
    with (tmp_path / "output.txt").open("w") as output:
        started = time.monotonic()
        kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--data", str(data)], env=env,
                                 stdout=output, stderr=subprocess.STDOUT)
        try:
            ready = received(listener, 1)
            while not ready and kiosk.poll() is None and time.monotonic() - started < 120:
                ready = received(listener, 1)
            assert ready, (tmp_path / "output.txt").read_text()[-3000:]
            ready_after = ready[0][0] - started
            pings = received(listener, 4.5)
        finally:
            kiosk.terminate()  # systemctl stop
            code = kiosk.wait(timeout=60)
    assert ready[0][1] == "READY=1\nSTATUS=Running", ready
    times = [at for at, message in pings if message == "WATCHDOG=1"]
    assert len(times) >= 3 and len(times) == len(pings), pings  # about every second (half of 2 s), nothing else
    assert max(later - earlier for earlier, later in pairwise(times)) < 1.5, times  # never near the 2 s limit
    assert code == 0
    log = data / "logs" / "kiosk.log"
    assert "Kivy" in log.read_text()  # Kivy's own lines land in the kiosk's capped file...
    kivy_logs = Path(env["KIVY_HOME"]) / "logs"
    assert not kivy_logs.exists() or not any(kivy_logs.iterdir())  # ...and not in Kivy's uncapped one
    print(f"READY=1 {ready_after:.1f} s after start")


BLOCKED_LOOP = """
import threading, time
from kiosk.ui.app import prepare_kivy
prepare_kivy(windowed=True, size=(320, 240))
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
from kiosk.device.heartbeat import beat_from_main_loop

class Hangs(App):
    def build(self):
        beat_from_main_loop(lambda: "Running")
        threading.Thread(target=lambda: time.sleep(30), daemon=True).start()  # the process is otherwise alive
        Clock.schedule_once(lambda _dt: time.sleep(4), 3)  # the main loop hangs for 4 s
        Clock.schedule_once(lambda _dt: self.stop(), 9)
        return Label(text="hangs")

Hangs().run()
"""


@pytest.mark.gui
def test_a_hung_main_loop_stops_the_watchdog_pings(tmp_path, kiosk_env, notify_socket):
    listener, address = notify_socket
    env = {**journal_free(kiosk_env), "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"}
    script = tmp_path / "hangs.py"
    script.write_text(BLOCKED_LOOP)
    app = subprocess.Popen([sys.executable, str(script)], env=env, cwd=PROJECT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    messages: list[tuple[float, str]] = []
    started = time.monotonic()
    while app.poll() is None and time.monotonic() - started < 120:
        messages += received(listener, 0.2)
    _out, errors = app.communicate(timeout=60)
    assert app.returncode == 0, errors[-3000:]
    assert messages[0][1] == "READY=1\nSTATUS=Running"
    times = [at for at, message in messages if message == "WATCHDOG=1"]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert max(gaps) > 3.5, gaps  # silent while it hung: systemd (WatchdogSec=1) would have restarted it
    assert len(gaps) >= 6 and sorted(gaps)[-2] < 1.0, gaps  # every half second before and after


LOG_SCRIPT = """
import logging, sys
from pathlib import Path
from kiosk.device.logs import log_app, log_job
if sys.argv[1] == "app":
    log_app(Path(sys.argv[2]))
else:
    log_job("kiosk-sync")
log = logging.getLogger("kiosk.test")
log.debug("a debug line")
for number in range(int(sys.argv[3])):
    log.warning("record %d %s", number, "x" * 100)
try:
    1 / 0
except ZeroDivisionError:
    log.exception("a failure")
"""


def run_logging(tmp_path: Path, which: str, records: int, *, journal: bool) -> tuple[Path, str]:
    """Log ``records`` warnings, a debug line and a traceback through ``log_app`` or ``log_job``; with
    ``journal``, stderr is the stream $JOURNAL_STREAM names, as systemd sets it up."""
    data, errors = tmp_path / "data", tmp_path / "stderr.txt"
    env = journal_free(dict(os.environ))
    with errors.open("w") as stderr:
        if journal:
            stat = os.fstat(stderr.fileno())
            env["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
        else:  # inherited by a child whose stderr is elsewhere: not the journal
            env["JOURNAL_STREAM"] = f"{os.stat(tmp_path).st_dev}:{os.stat(tmp_path).st_ino}"
        subprocess.run([sys.executable, "-c", LOG_SCRIPT, which, str(data), str(records)], env=env, cwd=PROJECT,
                       stderr=stderr, check=True, timeout=120)
    return data / "logs", errors.read_text()


def test_a_hand_run_kiosks_log_files_stay_within_their_cap(tmp_path):
    logs, _stderr = run_logging(tmp_path, "app", 60_000, journal=False)  # ~10 MB of records, twice the cap
    files = sorted(logs.iterdir())
    assert [path.name for path in files] == ["kiosk.log", *(f"kiosk.log.{n}" for n in range(1, LOG_BACKUPS + 1))]
    assert all(path.stat().st_size <= LOG_BYTES for path in files)
    text = "".join(path.read_text() for path in files)
    assert "record 59999 " in text and "record 0 " not in text  # the oldest went first
    assert "a debug line" not in text and "ZeroDivisionError" in text


@pytest.mark.parametrize("which", ["app", "job"])
def test_under_systemd_logs_go_to_the_journal_one_line_each_with_a_priority(tmp_path, which):
    logs, stderr = run_logging(tmp_path, which, 2, journal=True)
    assert not logs.exists()  # no file of the kiosk's own: journald rotates its files
    lines = stderr.splitlines()
    assert lines[:2] == ["<4>kiosk.test: record 0 " + "x" * 100, "<4>kiosk.test: record 1 " + "x" * 100]
    assert lines[2].startswith("<3>kiosk.test: a failure | Traceback") and "ZeroDivisionError" in lines[2]
    assert len(lines) == 3  # the debug line is dropped; the traceback is one journal entry


def test_sync_job_run_by_hand_logs_to_stderr_with_the_time(tmp_path):
    logs, stderr = run_logging(tmp_path, "job", 1, journal=False)
    assert not logs.exists()
    first = stderr.splitlines()[0]
    assert first.endswith(" kiosk-sync WARNING record 0 " + "x" * 100) and first[:4].isdigit()
