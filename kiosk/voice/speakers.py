"""Where the kiosk's voice comes out: ALSA through ``aplay``, nowhere, or a capturing fake for tests and demos.

A speaker plays one WAV file at a time. ``play`` blocks until the file has finished or ``stop`` (called
from another thread) interrupts it. A speaker is the only part of speech out that tests may fake.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)

KEEP_PLAYED = 1000
"""How many of the latest prompts :class:`CaptureSpeaker` keeps for a test to read."""


class Speaker(Protocol):
    def play(self, wav: Path) -> None:
        """Play the file; block until it has finished or :meth:`stop` interrupted it."""

    def stop(self) -> None:
        """Interrupt the ``play`` in progress promptly (called from another thread); no effect when idle."""


@runtime_checkable
class Labelled(Protocol):
    """A speaker that wants to know what the next ``play`` says (for logs of what was spoken)."""

    def label(self, text: str, language: str) -> None: ...


class AplaySpeaker:
    """ALSA playback with ``aplay -q FILE`` in a subprocess; a kiosk without a sound card carries on silently."""

    def __init__(self, command: tuple[str, ...] = ("aplay", "-q")) -> None:
        self._command = command
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._warned = False

    def play(self, wav: Path) -> None:
        try:
            process = subprocess.Popen([*self._command, str(wav)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as error:
            self._warn_once(f"cannot run {self._command[0]}: {error}")
            return
        with self._lock:
            self._process, self._stopped = process, False
        _, stderr = process.communicate()
        with self._lock:
            self._process = None
            if process.returncode and not self._stopped:
                lines = stderr.decode(errors="replace").strip().splitlines()
                detail = lines[-1] if lines else f"exit status {process.returncode}"
                self._warn_once(f"{self._command[0]} failed ({detail}); is there a sound card?")

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                self._stopped = True
                self._process.terminate()

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("speech is not heard: %s; further failures are not logged", message)


class SilentSpeaker:
    """Plays nothing (``speaker = "none"``): the kiosk works by touch alone."""

    def play(self, wav: Path) -> None:
        return None

    def stop(self) -> None:
        return None


@dataclass
class Played:
    """One ``play`` seen by a :class:`CaptureSpeaker`."""

    path: Path
    text: str | None
    language: str | None
    frames: int
    sample_rate: int
    started_at: float
    """``time.monotonic()`` when playing started."""
    interrupted: bool = False

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


class CaptureSpeaker:
    """A fake speaker: reads the real WAV, records it in :attr:`played` and takes its real duration to "play" it.

    ``stop`` interrupts it like real playback. With ``log``, one JSON line per play (text, language,
    duration, interrupted) is appended, so a test can read what a kiosk in another process said.
    """

    def __init__(self, log_path: Path | None = None, speed: float = 1.0) -> None:
        self.played: deque[Played] = deque(maxlen=KEEP_PLAYED)
        """The latest prompts played, oldest first (bounded: the soak benchmark plays tens of thousands)."""
        self._log_path = log_path
        self._speed = speed
        self._lock = threading.Lock()
        self._label: tuple[str, str] | None = None
        self._interrupt: threading.Event | None = None

    def label(self, text: str, language: str) -> None:
        self._label = (text, language)

    def play(self, wav: Path) -> None:
        with wave.open(str(wav), "rb") as reader:
            frames, sample_rate = reader.getnframes(), reader.getframerate()
        text, language = self._label or (None, None)
        self._label = None
        played = Played(wav, text, language, frames, sample_rate, time.monotonic())
        interrupt = threading.Event()
        with self._lock:
            self._interrupt = interrupt
            self.played.append(played)
        played.interrupted = interrupt.wait(played.duration / self._speed)
        with self._lock:
            self._interrupt = None
        if self._log_path is not None:
            line = {"text": text, "language": language, "wav": wav.name, "duration": round(played.duration, 3),
                    "interrupted": played.interrupted}
            with self._log_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def stop(self) -> None:
        with self._lock:
            if self._interrupt is not None:
                self._interrupt.set()
