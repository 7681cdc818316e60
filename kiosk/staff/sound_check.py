"""The staff screen's sound checks: the speaker's volume, and "say something" to test the microphone.

Volume goes through ALSA's ``amixer`` (Debian ``alsa-utils``) with ``-M``, the same percentage scale as
alsamixer, so 50% sounds like half way. The microphone test listens through the kiosk's own audio source
for a few seconds and keeps only loudness figures: the audio itself is never kept or written.

A kiosk without a sound card or microphone gets :class:`SoundUnavailable` with a message for the screen,
never a crash. (To test the speaker, say a sentence with ``VoiceController.read_aloud``.)
"""

from __future__ import annotations

import math
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kiosk.voice.audio import BYTES_PER_SECOND, AudioSource, MicrophoneUnavailable, level

AMIXER: tuple[str, ...] = ("amixer",)
VOLUME_CONTROLS = ("Master", "PCM", "Speaker", "Headphone", "Digital")
"""The mixer controls that set what the speaker plays, most general first (a PC's Master; a Raspberry Pi's
PCM; USB speakers' Speaker or PCM)."""
LISTEN_SECONDS = 3.0
HEARD_DBFS = -45.0
"""A tenth of a second this loud or louder means someone was heard: a quiet room through a plugged-in
microphone stays near -60 dBFS, a voice at arm's length reaches -30 or more."""
SILENT_DBFS = -96.0
"""What digital silence is reported as (the floor of 16-bit audio)."""
STALL_SECONDS = 2.0
"""Extra time before giving up on a microphone that sends nothing at all."""

NO_SPEAKER = "No speaker found. Check that the speaker is plugged in and switched on."
VOLUME_NOT_CHANGED = "The volume could not be changed. Restart the kiosk; if it still fails, tell IT."
NO_MICROPHONE = "No microphone found. Is it plugged in?"
HEARD = "I heard you. The microphone works."
HEARD_NOTHING = "I heard nothing. Is the microphone plugged in?"


class SoundUnavailable(RuntimeError):
    """No speaker or microphone to test; the message is for the staff screen."""


def _amixer(args: Sequence[str], amixer: Sequence[str]) -> str | None:
    """amixer's output, or None when it fails (no sound card, no such control, no alsa-utils)."""
    try:
        done = subprocess.run([*amixer, *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _volume_control(amixer: Sequence[str]) -> str | None:
    listing = _amixer(["scontrols"], amixer)
    present = set(re.findall(r"^Simple mixer control '([^']+)',0$", listing or "", re.MULTILINE))
    return next((name for name in VOLUME_CONTROLS if name in present), None)


def _percent(output: str) -> int | None:
    """The average of the playback channels' ``[NN%]`` in ``amixer get`` output."""
    values = [int(value) for value in re.findall(r"Playback .*?\[(\d+)%\]", output)]
    return round(sum(values) / len(values)) if values else None


def get_volume(amixer: Sequence[str] = AMIXER) -> int | None:
    """The speaker volume as a percentage, or None when there is no speaker to ask."""
    control = _volume_control(amixer)
    output = _amixer(["-M", "get", control], amixer) if control else None
    return _percent(output) if output else None


def set_volume(percent: int, amixer: Sequence[str] = AMIXER) -> int:
    """Set the speaker volume (0 to 100) and return what the mixer now reports."""
    if not 0 <= percent <= 100:
        raise ValueError(f"the volume must be 0 to 100, not {percent}")
    control = _volume_control(amixer)
    if control is None:
        raise SoundUnavailable(NO_SPEAKER)
    output = _amixer(["-M", "set", control, f"{percent}%"], amixer)
    now = _percent(output) if output else None
    if now is None:
        raise SoundUnavailable(VOLUME_NOT_CHANGED)
    return now


@dataclass(frozen=True)
class MicCheck:
    """How loud the microphone heard things, in dBFS (0 is the loudest possible, -96 digital silence)."""

    heard: bool
    peak_dbfs: float
    """The loudest single sample."""
    rms_dbfs: float
    """The average loudness over the whole listen."""
    loudest_dbfs: float
    """The average loudness of the loudest tenth of a second: what decides ``heard``."""

    @property
    def message(self) -> str:
        return HEARD if self.heard else HEARD_NOTHING


def _dbfs(amplitude: float) -> float:
    return round(max(SILENT_DBFS, 20 * math.log10(amplitude / 32768)), 1) if amplitude > 0 else SILENT_DBFS


def check_microphone(open_source: Callable[[], AudioSource | None], *, seconds: float = LISTEN_SECONDS,
                     on_level: Callable[[float], None] | None = None) -> MicCheck:
    """Listen for ``seconds`` through the source the kiosk listens with, and say whether anyone was heard.

    ``on_level`` gets each chunk's loudness from 0 to 1 (:func:`kiosk.voice.audio.level`), from this
    thread, for a meter. Blocks while listening: call it from a worker thread, not the UI thread.
    """
    source = open_source()
    if source is None:
        raise SoundUnavailable(NO_MICROPHONE)
    stall = threading.Timer(seconds + STALL_SECONDS, source.close)  # a microphone that sends nothing
    stall.start()
    peak = loudest = squares = 0.0
    count = 0
    try:
        for chunk in source.chunks():
            samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], "<i2").astype(np.float64)
            if len(samples):
                peak = max(peak, float(np.abs(samples).max()))
                power = float(np.dot(samples, samples))
                loudest = max(loudest, math.sqrt(power / len(samples)))
                squares += power
                count += len(samples)
            if on_level is not None:
                on_level(level(chunk))
            if count * 2 >= seconds * BYTES_PER_SECOND:
                break
    except MicrophoneUnavailable as error:
        raise SoundUnavailable(NO_MICROPHONE) from error
    finally:
        stall.cancel()
        source.close()
    return MicCheck(heard=_dbfs(loudest) >= HEARD_DBFS, peak_dbfs=_dbfs(peak),
                    rms_dbfs=_dbfs(math.sqrt(squares / count) if count else 0.0), loudest_dbfs=_dbfs(loudest))
