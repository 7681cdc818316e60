"""Importing a site's own recordings of the kiosk's prompts (``kiosk voice recordings LANG --from FOLDER``).

Each WAV is named by its prompt id (``kiosk voice prompts LANG`` lists them) and checked before it is kept:
a kiosk that plays a silent, clipped or cut-off file to a person who cannot read has nothing else to offer
them. A good file is trimmed to a short pause at each end and brought to one loudness, so no prompt is much
louder than the next; it is stored as 16-bit mono at its own rate in ``<data>/recordings/<language>/``.

Loudness here is the RMS of the parts that are speech (20 ms frames within 30 dB of the loudest), brought to
-20 dBFS with the peak kept under -1 dBFS. A full EBU R128 meter (pyloudnorm) would need SciPy, 40 MB on a
Raspberry Pi, for a figure that matters only to within a few dB between one speaker's prompts.
"""

from __future__ import annotations

import difflib
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.session.settings import KioskConfig
from kiosk.voice.audio import AudioFileError, read_wav_mono
from kiosk.voice.prompt_script import ScriptLine, not_in, prompt_script, recording_folder
from sync.core.files import atomic_path

SHORTEST, LONGEST = 0.3, 30.0
"""Seconds of speech a prompt may last: shorter is a false start, longer is not one prompt."""
QUIETEST_PEAK = 10 ** (-40 / 20) * 32768
"""A recording whose loudest moment is below -40 dBFS is silence (a muted or unplugged microphone)."""
CLIPPED_SHARE = 0.001
"""More than 0.1 % of samples at full scale: the voice was too loud for the recorder, and is distorted."""
TARGET_RMS, PEAK_LIMIT = 10 ** (-20 / 20) * 32768, 10 ** (-1 / 20) * 32768
PAUSE = 0.15
"""Seconds of quiet kept before and after the speech."""
FRAME = 0.02
SPEECH_RANGE_DB = 30


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file name, what is wrong with it): not imported."""
    missing: list[ScriptLine] = field(default_factory=list)
    """Prompts with no recording, in this folder or from before."""


def import_recordings(config: KioskConfig, data_dir: Path, language: str, source: Path) -> ImportReport:
    """Check and import every WAV in ``source``; a file with a problem is reported and left out, the rest
    are kept (a site records in several sittings)."""
    script = {line.id: line for line in prompt_script(config, language)}
    target = recording_folder(data_dir, language)
    target.mkdir(parents=True, exist_ok=True)
    report = ImportReport()
    for path in sorted(source.iterdir()):
        if path.suffix.lower() != ".wav":
            continue
        if path.stem not in script:
            near = difflib.get_close_matches(path.stem, script, n=1)
            report.problems.append((path.name, "not a prompt id" + (f": did you mean {near[0]}.wav?" if near else
                                                                    " (kiosk voice prompts lists them)")))
            continue
        try:
            samples, rate = read_wav_mono(path)
            _save(evened(samples, rate), rate, target / f"{path.stem}.wav")
        except (AudioFileError, RecordingError) as error:
            report.problems.append((path.name, str(error)))
            continue
        report.imported.append(path.stem)
    report.missing = not_in(list(script.values()), target)
    return report


class RecordingError(ValueError):
    """A recording that would not serve a person: silent, clipped, too short or too long."""


def evened(samples: np.ndarray, rate: int) -> np.ndarray:
    """The recording checked, trimmed to its speech and a short pause, and brought to the common loudness."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < QUIETEST_PEAK:
        raise RecordingError("silent, or nearly: check that the microphone is on and close to the speaker")
    if np.mean(np.abs(samples) >= 32767) > CLIPPED_SHARE:
        raise RecordingError("clipped (too loud, so the voice is distorted): record it again a little further from "
                     "the microphone, or with its level turned down")
    size = max(1, round(FRAME * rate))
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    speech = rms >= rms.max() * 10 ** (-SPEECH_RANGE_DB / 20)
    first, last = np.flatnonzero(speech)[[0, -1]]
    seconds = (last - first + 1) * FRAME
    if seconds < SHORTEST:
        raise RecordingError(f"only {seconds:.1f} s of sound: is it the whole prompt?")
    if seconds > LONGEST:
        raise RecordingError(f"{seconds:.0f} s long: a prompt takes seconds; is it several in one file?")
    pause = round(PAUSE / FRAME)
    kept = frames[max(0, first - pause): last + 1 + pause].reshape(-1)
    gain = min(TARGET_RMS / float(np.sqrt(np.mean(rms[speech] ** 2))), PEAK_LIMIT / peak)
    return np.clip(np.rint(kept * gain), -32768, 32767)


def _save(samples: np.ndarray, rate: int, path: Path) -> None:
    """Written beside its place and renamed into it: a kiosk never plays half a file."""
    with atomic_path(path) as partial, wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
