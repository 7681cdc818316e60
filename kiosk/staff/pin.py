"""The staff PIN: what opens staff mode on the kiosk, and the lockout that stops a visitor guessing it.

The PIN (4 to 8 digits) is set with ``kiosk set-pin`` and kept as an argon2id hash in ``staff_pin`` in the
data folder; wrong tries are counted in ``staff_pin_tries.json`` beside it. Both files are private to the
kiosk's user (mode 600) and replaced atomically. Setting a new PIN clears the count and any lockout.

Lockout: after :data:`MAX_TRIES` wrong PINs in a row the pad is locked for 1 minute; each further wrong PIN
(one is allowed whenever a lock ends) doubles the lock, up to 1 hour (2, 4, 8, 16, 32, then 60 minutes).
Only the right PIN resets the count. A try is counted *before* the PIN is checked and forgiven once it
proves right, so pulling the plug mid-check cannot win a free try.

Time: a lock is anchored to the kernel's boot clock (``CLOCK_BOOTTIME``: nobody can set it, and it keeps
counting through suspend) together with the boot's id and the wall-clock time. While the machine stays up,
only the boot clock counts, so changing the date does nothing. After a restart the boot clock has started
again, so the wall clock measures how much of the lock passed while the kiosk was off; the rest is then
anchored to the new boot clock. The time taken off is never more than the wall clock says and never less
than nothing, so a clock that goes back (a Raspberry Pi without a clock battery starts from its last saved
time) at worst starts the remaining lock again, and a restart never shortens one. The trade-off: someone
who can set the date forward *and* restart the machine could shorten a lock; a visitor at the screen can do
neither, and the doubling still applies at the next wrong PIN.

Nothing here ever logs or stores a PIN; argon2's verify takes the same time for a right and a wrong one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import argon2
import click

from kiosk.cli.options import data_option
from sync.core.files import atomic_path, fsync_path

log = logging.getLogger(__name__)

PIN_FILE = "staff_pin"
TRIES_FILE = "staff_pin_tries.json"
MIN_DIGITS, MAX_DIGITS = 4, 8
MAX_TRIES = 5
"""Wrong PINs in a row before the pad locks."""
FIRST_LOCK_SECONDS = 60
LONGEST_LOCK_SECONDS = 3600
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_hasher = argon2.PasswordHasher()


class Verdict(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    NO_PIN = "no PIN"


@dataclass(frozen=True)
class Outcome:
    """What the PIN pad shows after a try (or before one: see :meth:`PinLock.blocked`)."""

    verdict: Verdict
    tries_left: int = 0
    """With WRONG: wrong PINs still allowed before the pad locks."""
    wait_seconds: int = 0
    """With LOCKED: whole seconds until the next try is allowed."""

    @property
    def message(self) -> str:
        """Plain words for the PIN pad."""
        if self.verdict is Verdict.ACCEPTED:
            return "PIN accepted."
        if self.verdict is Verdict.WRONG:
            return f"Wrong PIN. {_plural(self.tries_left, 'try', 'tries')} left."
        if self.verdict is Verdict.LOCKED:
            return f"Too many wrong PINs. Try again in {wait_words(self.wait_seconds)}."
        return "No staff PIN is set. Set one with: kiosk set-pin"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def wait_words(seconds: int) -> str:
    """"45 seconds" under a minute, else whole minutes rounded up ("1 minute", "4 minutes")."""
    if seconds < 60:
        return _plural(seconds, "second", "seconds")
    return _plural(math.ceil(seconds / 60), "minute", "minutes")


@dataclass(frozen=True)
class Moment:
    """A point in time as the lockout measures it (see the module's notes on time)."""

    wall: float
    """``time.time()``: spans restarts, but can be set."""
    boot: float
    """Seconds on ``CLOCK_BOOTTIME``: cannot be set, but starts again at each boot."""
    boot_id: str
    """The kernel's random id for this boot, so a new boot is recognised."""

    @classmethod
    def now(cls) -> Moment:
        try:
            boot_id = BOOT_ID.read_text().strip()
        except OSError:  # not Linux: every start looks like the same boot; clamping still never shortens a lock
            boot_id = ""
        return cls(time.time(), time.clock_gettime(time.CLOCK_BOOTTIME), boot_id)


@dataclass(frozen=True)
class _Lock:
    seconds: float
    """How long the lock lasts from its anchor."""
    anchor: Moment


def lock_seconds(failures: int) -> int:
    """How long the pad locks after the ``failures``-th wrong PIN in a row (from the :data:`MAX_TRIES`-th on)."""
    return min(FIRST_LOCK_SECONDS * 2 ** (failures - MAX_TRIES), LONGEST_LOCK_SECONDS)


class PinLock:
    """Checks PINs typed on the staff pad against the stored hash, counting wrong ones across restarts.

    Reads the files on every call, so a PIN set with ``kiosk set-pin`` while the kiosk runs works at once.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def blocked(self, now: Moment | None = None) -> Outcome | None:
        """Why the pad cannot take a PIN now (no PIN set, or locked), or None when it can."""
        now = now or Moment.now()
        if _stored_hash(self.data_dir) is None:
            return Outcome(Verdict.NO_PIN)
        _failures, wait = self._lock_state(now)
        return Outcome(Verdict.LOCKED, wait_seconds=wait) if wait else None

    def check(self, pin: str, now: Moment | None = None) -> Outcome:
        """Try ``pin``. While locked the PIN is not looked at and the try is not counted."""
        now = now or Moment.now()
        hashed = _stored_hash(self.data_dir)
        if hashed is None:
            return Outcome(Verdict.NO_PIN)
        failures, wait = self._lock_state(now)
        if wait:
            return Outcome(Verdict.LOCKED, wait_seconds=wait)
        failures += 1  # counted as wrong until proved right: a power cut during the check wins nothing
        lock = _Lock(lock_seconds(failures), now) if failures >= MAX_TRIES else None
        _write_tries(self.data_dir, failures, lock)
        try:
            _hasher.verify(hashed, pin)
        except argon2.exceptions.VerificationError:
            if lock is not None:
                return Outcome(Verdict.LOCKED, wait_seconds=math.ceil(lock.seconds))
            return Outcome(Verdict.WRONG, tries_left=MAX_TRIES - failures)
        except argon2.exceptions.InvalidHashError:
            log.warning("the staff PIN file %s is damaged: set the PIN again with `kiosk set-pin`",
                        self.data_dir / PIN_FILE)
            return Outcome(Verdict.NO_PIN)
        _forget_tries(self.data_dir)
        if _hasher.check_needs_rehash(hashed):  # stored with older argon2 settings: keep it up to date
            _write_private(self.data_dir / PIN_FILE, _hasher.hash(pin))
        return Outcome(Verdict.ACCEPTED)

    def _lock_state(self, now: Moment) -> tuple[int, int]:
        """Wrong PINs in a row, and whole seconds of lock left (0: not locked)."""
        failures, lock = _read_tries(self.data_dir)
        if lock is None:
            return failures, 0
        same_boot = lock.anchor.boot_id == now.boot_id
        # Restarted since: only the wall clock spans the time the kiosk was off.
        elapsed = now.boot - lock.anchor.boot if same_boot else now.wall - lock.anchor.wall
        left = lock.seconds - min(max(elapsed, 0.0), lock.seconds)
        if left > 0 and not same_boot:
            _write_tries(self.data_dir, failures, _Lock(left, now))  # from now on the boot clock counts
        return failures, math.ceil(left)


def _stored_hash(data_dir: Path) -> str | None:
    try:
        return (data_dir / PIN_FILE).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        log.warning("cannot read the staff PIN file: %s", error)
        return None


def _read_tries(data_dir: Path) -> tuple[int, _Lock | None]:
    path = data_dir / TRIES_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        lock = state["lock"]
        return int(state["failures"]), None if lock is None else _Lock(
            float(lock["seconds"]), Moment(float(lock["wall"]), float(lock["boot"]), str(lock["boot_id"])))
    except FileNotFoundError:
        return 0, None
    except (OSError, ValueError, KeyError, TypeError) as error:
        # Written atomically, so this should never happen; if it does, allow one try before the next lock.
        log.warning("cannot read %s (%s): treating the PIN pad as at its limit of wrong tries", path, error)
        return MAX_TRIES, None


def _write_tries(data_dir: Path, failures: int, lock: _Lock | None) -> None:
    anchor = None if lock is None else {"seconds": lock.seconds, "wall": lock.anchor.wall, "boot": lock.anchor.boot,
                                        "boot_id": lock.anchor.boot_id}
    _write_private(data_dir / TRIES_FILE, json.dumps({"failures": failures, "lock": anchor}))


def _forget_tries(data_dir: Path) -> None:
    (data_dir / TRIES_FILE).unlink(missing_ok=True)
    fsync_path(data_dir)


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read (mode 600). Run as root (e.g. ``sudo
    kiosk set-pin``), the file is given to the data folder's owner, the user the kiosk runs as."""
    with atomic_path(path) as partial:
        partial.unlink(missing_ok=True)  # a leftover from a crash may have other permissions
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
            handle.write(text)
        if os.geteuid() == 0:
            owner = path.parent.stat()
            os.chown(partial, owner.st_uid, owner.st_gid)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be the staff PIN, in words for the person setting it; None when it is fine."""
    if not (pin.isascii() and pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS):
        return f"the PIN must be {MIN_DIGITS} to {MAX_DIGITS} digits (numbers only)"
    if len(set(pin)) == 1:
        return "one digit repeated (like 1111) is too easy to guess: choose another PIN"
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        return "digits in a row (like 1234 or 4321) are too easy to guess: choose another PIN"
    if any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in range(2, len(pin) // 2 + 1)):
        return "a short group repeated (like 1212) is too easy to guess: choose another PIN"
    return None


def set_pin(data_dir: Path, pin: str) -> None:
    """Store a new staff PIN (checked with :func:`pin_problem` first) and clear any lockout."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_private(data_dir / PIN_FILE, _hasher.hash(pin))
    _forget_tries(data_dir)


def clear_pin(data_dir: Path) -> bool:
    """Remove the staff PIN (staff mode stays closed until a new one is set); False if there was none."""
    pin_file = data_dir / PIN_FILE
    had_pin = pin_file.exists()
    pin_file.unlink(missing_ok=True)
    with contextlib.suppress(FileNotFoundError):  # no data folder yet: nothing to forget
        _forget_tries(data_dir)
    return had_pin


def _ask_new_pin() -> str:
    """At a terminal: ask twice with the digits hidden, asking again after a refused PIN. From a pipe (scripts,
    tests): two lines, and a refused PIN ends the command with its reason."""
    if sys.stdin.isatty():
        def checked(pin: str) -> str:
            problem = pin_problem(pin.strip())
            if problem:
                raise click.UsageError(problem)  # click shows it and asks again
            return pin.strip()

        return click.prompt(f"New staff PIN ({MIN_DIGITS} to {MAX_DIGITS} digits)", hide_input=True,
                            value_proc=checked, confirmation_prompt="Type the same PIN again", err=True)
    pin, again = (sys.stdin.readline().strip() for _ in range(2))
    problem = pin_problem(pin)
    if problem:
        raise click.ClickException(problem)
    if again != pin:
        raise click.ClickException("the two PINs are different: give the same PIN twice, one per line")
    return pin


@click.command("set-pin")
@data_option
@click.option("--clear", is_flag=True, help="Remove the PIN instead: staff mode stays closed until a new one is set.")
def set_pin_command(data_dir: Path, clear: bool) -> None:
    """Set the staff PIN that opens staff mode on the touchscreen (asks for it twice).

    The PIN is 4 to 8 digits; easy ones such as 1111, 1234 or 1212 are refused. Setting a PIN also
    ends any lockout after wrong PINs. Only a hash of the PIN is kept.

    Example: kiosk set-pin --data /var/lib/feedback-kiosk
    """
    if clear:
        removed = clear_pin(data_dir)
        click.echo("Staff PIN removed: staff mode stays closed until a new PIN is set." if removed
                   else "No staff PIN was set: staff mode stays closed.")
        return
    set_pin(data_dir, _ask_new_pin())
    click.echo("Staff PIN set. Hold the top-left corner of the start screen, then type it to open staff mode.")
