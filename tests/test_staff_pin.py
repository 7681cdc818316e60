"""The staff PIN: set with `kiosk set-pin` (a real subprocess, piped and at a real terminal), stored only as
an argon2 hash in a private file, and a lockout that grows, survives restarts and ignores the wall clock
while the machine stays up. Time is given as explicit moments, so nothing here waits."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.staff.pin import (
    PIN_FILE,
    TRIES_FILE,
    Moment,
    Outcome,
    PinLock,
    Verdict,
    clear_pin,
    lock_seconds,
    pin_problem,
    set_pin,
)

PIN = "2580"
BOOT = "boot-one"


def kiosk_set_pin(data: Path, typed: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "set-pin", "--data", str(data), *extra], input=typed,
                          capture_output=True, text=True, timeout=60, start_new_session=True)


def at(seconds: float, *, boot_id: str = BOOT, wall_offset: float = 1_800_000_000.0) -> Moment:
    """``seconds`` after the machine started, with the wall clock ``wall_offset`` ahead of the boot clock."""
    return Moment(wall=wall_offset + seconds, boot=seconds, boot_id=boot_id)


@pytest.fixture
def lock(tmp_path: Path) -> PinLock:
    set_pin(tmp_path, PIN)
    return PinLock(tmp_path)


def lock_out(lock: PinLock, now: Moment) -> Outcome:
    """Five wrong PINs in a row at ``now``; returns the fifth's outcome."""
    outcomes = [lock.check("0000", now) for _ in range(5)]
    return outcomes[-1]


def test_set_pin_stores_only_an_argon2_hash_in_a_private_file(tmp_path):
    result = kiosk_set_pin(tmp_path / "data", f"{PIN}\n{PIN}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Staff PIN set.")
    pin_file = tmp_path / "data" / PIN_FILE
    assert stat.S_IMODE(pin_file.stat().st_mode) == 0o600
    stored = pin_file.read_text()
    assert stored.startswith("$argon2id$") and PIN not in stored
    assert sorted(p.name for p in pin_file.parent.iterdir()) == [PIN_FILE]  # no .partial left
    assert PinLock(tmp_path / "data").check(PIN, at(10)).verdict is Verdict.ACCEPTED


@pytest.mark.parametrize(("pin", "reason"), [
    ("1111", "one digit repeated (like 1111) is too easy to guess: choose another PIN"),
    ("00000000", "one digit repeated (like 1111) is too easy to guess: choose another PIN"),
    ("1234", "digits in a row (like 1234 or 4321) are too easy to guess: choose another PIN"),
    ("87654", "digits in a row (like 1234 or 4321) are too easy to guess: choose another PIN"),
    ("7890", "digits in a row (like 1234 or 4321) are too easy to guess: choose another PIN"),
    ("1212", "a short group repeated (like 1212) is too easy to guess: choose another PIN"),
    ("147147", "a short group repeated (like 1212) is too easy to guess: choose another PIN"),
    ("123", "the PIN must be 4 to 8 digits (numbers only)"),
    ("123456789", "the PIN must be 4 to 8 digits (numbers only)"),
    ("12a4", "the PIN must be 4 to 8 digits (numbers only)"),
    ("١٢٣٥", "the PIN must be 4 to 8 digits (numbers only)"),  # Arabic-Indic digits: not on the pad
])
def test_easy_or_malformed_pins_are_refused_with_the_reason(pin, reason):
    assert pin_problem(pin) == reason


@pytest.mark.parametrize("pin", ["2580", "1357", "1122", "90210", "31415926"])
def test_ordinary_pins_are_accepted(pin):
    assert pin_problem(pin) is None


def test_a_refused_or_mistyped_pin_from_a_pipe_is_one_error_line_and_nothing_is_stored(tmp_path):
    for typed, error in [("1234\n1234\n", "Error: digits in a row (like 1234 or 4321) are too easy to guess: "
                                          "choose another PIN"),
                         (f"{PIN}\n2581\n", "Error: the two PINs are different: give the same PIN twice, one per "
                                            "line"),
                         ("", "Error: the PIN must be 4 to 8 digits (numbers only)")]:
        result = kiosk_set_pin(tmp_path, typed)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [error]
        assert list(tmp_path.iterdir()) == []


