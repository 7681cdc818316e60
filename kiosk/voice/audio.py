"""Where spoken answers come from: a microphone, or a WAV file standing in for one in tests and demos.

Every source yields 16 kHz mono signed 16-bit little-endian chunks of about 0.1 s, the format the
recogniser wants. Audio stays in memory: nothing a person says is ever written to disk, so WAV files
are converted here rather than through a temporary file.
"""

from __future__ import annotations

import math
import queue
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
CHUNK_FRAMES = SAMPLE_RATE // 10
CHUNK_BYTES = CHUNK_FRAMES * 2
QUIET_DB, LOUD_DB = -60.0, -10.0
"""Loudness (dBFS) shown as an empty and as a full "I'm listening" meter."""


class AudioSource(Protocol):
    """16 kHz mono signed 16-bit little-endian audio, in chunks of about 0.1 s."""

    def chunks(self) -> Iterator[bytes]:
        """Yield chunks as they are recorded; the iterator ends once :meth:`close` is called."""
        ...

    def close(self) -> None: ...


class AudioFileError(ValueError):
    """A file that is not a PCM WAV we can read."""


class MicrophoneUnavailable(RuntimeError):
    """No microphone to listen with: the kiosk carries on with touch only."""


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # the Python package is there but the PortAudio library is not
        raise MicrophoneUnavailable("PortAudio is missing (on Debian: apt install libportaudio2)") from exc
    return sounddevice


class MicrophoneSource:
    """The kiosk's microphone (or ``device``, a sounddevice index or name). Recording runs only while
    :meth:`chunks` is being read, so one source can serve several questions in turn."""

    def __init__(self, device: int | str | None = None):
        self.device = device
        self._closed = threading.Event()
        sd = _sounddevice()
        try:
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=SAMPLE_RATE)
        except (sd.PortAudioError, ValueError) as exc:
            raise MicrophoneUnavailable(f"no microphone to listen with ({exc})") from exc

    def chunks(self) -> Iterator[bytes]:
        sd = _sounddevice()
        recorded: queue.Queue[bytes] = queue.Queue()

        def keep(data, frames, time_info, status) -> None:  # type: ignore[no-untyped-def]
            recorded.put(bytes(data))

        try:
            stream = sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=CHUNK_FRAMES, device=self.device,
                                       channels=1, dtype="int16", callback=keep)
        except sd.PortAudioError as exc:
            raise MicrophoneUnavailable(f"the microphone could not be opened ({exc})") from exc
        with stream:
            while not self._closed.is_set():
                try:
                    chunk = recorded.get(timeout=0.1)
                except queue.Empty:
                    continue
                yield chunk

    def close(self) -> None:
        self._closed.set()


class WavFileSource:
    """A fake microphone playing a real WAV file, then ``trailing_silence`` seconds of silence, like a
    person who has finished speaking. With ``realtime`` it takes as long as the audio lasts.

    ``when`` makes it a person who hears the kiosk out: silence until ``when()`` is true, then the file.
    Without it the file starts at once, whatever the kiosk is still saying, and on a busy machine the
    kiosk's slower speech would cut into a "yes" timed to follow it.

    ``noise_floor`` (dBFS) adds the hiss every real microphone hears under everything, silence included.
    A synthesised WAV's silence is exact zeros, which no microphone gives, and PocketSphinx decodes the
    same word differently after one second of zeros than after none (docs/voice.md)."""

    def __init__(self, path: Path, *, realtime: bool = True, trailing_silence: float = 2.0,
                 when: Callable[[], bool] | None = None, noise_floor: float | None = None):
        self._realtime, self._when = realtime, when
        self._hiss = None if noise_floor is None else (np.random.default_rng(0), 32768 * 10 ** (noise_floor / 20))
        self._pcm = self._heard(read_wav_16k_mono(path) + bytes(2 * round(trailing_silence * SAMPLE_RATE)))
        self._closed = threading.Event()

    def _heard(self, pcm: bytes) -> bytes:
        if self._hiss is None:
            return pcm
        rng, rms = self._hiss
        samples = np.frombuffer(pcm, "<i2") + rng.normal(0, rms, len(pcm) // 2)
        return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()

    def chunks(self) -> Iterator[bytes]:
        while self._when is not None and not self._when():
            if self._closed.wait(CHUNK_BYTES / BYTES_PER_SECOND):
                return
            yield self._heard(bytes(CHUNK_BYTES))
        start = time.monotonic()
        for offset in range(0, len(self._pcm), CHUNK_BYTES):
            chunk = self._pcm[offset:offset + CHUNK_BYTES]
            recorded_at = start + (offset + len(chunk)) / BYTES_PER_SECOND
            if self._closed.is_set() or (self._realtime and self._closed.wait(recorded_at - time.monotonic())):
                return
            yield chunk

    def close(self) -> None:
        self._closed.set()


def read_wav_16k_mono(path: Path) -> bytes:
    """Any PCM WAV (8, 16, 24 or 32-bit, any channels and rate) as 16 kHz mono 16-bit PCM, in memory."""
    mono, rate = read_wav_mono(path)
    return np.clip(np.rint(_resample(mono, rate)), -32768, 32767).astype("<i2").tobytes()


def read_wav_mono(path: Path) -> tuple[np.ndarray, int]:
    """Any PCM WAV as mono samples on the 16-bit scale (floats, -32768 to 32767) at its own rate, and the rate."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFileError(f"{path} is not a PCM WAV file ({exc})") from exc
    except OSError as exc:
        raise AudioFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    samples = _as_int16_scale(raw, width, path)
    return samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1), rate


def _as_int16_scale(raw: bytes, width: int, path: Path) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) * 256
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.float64)
    if width == 3:
        triples = np.frombuffer(raw[: len(raw) // 3 * 3], np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        return ((value << 8) >> 8).astype(np.float64) / 256  # sign-extend 24 to 32 bits
    if width == 4:
        return np.frombuffer(raw, "<i4").astype(np.float64) / 65536
    raise AudioFileError(f"{path} uses {8 * width}-bit samples; save it as 16-bit PCM")


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Linear interpolation to 16 kHz, after a windowed-sinc low-pass when going down (no aliasing)."""
    if rate == SAMPLE_RATE or not len(samples):
        return samples
    if rate > SAMPLE_RATE:
        cutoff = 0.45 * SAMPLE_RATE / rate  # cycles per input sample, a little under the new Nyquist
        taps = np.arange(-32, 33)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
        samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
    count = round(len(samples) * SAMPLE_RATE / rate)
    return np.interp(np.arange(count) * rate / SAMPLE_RATE, np.arange(len(samples)), samples)


def level(chunk: bytes) -> float:
    """Loudness of a chunk from 0 (-60 dBFS or quieter) to 1 (-10 dBFS or louder), for a listening meter."""
    samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], "<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples * samples))) if len(samples) else 0.0
    if rms == 0:
        return 0.0
    db = 20 * math.log10(rms / 32768)
    return min(1.0, max(0.0, (db - QUIET_DB) / (LOUD_DB - QUIET_DB)))
