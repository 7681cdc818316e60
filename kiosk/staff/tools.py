"""What the staff screen's buttons do on a real kiosk, each ending in one sentence a care worker understands.

The tools run on a background thread (kiosk.staff.mode), so each opens its own database connection:
SQLite connections belong to the thread that made them.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from kiosk.device.backup import backups
from kiosk.device.clock_check import check_clock
from kiosk.session.settings import KioskConfig
from kiosk.session.store import Store
from kiosk.staff.mode import PinCheck, Tool
from kiosk.staff.sound_check import get_volume
from sync.core.plain_words import ago, plain_time

log = logging.getLogger(__name__)

NUDGE_WAIT_SECONDS = 30
"""How long "Send answers now" waits for the running sync job to report, before saying it is still trying."""
SPEAKER_TEST = "This is the speaker test. If you can hear this, the speaker is working."


def pin_checker(data_dir: Path) -> Callable[[str], PinCheck]:
    """Checks a PIN against the one ``kiosk set-pin`` stored, reading it afresh each time (it may be set or
    changed while the app runs)."""

    def check(pin: str) -> PinCheck:
        from kiosk.staff.pin import PinLock, Verdict

        outcome = PinLock(data_dir).check(pin)
        return PinCheck(outcome.verdict is Verdict.ACCEPTED, outcome.message)

    return check


class KioskStaffTools:
    def __init__(self, *, config: KioskConfig, data_dir: Path, app: Any):
        self._config = config
        self._data_dir = data_dir
        self._app = app
        """The running Kivy app: its voice (speaker test, microphone source) and stop() (restart)."""

    def facts(self) -> list[tuple[str, str]]:
        facts: list[tuple[str, str]] = []
        try:
            with closing(Store(self._data_dir)) as store:
                counts = store.counts()
                clock = check_clock(store)
                repair = store.last_recovery()
        except Exception as exc:  # the staff screen must open even when the database will not
            log.error("staff screen: cannot read the database: %s", exc)
            return [("Answers database", "cannot be opened: tell IT (run: kiosk doctor)")]
        facts.append(("Answers stored on this kiosk", f"{counts['stored']}"))
        waiting = f"{counts['pending']}"
        if counts["dead"]:
            waiting += f" ({counts['dead']} refused by the server: tell IT)"
        facts.append(("Waiting to be sent", waiting))
        if self._config.settings.sync.server_url:
            facts.append(("Last confirmed sync", _when(counts["last_sync"])))
        else:
            facts.append(("Server", "not connected: copy answers to a USB stick"))
        free_gb = shutil.disk_usage(self._data_dir).free / 1e9
        facts.append(("Free disk space", f"{free_gb:.1f} GB"))
        volume = get_volume()
        facts.append(("Speaker volume", "no speaker found" if volume is None else f"{volume}%"))
        newest = next(iter(backups(self._data_dir)), None)
        facts.append(("Last backup", ago(newest.taken_at) if newest else "none yet"))
        if repair is not None:
            facts.append(("Last repair", repair.describe()))
        facts.append(("Clock", "right" if clock.ok else f"{clock.message} {clock.fix}"))
        return facts

    def run(self, tool: Tool) -> str:
        try:
            return {"sync": self._sync, "export": self._export, "test_microphone": self._test_microphone,
                    "test_speaker": self._test_speaker}[tool]()
        except Exception as exc:  # one sentence on the screen, the detail in the log for IT
            log.exception("staff tool %s failed", tool)
            return f"That did not work ({type(exc).__name__}). Run kiosk doctor, or tell IT."

    def _sync(self) -> str:
        from sync.job import EXIT_DONE, EXIT_NOT_AUTHORISED, run, sync_target

        target = sync_target(self._config, self._data_dir)
        if target is None:
            return "This kiosk is not connected to a server. Use Copy to USB stick instead."
        with closing(Store(self._data_dir)) as store:
            try:
                with FileLock(self._data_dir / "sync.lock", timeout=0):
                    code = run(lambda: Store(self._data_dir), target, self._config, self._data_dir, once=True)
            except Timeout:  # the sync service is running: ask it to go now, and watch
                return self._nudge(store)
            if code == EXIT_NOT_AUTHORISED:
                return "The server refused this kiosk: it needs a new token. Tell IT."
            if code == EXIT_DONE:
                return "Sent. No answers are waiting."
            return f"Could not reach the server. {_kept(store)}"

    def _nudge(self, store: Store) -> str:
        from sync.job import NUDGE_FILE

        before = store.get_meta("last_sync_server_time")
        (self._data_dir / NUDGE_FILE).touch()
        deadline = time.monotonic() + NUDGE_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(1)
            if store.get_meta("last_sync_server_time") != before:
                pending = store.count_pending()
                return "Sent. No answers are waiting." if not pending else f"Sent some. {pending} still waiting."
        return f"Still trying to reach the server. {_kept(store)}"

    def _export(self) -> str:
        from kiosk.staff.usb_export import UsbExportError, export_to_usb, find_usb_drives

        try:
            with closing(Store(self._data_dir)) as store:
                return export_to_usb(store, find_usb_drives()).message
        except UsbExportError as exc:
            return str(exc)

    def _test_microphone(self) -> str:
        from kiosk.staff.sound_check import SoundUnavailable, check_microphone

        try:
            return check_microphone(self._app.open_microphone).message
        except SoundUnavailable as exc:
            return str(exc)

    def _test_speaker(self) -> str:
        if not self._config.settings.voice.speak or self._app.voice.speech is None:
            return "Speech is turned off on this kiosk ([voice] speak in kiosk.toml)."
        self._app.voice.read_aloud(SPEAKER_TEST)
        self._app.voice.speech.wait_idle(15)
        return "Did you hear a sentence? If not, check the speaker is plugged in and turn the volume up."

    def change_volume(self, step: int) -> str:
        from kiosk.staff.sound_check import NO_SPEAKER, SoundUnavailable, set_volume

        current = get_volume()
        if current is None:
            return NO_SPEAKER
        try:
            return f"Volume {set_volume(max(0, min(100, current + step)))}%."
        except SoundUnavailable as exc:
            return str(exc)

    def restart(self) -> str:
        return self._command(self._config.settings.staff.restart_command, "restart")

    def shut_down(self) -> str:
        return self._command(self._config.settings.staff.shutdown_command, "switch off")

    def _command(self, command: tuple[str, ...], what: str) -> str:
        """Run the configured command; none (restart's default) stops the app for systemd to start it again."""
        if not command:
            self._app.stop()
            return ""
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("staff %s command failed: %s", what, exc)
            return f"Could not {what}: {exc}. Tell IT."
        if done.returncode != 0:
            log.error("staff %s command exited %d: %s", what, done.returncode, done.stderr.strip()[-300:])
            return f"Could not {what}: the kiosk is not allowed to. Tell IT (docs/install.md)."
        return ""


def _kept(store: Store) -> str:
    return f"{store.count_pending()} answers are kept safely and will be sent later."


def _when(server_time: str | None) -> str:
    """The server's "2026-12-05T06:01:02Z" as staff read it, in the kiosk's own time zone."""
    if not server_time:
        return "never"
    try:
        return plain_time(datetime.fromisoformat(server_time.replace("Z", "+00:00")))
    except ValueError:
        return server_time