def _read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"waited for {wanted!r}, got {bytes(seen)!r}"
        seen += os.read(fd, 4096)


def test_at_a_terminal_the_pin_is_hidden_and_asked_again_after_a_refusal(tmp_path):
    """A real pseudo-terminal: digits are not echoed, an easy PIN is explained and asked for again."""
    terminal, child_side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "kiosk", "set-pin", "--data", str(tmp_path)],
                               stdin=child_side, stdout=subprocess.PIPE, stderr=child_side, start_new_session=True)
    os.close(child_side)
    screen = bytearray()
    try:
        for prompt, typed in [(b"New staff PIN (4 to 8 digits): ", b"7777"),
                              (b"Error: one digit repeated", None),
                              (b"New staff PIN (4 to 8 digits): ", PIN.encode()),
                              (b"Type the same PIN again: ", PIN.encode())]:
            _read_until(terminal, prompt, screen)
            if typed is not None:
                time.sleep(0.2)  # getpass turns echo off right after the prompt
                os.write(terminal, typed + b"\n")
        stdout, _ = process.communicate(timeout=60)
        while select.select([terminal], [], [], 0)[0]:  # the rest of what the terminal showed
            try:
                screen += os.read(terminal, 4096)
            except OSError:  # EIO: the program has gone and its terminal with it
                break
    finally:
        process.kill()
        os.close(terminal)
    assert process.returncode == 0
    assert stdout.decode().startswith("Staff PIN set.")
    assert PinLock(tmp_path).check(PIN, at(5)).verdict is Verdict.ACCEPTED
    assert b"7777" not in screen and PIN.encode() not in screen  # typed digits were never shown


def test_set_pin_clear_removes_it_and_the_pad_says_how_to_set_one(tmp_path, lock):
    result = kiosk_set_pin(tmp_path, "", "--clear")
    assert (result.returncode, result.stdout) == (0, "Staff PIN removed: staff mode stays closed until a new PIN "
                                                     "is set.\n")
    outcome = lock.check(PIN, at(10))
    assert outcome == Outcome(Verdict.NO_PIN) == lock.blocked(at(10))
    assert outcome.message == "No staff PIN is set. Set one with: kiosk set-pin"
    assert not clear_pin(tmp_path)


def test_five_wrong_pins_lock_the_pad_for_a_minute_and_the_right_one_is_not_even_checked_meanwhile(lock):
    outcomes = [lock.check("1357", at(100)) for _ in range(4)]
    assert [o.message for o in outcomes] == ["Wrong PIN. 4 tries left.", "Wrong PIN. 3 tries left.",
                                             "Wrong PIN. 2 tries left.", "Wrong PIN. 1 try left."]
    assert lock.blocked(at(100)) is None
    fifth = lock.check("1357", at(100))
    assert fifth == Outcome(Verdict.LOCKED, wait_seconds=60)
    assert fifth.message == "Too many wrong PINs. Try again in 1 minute."
    assert lock.check(PIN, at(130)) == Outcome(Verdict.LOCKED, wait_seconds=30)
    assert lock.blocked(at(159.5)).message == "Too many wrong PINs. Try again in 1 second."
    assert lock.check(PIN, at(160)).verdict is Verdict.ACCEPTED
    assert not (lock.data_dir / TRIES_FILE).exists()  # the right PIN starts the count again
    assert lock.check("1357", at(161)).message == "Wrong PIN. 4 tries left."


def test_each_wrong_pin_after_a_lock_doubles_it_up_to_an_hour(lock):
    now = 0.0
    waits = [lock_out(lock, at(now)).wait_seconds]
    for _ in range(7):
        now += waits[-1]
        assert lock.blocked(at(now)) is None  # one try whenever a lock ends
        waits.append(lock.check("1357", at(now)).wait_seconds)
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert [lock_seconds(n) for n in range(5, 13)] == waits
    assert Outcome(Verdict.LOCKED, wait_seconds=240).message == "Too many wrong PINs. Try again in 4 minutes."
    assert Outcome(Verdict.LOCKED, wait_seconds=3541).message == "Too many wrong PINs. Try again in 60 minutes."


def test_restarting_the_kiosk_app_keeps_the_lock(lock):
    lock_out(lock, at(1000))
    restarted = PinLock(lock.data_dir)  # a new process reads the same files; same boot, the boot clock went on
    assert restarted.check(PIN, at(1045)) == Outcome(Verdict.LOCKED, wait_seconds=15)


def test_changing_the_date_while_the_machine_is_up_does_not_end_a_lock(lock):
    lock_out(lock, at(1000))
    a_day_later_by_the_wall_clock = Moment(wall=at(1010).wall + 86400, boot=1010, boot_id=BOOT)
    assert lock.check(PIN, a_day_later_by_the_wall_clock) == Outcome(Verdict.LOCKED, wait_seconds=50)


def test_after_a_power_cut_the_wall_clock_counts_the_time_off_then_the_new_boot_clock_takes_over(lock):
    lock_out(lock, at(1000))
    # Off for 20 s, then the new boot's clock starts again from 0; the wall clock went on.
    rebooted = at(5, boot_id="boot-two", wall_offset=at(1000).wall + 20 - 5)
    assert lock.blocked(rebooted) == Outcome(Verdict.LOCKED, wait_seconds=40)
    # From now on the wall clock is ignored again: moving it on an hour ends nothing.
    later = Moment(wall=rebooted.wall + 3600, boot=15, boot_id="boot-two")
    assert lock.check(PIN, later) == Outcome(Verdict.LOCKED, wait_seconds=30)
    assert lock.check(PIN, Moment(wall=later.wall, boot=45, boot_id="boot-two")).verdict is Verdict.ACCEPTED


def test_a_clock_that_goes_back_over_a_restart_restarts_the_lock_but_never_lengthens_it(lock):
    """A Raspberry Pi without a clock battery starts from its last saved time, which can be in the past."""
    lock_out(lock, at(1000))
    back_a_day = at(5, boot_id="boot-two", wall_offset=at(1000).wall - 86400)
    assert lock.blocked(back_a_day) == Outcome(Verdict.LOCKED, wait_seconds=60)


def test_setting_a_new_pin_ends_a_lockout(lock):
    lock_out(lock, at(1000))
    set_pin(lock.data_dir, "97531")
    assert lock.blocked(at(1001)) is None
    assert lock.check("97531", at(1001)).verdict is Verdict.ACCEPTED


def test_the_tries_file_is_private_and_holds_only_the_count(lock):
    lock.check("1357", at(10))
    tries = lock.data_dir / TRIES_FILE
    assert stat.S_IMODE(tries.stat().st_mode) == 0o600
    assert json.loads(tries.read_text()) == {"failures": 1, "lock": None}


def test_killing_the_kiosk_while_it_checks_the_right_pin_still_counts_the_try(lock):
    """The try is written down before argon2 runs (~0.1 s): pulling the plug to hide a result wins nothing."""
    checking = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                                 "from kiosk.staff.pin import PinLock; PinLock(Path(sys.argv[1])).check(sys.argv[2])",
                                 str(lock.data_dir), PIN])
    tries = lock.data_dir / TRIES_FILE
    deadline = time.monotonic() + 60
    while not tries.exists() and checking.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    checking.kill()
    checking.wait()
    assert json.loads(tries.read_text())["failures"] == 1


def test_a_damaged_tries_file_allows_one_try_then_locks(lock, caplog):
    (lock.data_dir / TRIES_FILE).write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert lock.blocked(at(10)) is None
        assert lock.check("1357", at(10)) == Outcome(Verdict.LOCKED, wait_seconds=120)
    assert "1357" not in caplog.text and PIN not in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_set_pin_as_root_gives_the_files_to_the_data_folders_owner(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 65534, 65534)  # the kiosk's own user, say; root runs `sudo kiosk set-pin`
    assert kiosk_set_pin(data, f"{PIN}\n{PIN}\n").returncode == 0
    PinLock(data).check("1357", at(10))
    for name in (PIN_FILE, TRIES_FILE):
        info = (data / name).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o600)


def test_a_damaged_pin_file_keeps_staff_mode_closed_and_says_to_set_the_pin_again(lock, caplog):
    (lock.data_dir / PIN_FILE).write_text("not an argon2 hash")
    with caplog.at_level(logging.WARNING):
        assert lock.check(PIN, at(10)) == Outcome(Verdict.NO_PIN)
    assert "set the PIN again with `kiosk set-pin`" in caplog.text and PIN not in caplog.text
